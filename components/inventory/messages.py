"""Pydantic's validation errors in the inventory's words (YAML's types, paths under netguard:platform)."""

from __future__ import annotations

from typing import Any, Optional, TypeVar

from pydantic import ValidationError

from .errors import problem, shown
from .schema import StrictModel


# Pydantic's wording names Python types ("a valid tuple", "an instance of FlowSpec"); say it in YAML's.
_TYPE_NAMES = {"list_type": "a list", "tuple_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
               "model_attributes_type": "a mapping", "string_type": "a string", "int_type": "a whole number",
               "bool_type": "true or false"}


def messages(err: ValidationError, prefix: tuple[Any, ...]) -> list[str]:
    problems = []
    errors = err.errors(include_url=False)
    for e in errors:
        # AfterValidator frames and tagged-union names add entries that are not part of the path.
        loc = tuple(p for p in e["loc"] if isinstance(p, int) or not str(p).startswith("function-"))
        if e["type"] == "too_short" and any(other["loc"][:len(e["loc"])] == e["loc"] and other is not e for other in errors):
            continue  # the list is short only because an entry failed, and that entry is reported
        if e["type"] == "extra_forbidden":
            message = "unknown key (not part of the inventory schema)"
        elif e["type"] in _TYPE_NAMES:
            message = f"must be {_TYPE_NAMES[e['type']]} (got {shown(e['input'])})"
        elif e["type"] == "value_error":
            message = str(e["ctx"]["error"])
        elif e["type"] == "missing":
            message = "is required"
        else:
            message = f"{e['msg']} (got {shown(e['input'])})"
        problems.append(problem(prefix + loc, message))
    return problems


M = TypeVar("M", bound=StrictModel)


def _locations(err: ValidationError) -> set[tuple[Any, ...]]:
    return {tuple(p for p in e["loc"] if isinstance(p, int) or not str(p).startswith("function-"))
            for e in err.errors(include_url=False)}


def validate_each(model: type[M], section: str, raw: list[Any], problems: list[str],
                   failed: Optional[dict[int, set[tuple[Any, ...]]]] = None) -> list[tuple[int, M]]:
    """The entries that validate; the others' problems go to `problems`, where they broke to `failed`."""
    valid = []
    for index, item in enumerate(raw):
        try:
            valid.append((index, model.model_validate(item)))
        except ValidationError as err:
            problems.extend(messages(err, (section, index)))
            if failed is not None:
                failed[index] = _locations(err)
    return valid
