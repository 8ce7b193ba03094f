"""Compiling a tier policy into the engine's matchers: whom it selects, and per rule its peers.

The same matchers as NetworkPolicies: a subject is a ``PodPeer`` (namespaces by label AND pods by
label), a namespaces/pods peer a ``PodPeer``, each CIDR of a networks peer an ``IPBlockPeer``
(matched against pod IPs as well as external addresses, as the API says), domainNames a
``DomainPeer`` and nodes a ``NodesPeer``. Ports are the engine's ``PortRange``/``NamedPort``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Callable, Optional, TypeVar

from ..model import EGRESS, INGRESS
from ..peers import AllPods, DomainPeer, IPBlockPeer, NamespacesByLabel, NodesPeer, PeerMatcher, PodPeer, RuleRef, pod_part
from ..compile import describe_rule, with_name_peer
from ..ports import PortMatcher
from .model import ACCEPT, ADMIN, ADMIN_NETWORK_POLICY, BASELINE, DENY, PASS, TierPeer, TierPolicy, TierRule

VERBS = {ACCEPT: "accepts", DENY: "denies", PASS: "passes"}


@dataclass(frozen=True)
class CompiledTierRule:
    origin: RuleRef
    name: str
    action: str
    peers: tuple[PeerMatcher, ...]
    ports: Optional[tuple[PortMatcher, ...]]  # None: every port of every protocol

    def describe(self) -> str:
        return describe_rule(self.origin, self.peers, self.ports)

    @property
    def title(self) -> str:
        """``rule 1 'deny-untrusted'`` (the name only when the rule has one)."""
        return f"rule {self.origin.index}" + (f" {self.name!r}" if self.name else "")

    @property
    def unmodelled(self) -> bool:
        return any(isinstance(p, NodesPeer) for p in self.peers)


@dataclass(frozen=True)
class CompiledTierPolicy:
    policy: TierPolicy
    subject: PodPeer
    ingress: tuple[CompiledTierRule, ...]
    egress: tuple[CompiledTierRule, ...]

    @property
    def id(self) -> str:
        return self.policy.id

    @property
    def label(self) -> str:
        return self.policy.label

    def rules(self, direction: str) -> tuple[CompiledTierRule, ...]:
        return self.ingress if direction == INGRESS else self.egress


@dataclass(frozen=True)
class CompiledTiers:
    """The tier policies in evaluation order: per tier, groups of equal priority, ascending."""

    admin: tuple[tuple[CompiledTierPolicy, ...], ...]
    baseline: tuple[tuple[CompiledTierPolicy, ...], ...]

    def __bool__(self) -> bool:
        return bool(self.admin or self.baseline)

    def all(self) -> tuple[CompiledTierPolicy, ...]:
        return tuple(p for group in self.admin + self.baseline for p in group)


P = TypeVar("P")


def split_by_api(groups: tuple[tuple[P, ...], ...], policy_of: Callable[[P], TierPolicy]):
    """The Admin groups of v1alpha1 AdminNetworkPolicies and of v1alpha2 ClusterNetworkPolicies, when
    both exist (else None): the API defines no order between the two, so each alone must decide alike."""
    def only(old: bool) -> tuple[tuple[P, ...], ...]:
        picked = (tuple(p for p in g if (policy_of(p).kind == ADMIN_NETWORK_POLICY) == old) for g in groups)
        return tuple(g for g in picked if g)

    old, new = only(True), only(False)
    return (old, new) if old and new else None


def compile_tiers(policies: tuple[TierPolicy, ...]) -> CompiledTiers:
    compiled = [compile_tier_policy(p) for p in policies]
    return CompiledTiers(_groups(compiled, ADMIN), _groups(compiled, BASELINE))


def _groups(compiled: list[CompiledTierPolicy], tier: str) -> tuple[tuple[CompiledTierPolicy, ...], ...]:
    ranked = sorted((p for p in compiled if p.policy.tier == tier), key=lambda p: (_rank(p), p.id))
    return tuple(tuple(group) for _, group in groupby(ranked, key=_rank))


def _rank(p: CompiledTierPolicy) -> int:
    return -1 if p.policy.priority is None else p.policy.priority


def compile_tier_policy(policy: TierPolicy) -> CompiledTierPolicy:
    subject = PodPeer(
        NamespacesByLabel(policy.subject.namespaces), pod_part(policy.subject.pods), RuleRef(policy.id, "", 0)
    )
    return CompiledTierPolicy(policy, subject, _rules(policy, INGRESS), _rules(policy, EGRESS))


def _rules(policy: TierPolicy, direction: str) -> tuple[CompiledTierRule, ...]:
    return tuple(
        _rule(rule, RuleRef(policy.id, direction, i)) for i, rule in enumerate(policy.rules(direction), start=1)
    )


def _rule(rule: TierRule, origin: RuleRef) -> CompiledTierRule:
    # A name's addresses are unknown: Accept and Pass take it when it may resolve into their
    # networks, Deny only when every address of both families is denied.
    peers = with_name_peer(tuple(m for p in rule.peers for m in _peer(p, origin)), origin, rule.action == DENY)
    return CompiledTierRule(origin, rule.name, rule.action, peers, rule.ports)


def _peer(peer: TierPeer, origin: RuleRef) -> tuple[PeerMatcher, ...]:
    if peer.networks is not None:
        return tuple(IPBlockPeer(block, origin) for block in peer.networks)
    if peer.domain_names is not None:
        return (DomainPeer(peer.domain_names, origin),)
    if peer.nodes is not None:
        return (NodesPeer(peer.nodes, origin),)
    pods = AllPods() if peer.pods is None else pod_part(peer.pods)
    return (PodPeer(NamespacesByLabel(peer.namespaces), pods, origin),)
