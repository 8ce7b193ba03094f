"""Evaluation of one ordered pair, one side at a time, straight from the matchers.

This is the plain reading of the API, used for ``allowed``, ``allowed_ports`` and explanations:
the ingress side of the destination and the egress side of the source are each evaluated on
their own; traffic flows when both allow it. A side is isolated when some policy that selects
the endpoint has that direction among its types; an isolated side allows exactly what the union
of those policies' rules admit. Only policies of the endpoint's own namespace can select it.
Named ports are resolved on the destination, for ingress and egress rules alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Optional, Sequence

from .compile import CompiledPolicy
from .labels import LAYER
from .model import INGRESS, Cluster, Endpoint
from .ports import PortSet, ports_admitted

if TYPE_CHECKING:
    from .tiers.evaluate import TieredSide


@dataclass(frozen=True)
class Admission:
    """A rule that admits the peer: its policy, its index (from 1), a description, and on which ports.

    ``kind``, ``layer`` (the policy's ``netguard.io/layer`` label) and ``tier`` say where the rule
    lives, for reports (``admission.py``); other enforcement points set their own kind.
    """

    policy_id: str
    rule_index: int
    description: str
    ports: PortSet
    kind: str = "NetworkPolicy"
    layer: str = ""
    tier: str = ""  # Admin or Baseline for a cluster tier's rule; "" for a NetworkPolicy's


@dataclass(frozen=True)
class SideVerdict:
    """One side of a connection: the destination's ingress or the source's egress."""

    direction: str
    endpoint_id: str  # whose side this is
    peer_id: str  # the other end
    protocol: str
    isolated: bool
    selecting: tuple[str, ...]
    admitting: tuple[Admission, ...]
    external: bool = False  # the endpoint is outside the cluster: no policy can apply to it
    tiers: Optional["TieredSide"] = None  # the cluster tiers' decisions, when tier policies exist
    denials: tuple[Admission, ...] = ()  # Cilium deny rules that match the peer (they win over allows)

    @property
    def ports(self) -> PortSet:
        """The ports of ``protocol`` on which this side allows the traffic."""
        if self.tiers is not None:
            return self.tiers.ports
        return self.network_policy_ports

    @property
    def network_policy_ports(self) -> PortSet:
        """What the NetworkPolicies alone allow on this side."""
        allowed = PortSet.everything() if not self.isolated else PortSet()
        for a in self.admitting if self.isolated else ():
            allowed = allowed | a.ports
        for d in self.denials:
            allowed = allowed - d.ports
        return allowed


def evaluate_side(
    cluster: Cluster,
    policies: Sequence[CompiledPolicy],
    direction: str,
    subject: Endpoint,
    peer: Endpoint,
    protocol: str,
) -> SideVerdict:
    """``policies`` are those of ``subject``'s namespace (others cannot select it)."""
    if subject.external:  # outside the cluster: no policy applies to it
        return SideVerdict(direction, subject.id, peer.id, protocol, False, (), (), external=True)
    destination = subject if direction == INGRESS else peer
    subject_ns = cluster.namespace_labels(subject)
    peer_ns = cluster.namespace_labels(peer)
    selecting: list[str] = []
    admitting: list[Admission] = []
    for compiled in policies:
        rules = compiled.rules(direction)
        if rules is None or not compiled.target.matches(subject, subject_ns):
            continue
        if compiled.isolates(direction):
            selecting.append(compiled.id)
        admitting.extend(rule_admissions(
            compiled.id, rules, peer, peer_ns, protocol, destination, layer=compiled.policy.labels.get(LAYER, "")
        ))
    return SideVerdict(
        direction, subject.id, peer.id, protocol, bool(selecting), tuple(selecting), tuple(admitting)
    )


def rule_admissions(
    policy_id: str, rules: Sequence, peer: Endpoint, peer_ns: Mapping[str, str], protocol: str,
    destination: Endpoint, layer: str = "",
) -> list[Admission]:
    """The rules (allows or denies alike) whose peers match ``peer``, each with the ports it covers."""
    out = []
    for rule in rules:
        matched = next((p for p in rule.peers if p.matches(peer, peer_ns)), None)
        if matched is None:
            continue
        ports = ports_admitted(rule.ports, protocol, destination.ports)
        if not ports.is_empty():
            out.append(Admission(policy_id, rule.origin.index, describe_match(rule, matched, peer), ports, layer=layer))
    return out


def describe_match(rule, matched, peer: Endpoint) -> str:
    """The rule's description; for a name endpoint, also which peer took the name, and why."""
    if peer.domain is None:
        return rule.describe()
    return f"{rule.describe()}; {peer.domain} matched {matched.describe()}"


def policies_by_namespace(policies: Sequence[CompiledPolicy]) -> Mapping[str, tuple[CompiledPolicy, ...]]:
    grouped: dict[str, list[CompiledPolicy]] = {}
    for p in policies:
        if p.policy.namespace is not None:  # cluster-wide Cilium specs are asked of every namespace
            grouped.setdefault(p.policy.namespace, []).append(p)
    return {ns: tuple(ps) for ns, ps in grouped.items()}
