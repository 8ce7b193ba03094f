"""Istio's string match, used by principals, namespaces, trust domains and `when` values.

``abc`` is exact, ``abc*`` a prefix, ``*abc`` a suffix and ``*`` presence (any non-empty value).
A ``*`` elsewhere is a literal character, as Envoy's matcher reads it. An absent value (a
plaintext connection has no principal) matches no pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class IstioString:
    pattern: str

    @property
    def is_wildcard(self) -> bool:
        return self.pattern.startswith("*") or self.pattern.endswith("*")

    def matches(self, value: Optional[str]) -> bool:
        if not value:
            return False
        p = self.pattern
        if p == "*":
            return True
        if p.startswith("*"):
            return value.endswith(p[1:])
        if p.endswith("*"):
            return value.startswith(p[:-1])
        return value == p


def any_matches(patterns: tuple[IstioString, ...], value: Optional[str]) -> bool:
    return any(p.matches(value) for p in patterns)
