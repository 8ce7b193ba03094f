"""The diff as md (a pull-request comment, capped), json (``netguard.diff/v1``) and txt.

txt follows np-guard netpol-analyzer's diff lines (``diff-type: ..., source: ..., destination:
..., dir1: ..., dir2: ...``) with our five kinds, so the two can be compared.
"""

from __future__ import annotations

import json as _json
from typing import Any, Callable, Mapping

from ..report.capped import CappedMarkdown
from ..report.model import AdmittingRule, ports_json, ports_text
from ..report.txt import connections_text, endpoint_text
from .compare import Change, DiffResult

SCHEMA = "netguard.diff/v1"
_LEVELS = {"high": 0, "medium": 1, "low": 2}


def diff_json(result: DiffResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "old": result.old_label,
        "new": result.new_label,
        "equivalent": result.equivalent,
        "summary": _counts(result),
        "changes": [_change_json(c) for c in result.changes],
        "endpoints_added": list(result.endpoints_added),
        "endpoints_removed": list(result.endpoints_removed),
        "policies_changed": [{"kind": p.kind, "id": p.id, "change": p.change} for p in result.policies_changed],
    }


def _change_json(c: Change) -> dict[str, Any]:
    return {
        "from": c.source, "to": c.destination, "kind": c.kind,
        "old": ports_json(c.old), "new": ports_json(c.new),
        "gained": ports_json(c.gained), "lost": ports_json(c.lost),
        "deltas": deltas(c),
        "endpoints": c.endpoints,
        "cause": {
            "gained": [_rule_json(side, r) for side, r in c.cause.gained_by],
            "lost": [_rule_json(side, r) for side, r in c.cause.lost_from],
            "now_isolated_by": [{"side": side, "policy": p} for side, p in c.cause.now_isolated_by],
        },
        "risk": {"level": c.risk.level, "reasons": list(c.risk.reasons)},
    }


def _rule_json(side: str, r: AdmittingRule) -> dict[str, Any]:
    if not r.policy:
        return {"side": side, "policy": None, "description": r.description, "ports": ports_json(r.ports)}
    return {"side": side, "kind": r.kind, "policy": r.policy, "layer": r.layer or None, "rule": r.rule,
            "description": r.description, "ports": ports_json(r.ports)}


def deltas(c: Change) -> list[str]:
    """``+TCP 8080``, ``-UDP 53``: one entry per protocol gained or lost."""
    out = [f"+{part}" for part in _parts(c.gained)]
    return out + [f"-{part}" for part in _parts(c.lost)]


def _parts(ports) -> list[str]:
    text = ports_text(ports)
    return [] if text == "none" else text.split("; ") if text != "all" else ["all"]


def _counts(result: DiffResult) -> dict[str, Any]:
    kinds = {k: sum(c.kind == k for c in result.changes) for k in ("added", "removed", "widened", "narrowed", "changed")}
    risks = {k: sum(c.risk.level == k for c in result.changes) for k in _LEVELS}
    return {"changes": len(result.changes), "kinds": kinds, "risk": risks}


def render_txt(result: DiffResult) -> str:
    lines = ["Connectivity diff:"]
    for c in result.changes:
        src = _endpoint(result, c.source)
        dst = _endpoint(result, c.destination)
        line = (f"diff-type: {c.kind}, source: {src}, destination: {dst}, "
                f"dir1: {connections_text(c.old)}, dir2: {connections_text(c.new)}")
        if c.endpoints != "both":
            gone = result.endpoints_added if c.endpoints == "added" else result.endpoints_removed
            names = [_endpoint(result, e) for e in (c.source, c.destination) if e in gone]
            line += f", workloads-diff-info: {' and '.join(f'workload {n}' for n in names)} {c.endpoints}"
        lines.append(line)
    if result.equivalent:
        lines.append("No connectivity change: the two sets are equivalent.")
    return "\n".join(lines)


def _endpoint(result: DiffResult, endpoint_id: str) -> str:
    info = result.new_report.endpoint(endpoint_id) or result.old_report.endpoint(endpoint_id)
    return endpoint_text(info) if info else endpoint_id


def render_md(result: DiffResult, cap: int = 60_000) -> str:
    out = CappedMarkdown(cap, "`netguard diff --format json`")
    counts = _counts(result)
    out.add(f"## netguard diff\n\n`{result.old_label}` → `{result.new_label}`\n")
    if result.equivalent:
        policies = len(result.policies_changed)
        out.add(f"**Equivalent**: {policies} polic{'y' if policies == 1 else 'ies'} changed, "
                "and every pair of endpoints keeps exactly the ports it had.\n" if policies else
                "**Equivalent**: no pair of endpoints gains or loses a port.\n")
    else:
        k, r = counts["kinds"], counts["risk"]
        out.add(f"**{counts['changes']} changed pairs**: " + ", ".join(f"{n} {name}" for name, n in k.items() if n)
                + f". Risk: {r['high']} high, {r['medium']} medium, {r['low']} low.\n")
    ordered = sorted(result.changes, key=lambda c: (_LEVELS[c.risk.level], c.source, c.destination))
    policy_changes = [c for c in ordered if c.endpoints == "both"]
    endpoint_changes = [c for c in ordered if c.endpoints != "both"]
    high = [c for c in ordered if c.risk.level == "high"]
    if high:
        out.section(["### High risk", ""], [f"- {_line(c)} — {'; '.join(c.risk.reasons)}" for c in high], [""],
                    "high-risk changes")
    if policy_changes:
        out.section(["### Changes between existing endpoints", "", "| risk | from | to | change | cause |",
                     "| --- | --- | --- | --- | --- |"],
                    [f"| {c.risk.level} | `{c.source}` | `{c.destination}` | {c.kind}: {', '.join(deltas(c))} | "
                     f"{_cause(c)} |" for c in policy_changes], [""], "changes")
    if result.endpoints_added or result.endpoints_removed:
        out.section(["### Endpoints added or removed", ""],
                    [f"- added `{e}`" for e in result.endpoints_added]
                    + [f"- removed `{e}`" for e in result.endpoints_removed], [""], "endpoints")
    if endpoint_changes:
        out.section(["<details><summary>Connections of added or removed endpoints "
                     f"({len(endpoint_changes)})</summary>", "", "| risk | from | to | change |", "| --- | --- | --- | --- |"],
                    [f"| {c.risk.level} | `{c.source}` | `{c.destination}` | {c.kind}: {', '.join(deltas(c))} |"
                     for c in endpoint_changes], ["", "</details>", ""], "endpoint connections")
    if result.policies_changed:
        out.section(["<details><summary>Policies changed</summary>", ""],
                    [f"- {p.change} {p.kind} `{p.id}`" for p in result.policies_changed], ["", "</details>", ""],
                    "policies")
    return out.text()


def _line(c: Change) -> str:
    return f"`{c.source}` → `{c.destination}` {c.kind} ({', '.join(deltas(c))})"


def _cause(c: Change) -> str:
    parts = [f"NEW {side} {r.policy} rule {r.rule}" if r.policy else f"NEW {side} {r.description}"
             for side, r in c.cause.gained_by]
    parts += [f"OLD {side} {r.policy} rule {r.rule}" if r.policy else f"OLD {side} {r.description}"
              for side, r in c.cause.lost_from]
    parts += [f"NEW {side} isolated by {p}" for side, p in c.cause.now_isolated_by if not c.gained]
    return "; ".join(parts) or "-"


RENDERERS: Mapping[str, Callable[[DiffResult], str]] = {
    "md": render_md,
    "json": lambda result: _json.dumps(diff_json(result), indent=1),
    "txt": render_txt,
}
