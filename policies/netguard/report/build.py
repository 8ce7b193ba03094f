"""Building the report model from the Analyzer: grouped connections, then reasons, then findings.

Connections come from ``connectivity.class_connections`` (whole-matrix probes over classes); the
reasons of each class pair from the Analyzer's per-pair sides, asked once per class pair and per
protocol on a representative of each class. Findings read only the model and the compiled rules.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

from ..admission import admissions, mesh_admissions
from ..analysis import Analyzer
from ..connectivity import class_connections, port_intervals
from ..internet import is_internet
from ..labels import DATA_CLASS, LAYER, ROLE
from ..model import EGRESS, INGRESS, Endpoint
from ..peers import AllPods, AnyPeer, IPBlockPeer, NamespacesByLabel, PodPeer
from ..tiers.model import ACCEPT
from ..ports import PortSet
from .model import (
    AdmittingRule, Connection, EndpointInfo, Finding, PolicyInfo, PortsByProtocol, Report, Side, ports_text,
)


def build_report(analyzer: Analyzer, sources: Sequence[str] = ()) -> Report:
    cluster = analyzer.cluster
    members = analyzer.classes.members
    infos = {e.id: _info(analyzer, e) for e in cluster.endpoints}
    connections: list[Connection] = []
    intervals = port_intervals(analyzer)
    for grouped in class_connections(analyzer):
        src, dst = members[grouped.source][0], members[grouped.destination][0]
        if src.external and dst.external:
            continue  # neither end is in the cluster: no policy of it is involved
        egress = _side(analyzer, EGRESS, src, dst, grouped.ports)
        ingress = _side(analyzer, INGRESS, dst, src, grouped.ports)
        mesh = _mesh_side(analyzer, src, dst, grouped.ports, intervals) if analyzer.cluster.mesh else None
        connections.extend(
            Connection(a.id, b.id, grouped.ports, egress, ingress, mesh)
            for a in members[grouped.source] for b in members[grouped.destination] if a.id != b.id
        )
    connections.sort(key=lambda c: (c.source, c.destination))
    policies = tuple(
        PolicyInfo("NetworkPolicy", p.id, p.labels.get(LAYER, "")) for p in cluster.policies
    ) + tuple(PolicyInfo(p.kind, p.id, "", p.tier) for p in cluster.tier_policies) + tuple(
        PolicyInfo("PeerAuthentication", p.id, "mesh") for p in cluster.mesh.peer_authentications
    ) + tuple(PolicyInfo("AuthorizationPolicy", p.id, "mesh") for p in cluster.mesh.authorization_policies)
    namespaces = tuple(n for n in cluster.namespaces)
    findings = tuple(_findings(analyzer, infos, connections))
    return Report(
        tuple(sources), namespaces, tuple(infos.values()), policies, tuple(connections), findings, infos,
    )


def _info(analyzer: Analyzer, e: Endpoint) -> EndpointInfo:
    return EndpointInfo(
        e.id, e.namespace, e.name, e.kind, e.external, is_internet(e),
        e.labels.get(ROLE, ""), e.labels.get(DATA_CLASS, ""),
        analyzer.isolated(e.id, INGRESS), analyzer.isolated(e.id, EGRESS),
    )


def _side(analyzer: Analyzer, direction: str, subject: Endpoint, peer: Endpoint, allowed: PortsByProtocol) -> Side:
    isolated, external, selecting = False, subject.external, ()
    rules: dict[tuple[str, int], AdmittingRule] = {}
    default: dict[str, PortSet] = {}
    for protocol, ports in allowed.items():
        verdict = analyzer.side(direction, subject.id, peer.id, protocol)
        isolated, selecting = verdict.isolated, verdict.selecting
        covered = PortSet()
        for a in admissions(verdict, ports):
            covered = covered | a.ports
            key = (a.policy_id, a.rule_index)
            previous = rules.get(key)
            by_protocol = dict(previous.ports) if previous else {}
            by_protocol[protocol] = by_protocol.get(protocol, PortSet()) | a.ports
            rules[key] = AdmittingRule(a.kind, a.policy_id, a.layer, a.rule_index, a.description, by_protocol, a.tier)
        rest = ports - covered
        if not rest.is_empty():
            default[protocol] = rest
    order = list(rules)  # evaluation order: Admin tier, NetworkPolicies, Baseline tier
    return Side(direction, isolated, external, tuple(selecting), tuple(rules[k] for k in order), default)


def _mesh_side(analyzer: Analyzer, src: Endpoint, dst: Endpoint, allowed: PortsByProtocol, intervals) -> Optional[Side]:
    """The destination's mesh: the AuthorizationPolicy ALLOW rules that admit the ports (None: no mesh there)."""
    applies, rules = False, []
    for protocol, ports in allowed.items():
        here, found = mesh_admissions(analyzer, src.id, dst.id, protocol, ports, intervals)
        applies = applies or here
        rules += [AdmittingRule(a.kind, a.policy_id, a.layer, a.rule_index, a.description, {protocol: a.ports})
                  for a in found]
    if not applies:
        return None
    default = {}
    for protocol, ports in allowed.items():
        covered = PortSet()
        for r in rules:
            covered = covered | r.ports.get(protocol, PortSet())
        if not (ports - covered).is_empty():
            default[protocol] = ports - covered
    return Side("Mesh", bool(rules), False, (), tuple(rules), default)


def _findings(analyzer: Analyzer, infos: dict[str, EndpointInfo], connections: list[Connection]) -> Iterable[Finding]:
    for info in infos.values():
        if info.external:
            continue
        for direction, isolated in ((INGRESS, info.isolated_ingress), (EGRESS, info.isolated_egress)):
            if not isolated:
                opened = "every peer may reach it" if direction == INGRESS else "it may reach every peer"
                rest = "only the cluster tiers' rules limit it" if analyzer.tiers else f"{opened} on every port"
                yield Finding("high", "not-isolated", info.id,
                              f"{info.kind} {info.id} is not isolated for {direction} by any NetworkPolicy: {rest}")
    yield from _allow_all_rules(analyzer)
    internet_out: dict[str, list[str]] = {}
    internet_in: dict[str, list[str]] = {}
    for c in connections:
        src, dst = infos[c.source], infos[c.destination]
        if dst.internet and not src.external:
            internet_out.setdefault(src.id, []).append(f"{dst.name}: {ports_text(c.ports)}")
        if src.internet and not dst.external:
            internet_in.setdefault(dst.id, []).append(f"{src.name}: {ports_text(c.ports)}")
    for endpoint_id, targets in sorted(internet_out.items()):
        yield Finding("medium", "internet-egress", endpoint_id,
                      f"{endpoint_id} may send to the internet ({'; '.join(targets[:5])}{_more(targets)})")
    for endpoint_id, origins in sorted(internet_in.items()):
        yield Finding("high", "internet-ingress", endpoint_id,
                      f"{endpoint_id} may be reached from the internet ({'; '.join(origins[:5])}{_more(origins)})")
    for endpoint_id in sorted(reached_from_every_namespace(infos.values(), connections)):
        yield Finding("high", "every-namespace", endpoint_id,
                      f"{endpoint_id} may be reached from every namespace")


def reached_from_every_namespace(endpoints: Iterable[EndpointInfo], connections: Iterable[Connection]) -> set[str]:
    """Cluster endpoints that some endpoint of every other namespace may reach (with two namespaces or more)."""
    infos = {e.id: e for e in endpoints}
    internal = {e.namespace for e in infos.values() if not e.external}
    if len(internal) < 2:
        return set()
    origins: dict[str, set[str]] = {}
    for c in connections:
        src, dst = infos[c.source], infos[c.destination]
        if not src.external and not dst.external:
            origins.setdefault(dst.id, set()).add(src.namespace)
    return {d for d, namespaces in origins.items() if namespaces | {infos[d].namespace} >= internal}


def _more(items: list[str]) -> str:
    return f"; and {len(items) - 5} more" if len(items) > 5 else ""


def _allow_all_rules(analyzer: Analyzer) -> Iterable[Finding]:
    compiled = [("NetworkPolicy", p.id, p.ingress, p.egress) for p in analyzer.policies]
    compiled += [(p.label, p.id, _accepts(p.ingress), _accepts(p.egress)) for p in analyzer.tiers.all()]
    for label, policy_id, ingress, egress in compiled:
        for direction, rules in ((INGRESS, ingress), (EGRESS, egress)):
            for rule in rules or ():
                wide = [p for p in rule.peers if _admits_everyone(p)]
                if not wide:
                    continue
                on = "every port" if rule.ports is None else "the listed ports"
                name = f"{label} {policy_id}" if label == "NetworkPolicy" else label
                yield Finding(
                    "high", "allow-all-rule", policy_id,
                    f"{name} {direction.lower()} rule {rule.origin.index} admits "
                    f"{wide[0].describe()} on {on} ({rule.describe()})",
                )


def _accepts(rules) -> tuple:
    return tuple(r for r in rules if r.action == ACCEPT)


def _admits_everyone(peer: object) -> bool:
    if isinstance(peer, AnyPeer):
        return True
    if isinstance(peer, PodPeer):
        return isinstance(peer.namespaces, NamespacesByLabel) and peer.namespaces.selector.is_empty \
            and isinstance(peer.pods, AllPods)
    if isinstance(peer, IPBlockPeer):
        return peer.block.cidr.prefixlen == 0 and not peer.block.excepts
    return False
