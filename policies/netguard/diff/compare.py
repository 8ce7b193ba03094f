"""Comparing two clusters pair by pair: added, removed, widened, narrowed, changed.

Both sides are Analyzers over the same external address ranges, so an external range is the same
endpoint on both sides. Each side's connections come from ``report.build`` (grouped, with their
reasons); a pair appears in the result only when its port sets differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..analysis import Analyzer
from ..report.build import build_report
from ..report.model import Connection, PortsByProtocol, Report
from .cause import Cause, cause_of
from .portsets import difference
from .risk import Risk, rank


@dataclass(frozen=True)
class Change:
    source: str
    destination: str
    kind: str  # added, removed, widened, narrowed, changed
    old: PortsByProtocol
    new: PortsByProtocol
    gained: PortsByProtocol
    lost: PortsByProtocol
    endpoints: str  # both, added (an end is new), removed (an end is gone)
    cause: Cause
    risk: Risk


@dataclass(frozen=True)
class PolicyChange:
    kind: str
    id: str
    change: str  # added, removed, modified


@dataclass(frozen=True)
class DiffResult:
    old_label: str
    new_label: str
    changes: tuple[Change, ...]
    endpoints_added: tuple[str, ...]
    endpoints_removed: tuple[str, ...]
    policies_changed: tuple[PolicyChange, ...]
    old_report: Report
    new_report: Report

    @property
    def equivalent(self) -> bool:
        """Nothing that decides a connection changed (whatever the files' text did)."""
        return not self.changes


def compare(old: Analyzer, new: Analyzer, old_label: str = "OLD", new_label: str = "NEW") -> DiffResult:
    old_report, new_report = build_report(old, [old_label]), build_report(new, [new_label])
    before = {(c.source, c.destination): c for c in old_report.connections}
    after = {(c.source, c.destination): c for c in new_report.connections}
    old_ids, new_ids = set(old_report.by_id), set(new_report.by_id)
    changes = []
    for pair in sorted(before.keys() | after.keys()):
        was, now = before.get(pair), after.get(pair)
        old_ports, new_ports = _ports(was), _ports(now)
        gained, lost = difference(new_ports, old_ports), difference(old_ports, new_ports)
        if not gained and not lost:
            continue
        kind = ("added" if was is None else "removed" if now is None
                else "changed" if gained and lost else "widened" if gained else "narrowed")
        ends = "both"
        if any(e not in old_ids for e in pair):
            ends = "added"
        elif any(e not in new_ids for e in pair):
            ends = "removed"
        cause = cause_of(old, new, pair, was, now, gained, lost)
        changes.append((pair, kind, old_ports, new_ports, gained, lost, ends, cause))
    ranked = rank(changes, old_report, new_report)
    return DiffResult(
        old_label, new_label,
        tuple(Change(s, d, kind, o, n, g, l, ends, cause, risk)
              for ((s, d), kind, o, n, g, l, ends, cause), risk in zip(changes, ranked)),
        tuple(sorted(new_ids - old_ids)), tuple(sorted(old_ids - new_ids)),
        _policy_changes(old, new), old_report, new_report,
    )


def _ports(connection: Optional[Connection]) -> PortsByProtocol:
    return connection.ports if connection is not None else {}


def _policy_changes(old: Analyzer, new: Analyzer) -> tuple[PolicyChange, ...]:
    before = {p.id: p for p in old.cluster.policies}
    after = {p.id: p for p in new.cluster.policies}
    out = []
    for pid in sorted(before.keys() | after.keys()):
        if pid not in before:
            out.append(PolicyChange("NetworkPolicy", pid, "added"))
        elif pid not in after:
            out.append(PolicyChange("NetworkPolicy", pid, "removed"))
        elif before[pid] != after[pid] or dict(before[pid].labels) != dict(after[pid].labels):
            out.append(PolicyChange("NetworkPolicy", pid, "modified"))
    return tuple(out)
