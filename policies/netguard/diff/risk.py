"""Risk of each change for an AI platform, and ``--fail-on``.

High: a new path into training or into restricted/confidential data (``netguard.io/role``,
``netguard.io/data-class`` of the destination in NEW); new traffic to or from the internet; a
destination newly reachable from every namespace; DNS newly blocked (a source that could reach
port 53 over UDP, or TCP, somewhere in OLD and can nowhere in NEW). Medium: any other access gained. Low: access lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..errors import NetguardInputError
from ..report.build import reached_from_every_namespace
from ..report.model import Report

KINDS = ("added", "removed", "widened", "narrowed", "changed")
SENSITIVE_CLASSES = ("confidential", "restricted")
DNS_PORT = 53


@dataclass(frozen=True)
class Risk:
    level: str  # high, medium, low
    reasons: tuple[str, ...]


def rank(changes: Sequence[tuple], old: Report, new: Report) -> list[Risk]:
    newly_everywhere = _every_namespace(new) - _every_namespace(old)
    dns_blocked = {(s, p) for s, p in _dns_sources(old) - _dns_sources(new) if new.endpoint(s) is not None}
    out = []
    for (src, dst), kind, _, _, gained, lost, _, _ in changes:
        reasons: list[str] = []
        target = new.endpoint(dst)
        origin = new.endpoint(src)
        if gained and target is not None:
            if target.role == "training":
                reasons.append(f"new path into training ({dst})")
            if target.data_class in SENSITIVE_CLASSES:
                reasons.append(f"new path into {target.data_class} data ({dst})")
            if target.internet:
                reasons.append(f"new egress to the internet ({target.name})")
            if origin is not None and origin.internet:
                reasons.append(f"newly reachable from the internet ({origin.name})")
            if dst in newly_everywhere:
                reasons.append(f"{dst} is newly reachable from every namespace")
        for protocol, ports in lost.items():
            if DNS_PORT in ports and (src, protocol) in dns_blocked:
                reasons.append(f"DNS over {protocol} newly blocked for {src} (no port 53/{protocol} anywhere)")
        level = "high" if reasons else "medium" if gained else "low"
        if not reasons:
            reasons.append("access gained" if gained else "access lost")
        out.append(Risk(level, tuple(reasons)))
    return out


def _every_namespace(report: Report) -> set[str]:
    return reached_from_every_namespace(report.endpoints, report.connections)


def _dns_sources(report: Report) -> set[tuple[str, str]]:
    """(source, protocol) for every cluster endpoint that may reach port 53 somewhere over that protocol."""
    return {(c.source, protocol) for c in report.connections if not report.by_id[c.source].external
            for protocol, ports in c.ports.items() if DNS_PORT in ports}


def parse_fail_on(text: str) -> frozenset[str]:
    names = frozenset(t.strip() for t in text.split(",") if t.strip())
    unknown = sorted(names - set(KINDS) - {"high"})
    if not names or unknown:
        raise NetguardInputError(
            f"unknown change kind {', '.join(map(repr, unknown)) or repr(text)}; expected a comma-separated "
            f"list of {', '.join(KINDS)} or high", field="--fail-on",
        )
    return names


def fails(result, names: frozenset[str]) -> bool:
    return any(c.kind in names or ("high" in names and c.risk.level == "high") for c in result.changes)
