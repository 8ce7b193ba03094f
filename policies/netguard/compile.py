"""Compiling a NetworkPolicy into matchers: whom it selects, and per rule which peers and ports.

The one place where the API's shorthand becomes explicit: a peer without namespaceSelector means
the policy's own namespace; a missing/empty ``from``/``to`` means any peer; ipBlocks that admit
every IPv4 or every IPv6 address also admit every external name (its addresses are unknown); missing/empty ports
mean any port; a direction the policy's types do not include has no rules at all (``None``),
whatever the manifest lists; a direction it includes with no rules admits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .model import EGRESS, INGRESS, NetworkPolicy, Peer, Rule
from .peers import (
    AnyPeer, IPBlockPeer, NamespacesByLabel, OwnNamespace, PeerMatcher, PodPeer, RuleRef, any_name_peer, pod_part,
)
from .ports import PortMatcher, describe_ports


@dataclass(frozen=True)
class CompiledRule:
    origin: RuleRef
    peers: tuple[PeerMatcher, ...]
    ports: Optional[tuple[PortMatcher, ...]]  # None: every port of every protocol

    def describe(self) -> str:
        return describe_rule(self.origin, self.peers, self.ports)


def describe_rule(origin: RuleRef, peers: tuple[PeerMatcher, ...], ports: Optional[tuple[PortMatcher, ...]]) -> str:
    """How a reviewer reads a rule of any layer: `from <peers> on <ports>` (ingress) or `to ...`."""
    word = "from" if origin.direction == INGRESS else "to"
    return f"{word} {' or '.join(p.describe() for p in peers)} on {describe_ports(ports)}"


@dataclass(frozen=True)
class CompiledPolicy:
    policy: NetworkPolicy
    target: PodPeer  # the pods the policy selects
    ingress: Optional[tuple[CompiledRule, ...]]  # None: the policy does not isolate for ingress
    egress: Optional[tuple[CompiledRule, ...]]

    @property
    def id(self) -> str:
        return self.policy.id

    def rules(self, direction: str) -> Optional[tuple[CompiledRule, ...]]:
        return self.ingress if direction == INGRESS else self.egress

    def isolates(self, direction: str) -> bool:
        """A NetworkPolicy isolates for every direction it has rules for (Cilium's may not)."""
        return self.rules(direction) is not None


def compile_policy(policy: NetworkPolicy) -> CompiledPolicy:
    target = PodPeer(
        OwnNamespace(policy.namespace), pod_part(policy.pod_selector), RuleRef(policy.id, "", 0)
    )
    return CompiledPolicy(
        policy,
        target,
        _direction(policy, INGRESS),
        _direction(policy, EGRESS),
    )


def _direction(policy: NetworkPolicy, direction: str) -> Optional[tuple[CompiledRule, ...]]:
    if direction not in policy.policy_types:
        return None
    return tuple(
        _rule(policy, rule, RuleRef(policy.id, direction, i))
        for i, rule in enumerate(policy.rules(direction), start=1)
    )


def _rule(policy: NetworkPolicy, rule: Rule, origin: RuleRef) -> CompiledRule:
    if rule.peers is None:
        peers: tuple[PeerMatcher, ...] = (AnyPeer(origin),)
    else:
        peers = with_name_peer(tuple(_peer(policy, p, origin) for p in rule.peers), origin)
    return CompiledRule(origin, peers, rule.ports)


def with_name_peer(peers: tuple[PeerMatcher, ...], origin: RuleRef, deny: bool = False) -> tuple[PeerMatcher, ...]:
    """``peers`` and, when their address blocks cover a whole family, the names (peers.any_name_peer)."""
    names = any_name_peer([p.block for p in peers if isinstance(p, IPBlockPeer)], origin, deny)
    return peers if names is None else (*peers, names)


def _peer(policy: NetworkPolicy, peer: Peer, origin: RuleRef) -> PeerMatcher:
    if peer.ip_block is not None:
        return IPBlockPeer(peer.ip_block, origin)
    namespaces = (
        OwnNamespace(policy.namespace)
        if peer.namespace_selector is None
        else NamespacesByLabel(peer.namespace_selector)
    )
    return PodPeer(namespaces, pod_part(peer.pod_selector), origin)
