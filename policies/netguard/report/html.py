"""The report as one self-contained HTML file: summary, findings, an inline SVG picture, tables.

Nothing is fetched at view time: styles, the SVG and the filter script are inline. The picture has
a frame per namespace (externals in their own frame on the right), a box per node (endpoints with
identical peers merged) and an arrow per edge labelled with its ports. The filter (a namespace
list and a workload text box, or ``#namespace=NS&workload=TEXT`` in the link) hides the nodes, edges,
findings and table rows that do not involve the choice.
"""

from __future__ import annotations

import html

from .graph import Graph, Node, readable_graph
from .json import summary
from .md import SEVERITY_ORDER, side_text
from .model import Report, ports_text

NODE_W, NODE_H, GAP, FRAME_W, HEADER, COLUMNS, MARGIN = 210, 26, 12, 250, 30, 4, 20
ROW_GAP, COLUMN_GAP = 70, 70  # room for the edges and their labels between frames

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#1f2328}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left}
.high{color:#b3261e;font-weight:600}.medium{color:#9a6700}.low{color:#57606a}
.frame{fill:#f6f8fa;stroke:#8c959f}.frame.external{fill:#fff8c5;stroke:#bf8700}
.frame-title{font-weight:600;font-size:13px}.node rect{fill:#fff;stroke:#0969da}
.node.external rect{stroke:#bf8700}.node text{font-size:12px}
.edge path{fill:none;stroke:#8c959f;stroke-width:1.2}.edge:hover path{stroke:#0969da;stroke-width:2.5}
.label text{font-size:10px;fill:#0550ae;paint-order:stroke;stroke:#fff;stroke-width:3px}
.hidden{display:none}#controls{margin:1em 0;padding:.5em;background:#f6f8fa}
"""

_SCRIPT = """
(function(){
  var ns=document.getElementById('filter-namespace'), wl=document.getElementById('filter-workload');
  function match(el){
    var n=ns.value, w=wl.value.trim().toLowerCase();
    var nss=(el.getAttribute('data-namespaces')||'').split(' ');
    var eps=(el.getAttribute('data-endpoints')||'').toLowerCase();
    return (!n||nss.indexOf(n)>=0)&&(!w||eps.indexOf(w)>=0);
  }
  function apply(){
    var shown=0, ends={};
    document.querySelectorAll('[data-filterable]').forEach(function(el){
      var ok=match(el); el.classList.toggle('hidden',!ok);
      if(ok&&el.classList.contains('edge')){shown++;ends[el.getAttribute('data-source')]=1;ends[el.getAttribute('data-target')]=1;}
    });
    // the peers of the edges shown stay visible, so an arrow never points at nothing
    document.querySelectorAll('.node').forEach(function(el){if(ends[el.id])el.classList.remove('hidden');});
    document.getElementById('shown-edges').textContent=String(shown);
  }
  // A link may preset the filter: report.html#namespace=ai-serving&workload=llm
  var preset=new URLSearchParams(location.hash.slice(1));
  if(preset.get('namespace'))ns.value=preset.get('namespace');
  if(preset.get('workload'))wl.value=preset.get('workload');
  ns.addEventListener('change',apply); wl.addEventListener('input',apply); apply();
  document.body.setAttribute('data-ready','true');
})();
"""


def render_html(report: Report) -> str:
    graph = readable_graph(report, max_nodes=150, max_edges=400)
    s = summary(report)
    namespaces = sorted({e.namespace for e in report.endpoints}, key=lambda n: (n == "external", n))
    options = "".join(f'<option value="{_e(n)}">{_e(n)}</option>' for n in namespaces)
    findings = sorted(report.findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.kind, f.subject))
    rows = "\n".join(
        f'<tr data-filterable data-namespaces="{_e(report.by_id[c.source].namespace)} '
        f'{_e(report.by_id[c.destination].namespace)}" data-endpoints="{_e(c.source)} {_e(c.destination)}">'
        f"<td>{_e(c.source)}</td><td>{_e(c.destination)}</td><td>{_e(ports_text(c.ports))}</td>"
        f"<td>{_e(side_text(c.egress))}</td><td>{_e(side_text(c.ingress))}</td></tr>"
        for c in report.connections
    )
    summary_rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in _summary_rows(s))
    finding_items = "".join(
        f'<li data-filterable data-namespaces="{_e(_namespace_of(report, f.subject))}" data-endpoints="{_e(f.subject)}">'
        f'<span class="{f.severity}">{f.severity}</span> <code>{_e(f.kind)}</code> {_e(f.message)}</li>'
        for f in findings
    ) or "<li>None.</li>"
    note = "<p><em>One node per namespace: the workload graph is too big to draw.</em></p>" if graph.by_namespace else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>netguard report</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>{_STYLE}</style></head>
<body>
<h1>netguard report</h1>
<p>Manifests: {_e(", ".join(report.sources)) or "(given as objects)"}</p>
<h2>Summary</h2><table id="summary">{summary_rows}</table>
<div id="controls">Namespace <select id="filter-namespace"><option value="">all</option>{options}</select>
Workload <input id="filter-workload" placeholder="name contains"> (<span id="shown-edges">0</span> edges shown)</div>
<h2>Findings</h2><ul id="findings">{finding_items}</ul>
<h2>Picture</h2>{note}
{svg(graph, report)}
<h2>Allowed connections ({len(report.connections)})</h2>
<table id="connections"><tr><th>from</th><th>to</th><th>ports</th><th>egress admitted by</th><th>ingress admitted by</th></tr>
{rows}
</table>
<script>{_SCRIPT}</script>
</body></html>
"""


def svg(graph: Graph, report: Report) -> str:
    frames: dict[str, list[Node]] = {}
    for node in graph.nodes:
        frames.setdefault(node.namespace, []).append(node)
    internal = sorted(n for n in frames if n != "external")
    position: dict[str, tuple[int, int]] = {}
    parts: list[str] = []  # frames; the boxes and the labels are drawn over the edges
    boxes: list[str] = []
    x = y = MARGIN
    row_height = 0
    for i, namespace in enumerate(internal):
        if i and i % COLUMNS == 0:
            x, y = MARGIN, y + row_height + ROW_GAP
            row_height = 0
        height = _frame(parts, boxes, position, namespace, frames[namespace], x, y, external=False)
        row_height = max(row_height, height)
        x += FRAME_W + COLUMN_GAP
    width = MARGIN + min(len(internal), COLUMNS) * (FRAME_W + COLUMN_GAP)
    height = y + row_height + MARGIN
    if "external" in frames:
        ext_height = _frame(parts, boxes, position, "external", frames["external"], width + COLUMN_GAP // 2, MARGIN,
                            external=True)
        width += FRAME_W + COLUMN_GAP
        height = max(height, ext_height + 2 * MARGIN)
    edges, labels = zip(*(_edge(e, position, graph, report) for e in graph.edges)) if graph.edges else ((), ())
    return (f'<svg id="picture" xmlns="http://www.w3.org/2000/svg" width="{width + MARGIN}" height="{height}" '
            f'viewBox="0 0 {width + MARGIN} {height}" role="img" aria-label="allowed connections">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a"/></marker></defs>'
            + "".join(parts) + "".join(edges) + "".join(boxes) + "".join(labels) + "</svg>")


def _frame(parts: list[str], boxes: list[str], position: dict, namespace: str, nodes: list[Node], x: int, y: int,
           external: bool) -> int:
    height = HEADER + len(nodes) * (NODE_H + GAP) + GAP
    title = "outside the cluster" if external else namespace
    cls = "frame external" if external else "frame"
    parts.append(f'<g class="namespace" data-namespace="{_e(namespace)}"><rect class="{cls}" x="{x}" y="{y}" '
                 f'width="{FRAME_W}" height="{height}" rx="6"/><text class="frame-title" x="{x + 10}" y="{y + 19}">'
                 f"{_e(title)}</text></g>")
    for j, node in enumerate(nodes):
        nx, ny = x + (FRAME_W - NODE_W) // 2, y + HEADER + j * (NODE_H + GAP)
        position[node.id] = (nx, ny)
        members = " ".join(node.members) or node.namespace
        boxes.append(
            f'<g class="node{" external" if node.external else ""}" id="{node.id}" data-filterable '
            f'data-namespaces="{_e(node.namespace)}" data-endpoints="{_e(members)}">'
            f'<title>{_e(members)}</title><rect x="{nx}" y="{ny}" width="{NODE_W}" height="{NODE_H}" rx="4"/>'
            f'<text x="{nx + 8}" y="{ny + 17}">{_e(_short(node.label))}</text></g>'
        )
    return height


def _edge(edge, position: dict, graph: Graph, report: Report) -> tuple[str, str]:
    """The edge's arrow and, apart (it is drawn above the boxes), its label."""
    (ax, ay), (bx, by) = position[edge.source], position[edge.target]
    ay, by = ay + NODE_H // 2, by + NODE_H // 2
    if bx >= ax + NODE_W:
        x1, x2, bend = ax + NODE_W, bx, 60
    elif bx + NODE_W <= ax:
        x1, x2, bend = ax, bx + NODE_W, -60
    else:  # the same column: loop out to the right
        x1, x2, bend = ax + NODE_W, bx + NODE_W, 0
    c1, c2 = (x1 + bend, x2 - bend) if bend else (x1 + 50, x2 + 50)
    # the label sits on the curve's midpoint: (P0 + 3 P1 + 3 P2 + P3) / 8
    mx, my = (x1 + 3 * c1 + 3 * c2 + x2) / 8, (ay + 3 * ay + 3 * by + by) / 8
    nodes = {n.id: n for n in graph.nodes}
    source, target = nodes[edge.source], nodes[edge.target]
    endpoints = " ".join((*source.members, *target.members)) or f"{source.namespace} {target.namespace}"
    filter_attrs = (f'data-filterable data-namespaces="{_e(source.namespace)} {_e(target.namespace)}" '
                    f'data-endpoints="{_e(endpoints)}"')
    return (f'<g class="edge" {filter_attrs} data-source="{source.id}" data-target="{target.id}">'
            f'<path d="M {x1} {ay} C {c1} {ay}, {c2} {by}, {x2} {by}" marker-end="url(#arrow)"/></g>',
            f'<g class="label" {filter_attrs}><text x="{mx:.0f}" y="{my - 3:.0f}">{_e(_short(edge.label, 40))}</text></g>')


def _summary_rows(s: dict) -> list[tuple[str, str]]:
    def listed(items: list[str]) -> str:
        return (", ".join(items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")) or "none"

    policies = "; ".join(f"{kind}: " + ", ".join(f"{n} {layer}" for layer, n in layers.items())
                         for kind, layers in s["policies"].items()) or "none"
    return [
        ("namespaces", str(s["namespaces"])),
        ("workloads", f"{s['workloads']} (" + ", ".join(f"{n} {k}" for k, n in s["workloads_by_kind"].items()) + ")"),
        ("policies (per kind and layer)", policies),
        ("allowed connections", str(s["connections"])),
        ("not isolated for Ingress / Egress", f"{s['not_isolated']['Ingress']} / {s['not_isolated']['Egress']}"),
        ("reach outside the cluster", listed(s["reaching_outside"])),
        ("reached from outside", listed(s["reached_from_outside"])),
        ("findings", ", ".join(f"{n} {level}" for level, n in s["findings"].items())),
    ]


def _namespace_of(report: Report, subject: str) -> str:
    info = report.by_id.get(subject)
    return info.namespace if info else subject.partition("/")[0]


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _e(text: str) -> str:
    return html.escape(text, quote=True)
