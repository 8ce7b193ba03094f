"""The audit as JSON (``netguard.audit/v1``), as Markdown, and ``--suggest``'s inventory YAML."""

from __future__ import annotations

import json as _json
from typing import Any, Callable, Mapping

import yaml

from ..report.capped import CappedMarkdown
from .run import CLASSES, SCHEMA, AuditConnection, AuditResult


def audit_json(result: AuditResult) -> dict[str, Any]:
    seen = result.seen
    return {
        "schema": SCHEMA,
        "records": seen.records,
        "replies": seen.replies,
        "skipped": seen.skipped,
        "bad_lines": list(seen.bad_lines),
        "bad_lines_total": seen.bad_total,
        "bad_line_problems": [{"line": n, "problem": p} for n, p in seen.problems],
        "baseline": result.baseline,
        "summary": {k: sum(c.klass == k for c in result.connections) for k in CLASSES},
        "connections": [_connection(c, result.baseline is not None) for c in result.connections],
    }


def _connection(c: AuditConnection, with_baseline: bool) -> dict[str, Any]:
    t = c.tally
    out: dict[str, Any] = {
        "from": c.source, "to": c.destination, "port": c.port, "protocol": c.protocol,
        "observed": t.observed if t else 0,
        "first_seen": t.first[1] if t and t.first else None,
        "last_seen": t.last[1] if t and t.last else None,
        "seen_for_seconds": round((t.last[0] - t.first[0]) / 1e9, 3) if t and t.first and t.last else None,
        "verdicts": dict(sorted(t.verdicts.items())) if t else {},
        "policy": c.policy,
        "class": c.klass,
    }
    if c.end_port is not None:
        out["end_port"] = c.end_port
    if with_baseline:
        out["new"] = bool(c.new) if t else False
    return out


def render_md(result: AuditResult, cap: int = 60_000) -> str:
    out = CappedMarkdown(cap, "`netguard audit --format json`")
    seen = result.seen
    counts = {k: sum(c.klass == k for c in result.connections) for k in CLASSES}
    out.add("## netguard audit\n")
    out.add(f"{seen.records} records read ({seen.replies} replies, {seen.skipped} without a TCP/UDP/SCTP port), "
            f"{seen.bad_total} bad lines.\n")
    out.section(["| class | connections |", "| --- | --- |"], [f"| {k} | {n} |" for k, n in counts.items()], [""],
                "summary")
    if result.baseline is not None:
        fresh = [c for c in result.connections if c.new and c.tally]
        out.section([f"### New since the baseline ({len(fresh)})", ""], [f"- {_line(c)}" for c in fresh] or ["None."],
                    [""], "new connections")
    titles = {
        "verdict-mismatch": "Verdict disagrees with the policy (the cluster does not run these manifests)",
        "observed-denied": "Observed but denied by the policy (a broken pipeline, or an attack)",
        "unknown-endpoint": "Endpoints the manifests do not know",
    }
    for klass, title in titles.items():
        rows = [c for c in result.connections if c.klass == klass]
        if rows:
            out.section([f"### {title} ({len(rows)})", ""], [f"- {_line(c)}" for c in rows], [""], klass)
    for klass, title in (("unobserved", "Allowed but never observed (candidates to tighten)"),
                         ("observed-allowed", "Observed and allowed")):
        rows = [c for c in result.connections if c.klass == klass]
        if rows:
            out.section([f"<details><summary>{title} ({len(rows)})</summary>", ""], [f"- {_line(c)}" for c in rows],
                        ["", "</details>", ""], klass)
    if seen.bad_total:
        out.section([f"### Bad lines ({seen.bad_total})", ""], [f"- line {n}: {p}" for n, p in seen.problems]
                    + ([f"- line numbers: {', '.join(map(str, seen.bad_lines))}"] if len(seen.bad_lines) > len(seen.problems) else []),
                    [""], "bad lines")
    return out.text()


def _line(c: AuditConnection) -> str:
    ports = f"{c.port}-{c.end_port}" if c.end_port else str(c.port)
    text = f"`{c.source}` → `{c.destination}` {ports}/{c.protocol}, policy {c.policy}"
    t = c.tally
    if t:
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(t.verdicts.items()))
        when = (f", {t.first[1]} … {t.last[1]} ({_duration((t.last[0] - t.first[0]) / 1e9)})"
                if t.first and t.last else "")
        text += f": {t.observed} record{'' if t.observed == 1 else 's'} ({verdicts}){when}"
    return text


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n]
    return " ".join(parts) or f"{secs} s"


def suggest_yaml(result: AuditResult) -> str:
    """Inventory ``flows:`` entries for observed connections the policy denies between known workloads."""
    cluster = result.analyzer.cluster
    wanted: dict[tuple[str, str], set[str]] = {}
    notes: list[str] = []
    for c in result.connections:
        if c.tally is None or c.policy != "denied" or c.klass not in ("observed-denied", "verdict-mismatch"):
            continue
        if c.source not in result.manifest_ids or c.destination not in result.manifest_ids:
            continue
        src, dst = cluster.endpoint(c.source), cluster.endpoint(c.destination)
        if src.external or dst.external or c.source == c.destination:
            continue
        names = sorted({p.name for p in dst.ports if p.port == c.port and p.protocol == c.protocol and p.name})
        if not names:
            notes.append(f"# {c.source} -> {c.destination} on {c.port}/{c.protocol}: the destination declares "
                         "no port name for it; name the port in the inventory's workload, then add the flow")
            continue
        wanted.setdefault((c.source, c.destination), set()).add(names[0])
    flows = []
    for (src_id, dst_id), names in sorted(wanted.items()):
        src, dst = cluster.endpoint(src_id), cluster.endpoint(dst_id)
        flows.append({"from": {"namespace": src.namespace, "workload": src.name},
                      "to": {"namespace": dst.namespace, "workload": dst.name},
                      "ports": sorted(names)})
    head = ["# Observed connections the policy denies, as inventory flows (netguard:platform.flows).",
            "# Review each one: a denied connection may be an attack rather than a missing flow."]
    body = yaml.safe_dump({"flows": flows}, sort_keys=False, default_flow_style=None).rstrip() if flows else "flows: []"
    return "\n".join([*head, *notes, body])


RENDERERS: Mapping[str, Callable[[AuditResult], str]] = {
    "md": render_md,
    "json": lambda result: _json.dumps(audit_json(result), indent=1),
}
