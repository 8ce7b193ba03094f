"""How the inventory reports a problem: one line per problem, with its path under `netguard:platform`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


CONFIG_KEY = "netguard:platform"


class InventoryError(ValueError):
    """A bad inventory: every problem found, each as `netguard:platform.<path>: <what is wrong>`."""

    def __init__(self, problems: Sequence[str]):
        self.problems = tuple(problems)
        count = len(self.problems)
        header = f"invalid {CONFIG_KEY}: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


def shown(value: Any) -> str:
    """A value for a message: its repr, shortened when huge."""
    text = repr(value)
    if len(text) <= 80:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, (str, list, dict)) else ""
    return f"{text[:60]}...{size}"


def format_path(loc: Iterable[Any]) -> str:
    """('workloads', 3, 'ports', 0, 'port') -> 'workloads[3].ports[0].port'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def problem(loc: Iterable[Any], message: str) -> str:
    path = format_path(loc)
    return f"{CONFIG_KEY}.{path}: {message}" if path else f"{CONFIG_KEY}: {message}"
