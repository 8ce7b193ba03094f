"""The picture's graph: endpoints merged when they have identical peers, edges labelled with ports.

Two endpoints of one namespace with the same connections in and out (same peers, same ports) are
one node (three replicas of a notebook, ten tenant jobs). When even the merged graph is too big to
read, ``namespace_graph`` draws one node per namespace instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Report, ports_text


@dataclass(frozen=True)
class Node:
    id: str
    namespace: str
    members: tuple[str, ...]  # endpoint ids
    label: str
    external: bool


@dataclass(frozen=True)
class Edge:
    source: str  # node ids
    target: str
    label: str


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    by_namespace: bool = False


def connection_graph(report: Report) -> Graph:
    outgoing: dict[str, set[tuple[str, str]]] = {}
    incoming: dict[str, set[tuple[str, str]]] = {}
    for c in report.connections:
        label = ports_text(c.ports)
        outgoing.setdefault(c.source, set()).add((c.destination, label))
        incoming.setdefault(c.destination, set()).add((c.source, label))
    groups: dict[tuple, list[str]] = {}
    for e in report.endpoints:
        key = (e.namespace, e.external, frozenset(outgoing.get(e.id, ())), frozenset(incoming.get(e.id, ())))
        groups.setdefault(key, []).append(e.id)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[1][0]))
    nodes, node_of = [], {}
    for n, ((namespace, external, _, _), members) in enumerate(ordered):
        names = [report.by_id[m].name for m in members]
        label = ", ".join(names) if len(names) <= 3 else f"{', '.join(names[:2])} +{len(names) - 2} more"
        node = Node(f"n{n}", namespace, tuple(members), label, external)
        nodes.append(node)
        for m in members:
            node_of[m] = node.id
    edges = sorted({Edge(node_of[c.source], node_of[c.destination], ports_text(c.ports)) for c in report.connections},
                   key=lambda e: (int(e.source[1:]), int(e.target[1:]), e.label))
    return Graph(tuple(nodes), tuple(edges))


def namespace_graph(report: Report) -> Graph:
    namespaces = sorted({e.namespace for e in report.endpoints}, key=lambda n: (n == "external", n))
    node_of = {ns: f"n{i}" for i, ns in enumerate(namespaces)}
    counts: dict[tuple[str, str], int] = {}
    for c in report.connections:
        key = (report.by_id[c.source].namespace, report.by_id[c.destination].namespace)
        counts[key] = counts.get(key, 0) + 1
    nodes = tuple(Node(node_of[ns], ns, (), ns, ns == "external") for ns in namespaces)
    edges = tuple(Edge(node_of[a], node_of[b], f"{n} connection{'s' if n != 1 else ''}")
                  for (a, b), n in sorted(counts.items()))
    return Graph(nodes, edges, by_namespace=True)


def readable_graph(report: Report, max_nodes: int = 80, max_edges: int = 200) -> Graph:
    graph = connection_graph(report)
    if len(graph.nodes) <= max_nodes and len(graph.edges) <= max_edges:
        return graph
    return namespace_graph(report)
