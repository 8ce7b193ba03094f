"""The report as JSON, schema ``netguard.report/v1`` (documented in README.md).

Keys are stable: other tools read them. Connections are sorted by (from, to); port sets are
``{"TCP": [[lo, hi], ...]}`` with only the protocols that have ports.
"""

from __future__ import annotations

from typing import Any

from ..model import EGRESS, INGRESS
from .model import Report, Side, ports_json

SCHEMA = "netguard.report/v1"


def report_json(report: Report) -> dict[str, Any]:
    internal = [e for e in report.endpoints if not e.external]
    return {
        "schema": SCHEMA,
        "sources": list(report.sources),
        "summary": summary(report),
        "endpoints": [
            {"id": e.id, "namespace": e.namespace, "name": e.name, "kind": e.kind, "external": e.external,
             "internet": e.internet, "role": e.role or None, "data_class": e.data_class or None,
             "isolated": {INGRESS: e.isolated_ingress, EGRESS: e.isolated_egress} if not e.external else None}
            for e in report.endpoints
        ],
        "policies": [{"kind": p.kind, "id": p.id, "layer": p.layer or None, "tier": p.tier or None}
                     for p in report.policies],
        "connections": [
            {"from": c.source, "to": c.destination, "ports": ports_json(c.ports),
             "admitted_by": {"egress": side_json(c.egress), "ingress": side_json(c.ingress),
                             "mesh": side_json(c.mesh) if c.mesh else None}}
            for c in report.connections
        ],
        "matrix": [{"from": a, "to": b, "connections": n} for (a, b), n in sorted(namespace_matrix(report).items())],
        "findings": [
            {"severity": f.severity, "kind": f.kind, "subject": f.subject, "message": f.message}
            for f in report.findings
        ],
        "workloads_without_isolation": {
            INGRESS: [e.id for e in internal if not e.isolated_ingress],
            EGRESS: [e.id for e in internal if not e.isolated_egress],
        },
    }


def side_json(side: Side) -> dict[str, Any]:
    return {
        "isolated": side.isolated,
        "external": side.external,
        "selecting": list(side.selecting),
        "rules": [
            {"kind": r.kind, "policy": r.policy, "layer": r.layer or None, "tier": r.tier or None, "rule": r.rule,
             "description": r.description, "ports": ports_json(r.ports)}
            for r in side.rules
        ],
        "default": ports_json(side.default),
    }


def summary(report: Report) -> dict[str, Any]:
    internal = [e for e in report.endpoints if not e.external]
    per_kind: dict[str, dict[str, int]] = {}
    for p in report.policies:
        layers = per_kind.setdefault(p.kind, {})
        group = p.layer or (f"tier {p.tier}" if p.tier else "(no layer)")
        layers[group] = layers.get(group, 0) + 1
    workloads: dict[str, int] = {}
    for e in internal:
        workloads[e.kind] = workloads.get(e.kind, 0) + 1
    return {
        "namespaces": len(report.namespaces),
        "workloads": len(internal),
        "workloads_by_kind": dict(sorted(workloads.items())),
        "policies": {k: dict(sorted(v.items())) for k, v in sorted(per_kind.items())},
        "connections": len(report.connections),
        "not_isolated": {INGRESS: sum(not e.isolated_ingress for e in internal),
                         EGRESS: sum(not e.isolated_egress for e in internal)},
        "reaching_outside": sorted({c.source for c in report.connections
                                    if report.by_id[c.destination].external and not report.by_id[c.source].external}),
        "reached_from_outside": sorted({c.destination for c in report.connections
                                        if report.by_id[c.source].external and not report.by_id[c.destination].external}),
        "findings": {s: sum(f.severity == s for f in report.findings) for s in ("high", "medium", "low")},
    }


def namespace_matrix(report: Report) -> dict[tuple[str, str], int]:
    """(source namespace, destination namespace) -> number of allowed connections."""
    counts: dict[tuple[str, str], int] = {}
    for c in report.connections:
        key = (report.by_id[c.source].namespace, report.by_id[c.destination].namespace)
        counts[key] = counts.get(key, 0) + 1
    return counts
