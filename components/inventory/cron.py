"""CronJob schedules, checked as the API server parses them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from .errors import shown


# CronJob schedules as the API server parses them (robfig/cron's standard parser): five fields, or a
# macro. Time zones belong in spec.timeZone; the API server rejects TZ= in the schedule.
_CRON_MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_WEEKDAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
_CRON_FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 6, _WEEKDAYS))


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # not '²' or other Unicode digits


def _cron_value(text: str, low: int, high: int, names: Mapping[str, int]) -> Optional[int]:
    value = names.get(text.lower(), int(text) if _digits(text) else None)
    return value if value is not None and low <= value <= high else None


def _cron_field_ok(field: str, low: int, high: int, names: Mapping[str, int]) -> bool:
    for part in field.split(","):
        span, slash, step = part.partition("/")
        if slash and (not _digits(step) or int(step) == 0):
            return False
        if span in ("*", "?"):
            continue
        first, dash, last = span.partition("-")
        start = _cron_value(first, low, high, names)
        end = _cron_value(last, low, high, names) if dash else start
        if start is None or end is None or start > end:
            return False
    return True


def schedule_check(value: str) -> str:
    fields = value.split()
    if value.strip() in _CRON_MACROS:
        return value
    if len(fields) != 5 or not all(_cron_field_ok(f, *spec) for f, spec in zip(fields, _CRON_FIELDS)):
        raise ValueError(f"{shown(value)} is not a cron schedule (minute hour day-of-month month day-of-week, "
                         "e.g. '0 3 * * *', or @daily; no time zone)")
    return value
