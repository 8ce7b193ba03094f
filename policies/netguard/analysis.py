"""The questions the policy pack and the command ask of a cluster: who can reach whom, and why.

``Analyzer(cluster)`` compiles the policies once. Single pairs (``isolated``, ``allowed``,
``allowed_ports``, ``explain``) are answered by ``evaluate.py`` from the matchers; the whole
matrix by ``bitsets.py`` over equivalence classes of endpoints. Both read the same compiled
policies and must agree.

Two enforcement points: the datapath (NetworkPolicies) and the mesh (``mesh/``: Istio, where the
destination is meshed). ``layer`` selects which must allow: ``datapath``, ``mesh`` or ``all``
(the default: both). This is the one seam where they meet. In ``all``, a connection between two
ambient pods is seen by the datapath as ztunnel's HBONE tunnel (15008/TCP), so the datapath is
asked about that port; with ``datapath`` alone it is asked about the probe as written.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Iterator, Sequence

from .bitsets import PolicyBits, Universe, flows
from .cilium.deny import apply_denies, denials
from .cilium.model import CiliumPolicy
from .classes import EndpointClasses, group_endpoints, iter_bits
from .compile import CompiledPolicy, compile_policy
from .errors import NetguardInputError
from .evaluate import SideVerdict, evaluate_side, policies_by_namespace
from .model import DIRECTIONS, EGRESS, INGRESS, Cluster, Endpoint
from .mesh.bits import MeshBits
from .mesh.evaluate import MESH_PROTOCOL, MeshIndex, MeshVerdict, evaluate_mesh
from .mesh.membership import AMBIENT
from .mesh.model import HBONE_PORT
from .ports import PROTOCOLS, PortSet
from .tiers.bitsets import TierBits
from .tiers.compile import CompiledTiers, compile_tiers
from .tiers.evaluate import evaluate_tiers
from .tiers.isolation import baseline_default_deny

if TYPE_CHECKING:  # explanations are imported when asked for: `reach` never needs them
    from .explain import Explanation

Flow = tuple[str, str, int, str]
DATAPATH, MESH, ALL = "datapath", "mesh", "all"
LAYERS = (DATAPATH, MESH, ALL)


class Analyzer:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.policies: tuple[CompiledPolicy, ...] = tuple(compile_policy(p) for p in cluster.policies)
        # Cilium's specs sit beside the NetworkPolicies in their tier: allows unite, denies win.
        self.cilium: tuple[CiliumPolicy, ...] = cluster.cilium_policies
        self._by_namespace = policies_by_namespace(self.policies + self.cilium)
        self._clusterwide = tuple(p for p in self.cilium if p.namespace is None)
        self.tiers: CompiledTiers = compile_tiers(cluster.tier_policies)
        self.mesh = MeshIndex(cluster)

    # --- one pair --------------------------------------------------------------------------
    def side(self, direction: str, subject_id: str, peer_id: str, protocol: str) -> SideVerdict:
        _check_direction(direction)
        _check_protocol(protocol)
        subject, peer = self.cluster.endpoint(subject_id), self.cluster.endpoint(peer_id)
        policies = self._selecting_candidates(subject)
        verdict = evaluate_side(self.cluster, policies, direction, subject, peer, protocol)
        if self.cilium:
            cilium = [p for p in policies if isinstance(p, CiliumPolicy)]
            verdict = replace(verdict, denials=denials(self.cluster, cilium, direction, subject, peer, protocol))
        if not self.tiers:
            return verdict
        tiered = evaluate_tiers(
            self.tiers, self.cluster, direction, subject, peer, protocol,
            verdict.isolated, verdict.network_policy_ports,
        )
        return verdict if tiered is None else replace(verdict, tiers=tiered)

    def isolated(self, endpoint_id: str, direction: str) -> bool:
        _check_direction(direction)
        endpoint = self.cluster.endpoint(endpoint_id)
        if endpoint.external:
            return False
        labels = self.cluster.namespace_labels(endpoint)
        return any(
            p.rules(direction) is not None and p.isolates(direction) and p.target.matches(endpoint, labels)
            for p in self._selecting_candidates(endpoint)
        )

    def baseline_default_deny(self, endpoint_id: str, direction: str) -> "str | None":
        """The Baseline-tier policy that denies the endpoint everything in ``direction`` (tiers/isolation.py)."""
        _check_direction(direction)
        return baseline_default_deny(self.tiers, self.cluster, self.cluster.endpoint(endpoint_id), direction)

    def _selecting_candidates(self, endpoint: Endpoint) -> tuple:
        """The policies that may select ``endpoint``: its namespace's, and the cluster-wide ones."""
        return self._by_namespace.get(endpoint.namespace, ()) + self._clusterwide

    def allowed_ports(self, src_id: str, dst_id: str) -> dict[str, PortSet]:
        """Protocol -> the ports on which both the source's egress and the destination's ingress allow."""
        return {
            protocol: self.side(EGRESS, src_id, dst_id, protocol).ports
            & self.side(INGRESS, dst_id, src_id, protocol).ports
            for protocol in PROTOCOLS
        }

    def allowed(self, src_id: str, dst_id: str, port: int, protocol: str, layer: str = ALL) -> bool:
        _check_port(port)
        _check_layer(layer)
        if layer != DATAPATH and not self.mesh_verdict(src_id, dst_id, port, protocol).allowed:
            return False
        if layer == MESH:
            return True
        seen = self.datapath_port(src_id, dst_id, port, protocol) if layer == ALL else port
        return seen in self.side(EGRESS, src_id, dst_id, protocol).ports and seen in self.side(
            INGRESS, dst_id, src_id, protocol
        ).ports

    def explain(self, src_id: str, dst_id: str, port: int, protocol: str, layer: str = ALL) -> "Explanation":
        from .explain import Explanation

        _check_port(port)
        _check_layer(layer)
        seen = self.datapath_port(src_id, dst_id, port, protocol) if layer == ALL else port
        mesh = self.mesh_verdict(src_id, dst_id, port, protocol) if layer != DATAPATH else None
        return Explanation.of(
            self.side(EGRESS, src_id, dst_id, protocol),
            self.side(INGRESS, dst_id, src_id, protocol),
            seen,
            mesh=mesh,
            layer=layer,
            probe=port,
        )

    # --- the mesh ----------------------------------------------------------------------------
    def mesh_verdict(self, src_id: str, dst_id: str, port: int, protocol: str) -> MeshVerdict:
        _check_port(port)
        _check_protocol(protocol)
        src, dst = self.cluster.endpoint(src_id), self.cluster.endpoint(dst_id)
        return evaluate_mesh(self.mesh, src, dst, port, protocol)

    def datapath_port(self, src_id: str, dst_id: str, port: int, protocol: str) -> int:
        """The port the datapath sees: ztunnel's HBONE port between two ambient pods, else ``port``."""
        src, dst = self.cluster.endpoint(src_id), self.cluster.endpoint(dst_id)
        if (protocol == MESH_PROTOCOL and self.mesh.dataplane(src) == AMBIENT == self.mesh.dataplane(dst)
                and self.mesh.capture(dst).bypass(port) is None):
            return HBONE_PORT
        return port

    # --- the whole matrix ------------------------------------------------------------------
    @cached_property
    def _classes(self) -> EndpointClasses:
        return group_endpoints(self.cluster)

    @cached_property
    def _universe(self) -> Universe:
        return Universe(self.cluster, self._classes)

    @cached_property
    def _policy_bits(self) -> tuple[PolicyBits, ...]:
        return tuple(self._universe.policy_bits(p) for p in self.policies + self.cilium)

    @cached_property
    def _tier_bits(self) -> "TierBits | None":
        return TierBits(self._universe, self.tiers) if self.tiers else None

    @cached_property
    def _mesh_bits(self) -> MeshBits:
        return MeshBits(self.cluster, self._classes, self.mesh)

    @cached_property
    def _has_cilium_denies(self) -> bool:
        return any(p.denies(INGRESS) or p.denies(EGRESS) for p in self.cilium)

    def _cilium_denies(self, direction, sides, port, protocol):
        return apply_denies(self._universe, self.cilium, direction, sides, port, protocol)

    def _datapath_flows(self, port: int, protocol: str) -> dict[int, int]:
        denies = self._cilium_denies if self._has_cilium_denies else None
        return dict(flows(self._universe, self._policy_bits, port, protocol, self._tier_bits, denies))

    def class_flows(self, port: int, protocol: str, layer: str = ALL) -> dict[int, int]:
        """Destination class -> bitset of the source classes that ``layer`` lets through."""
        everyone = self._universe.everyone
        if layer == MESH:
            result = {d: everyone for d in range(len(self._classes))}
        else:
            result = self._datapath_flows(port, protocol)
        if layer == DATAPATH or protocol != MESH_PROTOCOL or not self._mesh_bits.meshed:
            return result
        mesh = self._mesh_bits
        if layer == ALL and mesh.ambient:
            tunnel = self._datapath_flows(HBONE_PORT, MESH_PROTOCOL)
            for d in iter_bits(mesh.ambient & ~mesh.bypassed(port)):  # ztunnel does not take it in: no tunnel
                result[d] = (result.get(d, 0) & ~mesh.ambient) | (tunnel.get(d, 0) & mesh.ambient)
        for d, admitted in mesh.allowed(port).items():
            result[d] = result.get(d, 0) & admitted
        return {d: bits for d, bits in result.items() if bits}

    def matrix(self, probes: Sequence[tuple[int, str]], layer: str = ALL) -> list[Flow]:
        """Every allowed (source, destination, port, protocol), sorted; an endpoint never with itself."""
        return list(self.iter_matrix(probes, layer))

    def iter_matrix(self, probes: Sequence[tuple[int, str]], layer: str = ALL) -> Iterator[Flow]:
        """The matrix's flows in its order, one source at a time: memory grows with the class pairs
        that are allowed, not with the flows (millions, at a cluster's size). Probes are checked first."""
        _check_layer(layer)
        probes = sorted(set(probes))
        for port, protocol in probes:
            _check_port(port)
            _check_protocol(protocol)
        return self._flows_by_source(probes, layer)

    def _flows_by_source(self, probes: list[tuple[int, str]], layer: str) -> Iterator[Flow]:
        members, class_of = self._classes.members, self._classes.class_of
        # source class -> [(destination class, port, protocol)], from the per-destination bitsets.
        reached: dict[int, list[tuple[int, int, str]]] = {}
        for port, protocol in probes:
            for d, sources in self.class_flows(port, protocol, layer).items():
                for s in iter_bits(sources):
                    reached.setdefault(s, []).append((d, port, protocol))
        for a in sorted(self.cluster.endpoints, key=lambda e: e.id):
            out = [
                (b.id, port, protocol)
                for d, port, protocol in reached.get(class_of[a.id], ())
                for b in members[d]
                if b.id != a.id
            ]
            out.sort()
            for b_id, port, protocol in out:
                yield a.id, b_id, port, protocol

    @property
    def classes(self) -> EndpointClasses:
        """The endpoint classes the whole-matrix paths work on (no selector tells their members apart)."""
        return self._classes

    def declared_probes(self) -> list[tuple[int, str]]:
        """Every (port, protocol) that some endpoint declares, sorted by port then protocol."""
        return sorted({(p.port, p.protocol) for e in self.cluster.endpoints for p in e.ports})


def _check_layer(layer: str) -> None:
    if layer not in LAYERS:
        raise NetguardInputError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}", field="layer")


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise NetguardInputError(f"unknown direction {direction!r}; expected Ingress or Egress", field="direction")


def _check_protocol(protocol: str) -> None:
    if protocol not in PROTOCOLS:
        raise NetguardInputError(
            f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}", field="protocol"
        )


def _check_port(port: int) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise NetguardInputError(f"port {port!r} is not a number in 1-65535", field="port")
