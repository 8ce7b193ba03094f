"""Every allowed connection with its full port set per protocol, computed over endpoint classes.

The allowed ports of a pair are a union of the rules' port ranges and named ports (resolved to
declared container ports), intersected between the two sides. Cut the port line of each protocol
at every range's first port, every range's last port + 1, every declared container port and every
port a mesh policy names (and the one after each): inside one resulting interval no rule and no named port tells two ports apart,
so one probe at the interval's first port decides the whole interval, for every pair at once.
Each probe is the Analyzer's whole-matrix evaluation over classes; a class pair's port set is the
union of the intervals whose probe lets it through. Nothing here loops over endpoint pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

from .analysis import Analyzer
from .classes import iter_bits
from .mesh.evaluate import MESH_PROTOCOL
from .mesh.model import PORT, MeshPolicies
from .ports import MAX_PORT, MIN_PORT, PROTOCOLS, PortRange, PortSet

PortsByProtocol = Mapping[str, PortSet]


@dataclass(frozen=True)
class ClassConnection:
    """Source class -> destination class, and on which ports (only non-empty protocols)."""

    source: int
    destination: int
    ports: PortsByProtocol


def port_intervals(analyzer: Analyzer) -> list[tuple[str, int, int]]:
    """(protocol, first, last): the intervals inside which every pair's verdict is the same."""
    cuts: dict[str, set[int]] = {p: {MIN_PORT, MAX_PORT + 1} for p in PROTOCOLS}
    for policy in (*analyzer.policies, *analyzer.tiers.all()):  # NetworkPolicies and the cluster tiers
        for rules in (policy.ingress, policy.egress):
            for rule in rules or ():
                for m in rule.ports or ():
                    if isinstance(m, PortRange):
                        cuts[m.protocol] |= {m.first, m.last + 1}
    for endpoint in analyzer.cluster.endpoints:
        for p in endpoint.ports:
            cuts[p.protocol] |= {p.port, p.port + 1}
    for port in _mesh_ports(analyzer.cluster.mesh):
        cuts[MESH_PROTOCOL] |= {port, port + 1}
    out = []
    for protocol in PROTOCOLS:
        points = sorted(cuts[protocol])
        out.extend((protocol, lo, hi - 1) for lo, hi in zip(points, points[1:]))
    return out


def _mesh_ports(mesh: MeshPolicies) -> set[int]:
    """Ports the mesh tells apart: AuthorizationPolicy port checks, PeerAuthentication port modes."""
    ports = {port for pa in mesh.peer_authentications for port, _ in pa.port_modes}
    for policy in mesh.authorization_policies:
        for rule in policy.rules:
            entries = [*(rule.froms or ()), *(rule.tos or ()), rule.when]
            ports |= {p for checks in entries for c in checks if c.attribute == PORT
                      for p in c.patterns if isinstance(p, int)}
    return ports


def class_connections(analyzer: Analyzer) -> Iterator[ClassConnection]:
    """Every connected (source class, destination class) with its port sets, sorted by class numbers.

    A class pair of one class with itself is included (two members may talk); expanding to
    endpoint pairs drops an endpoint with itself.
    """
    intervals = port_intervals(analyzer)
    signatures: dict[tuple[int, int], int] = {}
    for i, (protocol, first, _) in enumerate(intervals):
        bit = 1 << i
        for d, sources in analyzer.class_flows(first, protocol).items():
            for s in iter_bits(sources):
                key = (s, d)
                signatures[key] = signatures.get(key, 0) | bit
    cache: dict[int, PortsByProtocol] = {}
    for (s, d) in sorted(signatures):
        signature = signatures[(s, d)]
        if signature not in cache:
            cache[signature] = _port_sets(intervals, signature)
        yield ClassConnection(s, d, cache[signature])


def _port_sets(intervals: list[tuple[str, int, int]], signature: int) -> PortsByProtocol:
    spans: dict[str, list[tuple[int, int]]] = {}
    for i in iter_bits(signature):
        protocol, first, last = intervals[i]
        spans.setdefault(protocol, []).append((first, last))
    return {p: PortSet.of(spans[p]) for p in PROTOCOLS if p in spans}
