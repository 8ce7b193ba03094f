"""Label selectors (metav1.LabelSelector) as used by NetworkPolicy.

A selector is matchLabels AND every matchExpressions requirement. An empty selector matches
everything; NotIn and DoesNotExist match an object that lacks the key. Two ways to ask the same
question are offered: ``matches(labels)`` for one object, and ``select(index)`` for a whole
population at once, answered as a bitset (a Python int) from a ``LabelIndex``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Iterable

from .errors import Location, kind_of, unknown_key

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # one of OPERATORS
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return self.key in labels and labels[self.key] in self.values
        if self.operator == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels  # DoesNotExist

    def describe(self) -> str:
        if self.operator == "Exists":
            return f"{self.key} exists"
        if self.operator == "DoesNotExist":
            return f"no {self.key}"
        values = ",".join(sorted(self.values))
        return f"{self.key} {'in' if self.operator == 'In' else 'not in'} ({values})"


@dataclass(frozen=True)
class LabelSelector:
    match_labels: tuple[tuple[str, str], ...] = ()  # sorted (key, value) pairs
    expressions: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            r.matches(labels) for r in self.expressions
        )

    def select(self, index: "LabelIndex") -> int:
        """The bitset of the index's members whose labels this selector matches."""
        bits = index.everyone
        for pair in self.match_labels:
            bits &= index.by_pair.get(pair, 0)
        for r in self.expressions:
            bits &= _requirement_bits(r, index)
        return bits

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.match_labels] + [r.describe() for r in self.expressions]
        return ", ".join(parts) if parts else "any labels"


def _requirement_bits(r: Requirement, index: "LabelIndex") -> int:
    if r.operator in ("In", "NotIn"):
        hit = 0
        for value in r.values:
            hit |= index.by_pair.get((r.key, value), 0)
        return hit if r.operator == "In" else index.everyone & ~hit
    has_key = index.by_key.get(r.key, 0)
    return has_key if r.operator == "Exists" else index.everyone & ~has_key


@dataclass(frozen=True)
class LabelIndex:
    """An inverted index over a numbered population: which members carry which label."""

    everyone: int
    by_pair: Mapping[tuple[str, str], int]
    by_key: Mapping[str, int]

    @staticmethod
    def build(members: Iterable[tuple[int, Mapping[str, str]]]) -> "LabelIndex":
        everyone = 0
        by_pair: dict[tuple[str, str], int] = {}
        by_key: dict[str, int] = {}
        for position, labels in members:
            bit = 1 << position
            everyone |= bit
            for key, value in labels.items():
                by_pair[(key, value)] = by_pair.get((key, value), 0) | bit
                by_key[key] = by_key.get(key, 0) | bit
        return LabelIndex(everyone, by_pair, by_key)


def parse_selector(raw: Any, at: Location) -> LabelSelector:
    """Parse a LabelSelector mapping; ``None`` is not accepted here (callers decide what absent means)."""
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a label selector mapping, got {kind_of(raw)}")
    unknown = unknown_key(raw, {"matchLabels", "matchExpressions"})
    if unknown is not None:
        raise at.key(unknown).error("unknown field of a label selector")
    labels = parse_string_map(raw.get("matchLabels"), at.key("matchLabels"))
    expressions = raw.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise at.key("matchExpressions").error(f"expected a list, got {kind_of(expressions)}")
    requirements = tuple(
        _parse_requirement(e, at.key("matchExpressions").index(i)) for i, e in enumerate(expressions)
    )
    return LabelSelector(tuple(sorted(labels.items())), requirements)


def _parse_requirement(raw: Any, at: Location) -> Requirement:
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping with key, operator and values, got {kind_of(raw)}")
    key = raw.get("key")
    if not isinstance(key, str) or not key:
        raise at.key("key").error("a requirement needs a non-empty string key")
    operator = raw.get("operator")
    if operator not in OPERATORS:
        raise at.key("operator").error(
            f"unknown operator {operator!r}; expected one of {', '.join(OPERATORS)}"
        )
    values = raw.get("values")
    if values is None:
        values = []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise at.key("values").error("expected a list of strings")
    if operator in ("In", "NotIn") and not values:
        raise at.key("values").error(f"operator {operator} needs at least one value")
    if operator in ("Exists", "DoesNotExist") and values:
        raise at.key("values").error(f"operator {operator} takes no values")
    return Requirement(key, operator, frozenset(values))


def parse_string_map(raw: Any, at: Location) -> dict[str, str]:
    """A string-to-string mapping such as labels or matchLabels; absent means empty."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping of strings, got {kind_of(raw)}")
    for key, value in raw.items():
        if not isinstance(key, str) or not key:
            raise at.error(f"label key {key!r} is not a non-empty string")
        if not isinstance(value, str):
            raise at.key(key).error(f"label value {value!r} is not a string (quote it)")
    return dict(raw)

