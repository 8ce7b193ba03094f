"""The report as GitHub-flavoured Markdown for a pull-request comment, under a hard cap.

Order: summary, findings, a Mermaid flowchart (a subgraph per namespace, externals apart, edges
labelled with ports, identical peers merged), the namespace matrix, then ``<details>`` blocks with
every connection and the rules that admit it. What the cap cuts is said at the end.
"""

from __future__ import annotations

from typing import Sequence

from .capped import CappedMarkdown
from .graph import Graph, namespace_graph, readable_graph
from .json import namespace_matrix, summary
from .model import Report, Side, ports_text

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def render_md(report: Report, cap: int = 60_000) -> str:
    out = CappedMarkdown(cap, "`netguard report --format json`")
    s = summary(report)
    out.add("## netguard report\n")
    if report.sources:
        out.add("Manifests: " + ", ".join(f"`{p}`" for p in report.sources) + "\n")
    out.section(["### Summary", "", "| | |", "| --- | --- |"], summary_rows(report, s), [""], "summary")
    findings = sorted(report.findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.kind, f.subject))
    counts = s["findings"]
    out.section([f"### Findings ({counts['high']} high, {counts['medium']} medium)", ""],
                [f"- **{f.severity}** `{f.kind}`: {_md(f.message)}" for f in findings] or ["None."], [""],
                "findings", share=0.3)
    graph = readable_graph(report)
    picture = ["### Picture", ""]
    if graph.by_namespace:
        picture.append("_One node per namespace: the workload graph is too big to read here._\n")
    if not out.section(picture, mermaid(graph), [""], "the picture", whole=True) and not graph.by_namespace:
        out.cuts.pop()  # try the smaller picture before saying it was cut
        out.section(["### Picture", "", "_One node per namespace (the workload graph would not fit)._", ""],
                    mermaid(namespace_graph(report)), [""], "the picture", whole=True)
    out.section(["### Namespace matrix", "", "Allowed connections from the row's namespace to the column's.", ""],
                matrix_rows(report), [""], "matrix rows", share=0.15)
    out.section([f"<details><summary>Allowed connections ({len(report.connections)})</summary>", "",
                 "| from | to | ports |", "| --- | --- | --- |"],
                [f"| `{c.source}` | `{c.destination}` | {ports_text(c.ports)} |" for c in report.connections],
                ["", "</details>", ""], "connections", share=0.5)
    out.section(["<details><summary>Why each connection is allowed</summary>", ""],
                [f"- `{c.source}` → `{c.destination}` ({ports_text(c.ports)}): egress {side_text(c.egress)}; "
                 f"ingress {side_text(c.ingress)}" + (f"; mesh {side_text(c.mesh)}" if c.mesh else "")
                 for c in report.connections],
                ["", "</details>", ""], "explanations")
    return out.text()


def summary_rows(report: Report, s: dict) -> list[str]:
    policies = "; ".join(
        f"{kind}: " + ", ".join(f"{n} {layer}" for layer, n in layers.items())
        for kind, layers in s["policies"].items()
    ) or "none"
    outside_out = ", ".join(f"`{e}`" for e in s["reaching_outside"][:10]) or "none"
    outside_in = ", ".join(f"`{e}`" for e in s["reached_from_outside"][:10]) or "none"
    more = lambda items: f" and {len(items) - 10} more" if len(items) > 10 else ""  # noqa: E731
    kinds = ", ".join(f"{n} {k}" for k, n in s["workloads_by_kind"].items())
    return [
        f"| namespaces | {s['namespaces']} |",
        f"| workloads | {s['workloads']} ({kinds}) |" if kinds else f"| workloads | {s['workloads']} |",
        f"| policies (per kind and layer) | {policies} |",
        f"| allowed connections | {s['connections']} |",
        f"| not isolated for Ingress | {s['not_isolated']['Ingress']} |",
        f"| not isolated for Egress | {s['not_isolated']['Egress']} |",
        f"| reach outside the cluster | {outside_out}{more(s['reaching_outside'])} |",
        f"| reached from outside | {outside_in}{more(s['reached_from_outside'])} |",
    ]


def mermaid(graph: Graph) -> list[str]:
    lines = ["```mermaid", "flowchart LR"]
    by_namespace: dict[str, list] = {}
    for node in graph.nodes:
        by_namespace.setdefault("" if graph.by_namespace else node.namespace, []).append(node)
    for i, (namespace, nodes) in enumerate(sorted(by_namespace.items(), key=lambda kv: (kv[0] == "external", kv[0]))):
        indent = "  "
        if namespace:
            title = "outside the cluster" if namespace == "external" else namespace
            lines.append(f'  subgraph ns{i}["{_label(title)}"]')
            indent = "    "
        for node in nodes:
            shape = ('(["', '"])') if node.external else ('["', '"]')
            lines.append(f"{indent}{node.id}{shape[0]}{_label(node.label)}{shape[1]}")
        if namespace:
            lines.append("  end")
    for edge in graph.edges:
        lines.append(f'  {edge.source} -->|"{_label(edge.label)}"| {edge.target}')
    lines.append("```")
    return lines


def matrix_rows(report: Report) -> list[str]:
    counts = namespace_matrix(report)
    namespaces = sorted({ns for pair in counts for ns in pair} | {e.namespace for e in report.endpoints},
                        key=lambda n: (n == "external", n))
    if len(namespaces) > 40:
        return [f"| `{a}` → `{b}` | {n} |" for (a, b), n in sorted(counts.items())]
    rows = ["| from \\ to | " + " | ".join(f"`{n}`" for n in namespaces) + " |",
            "| --- |" + " --- |" * len(namespaces)]
    for a in namespaces:
        rows.append(f"| `{a}` | " + " | ".join(str(counts.get((a, b), "")) or "·" for b in namespaces) + " |")
    return rows


def side_text(side: Side) -> str:
    if side.external:
        return "outside the cluster (no policy applies)"
    parts = [
        f"{r.kind} {r.policy} rule {r.rule}" + (f" [{r.layer}]" if r.layer else "") + (f" [{r.tier} tier]" if r.tier else "")
        + f" on {ports_text(r.ports)}"
        for r in side.rules
    ]
    if side.default:
        parts.append(("not isolated" if not side.isolated else "the API's default")
                      + f" (no rule decides) on {ports_text(side.default)}")
    return "; ".join(parts)


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def _md(text: str) -> str:
    return text.replace("|", "\\|")


__all__: Sequence[str] = ["render_md", "mermaid"]
