"""One side of one pair through the tiers, port by port, keeping the decisions that explain it.

For the subject's side (the destination's ingress, the source's egress) and one protocol:
1. the Admin tier, priority groups ascending: in each selecting policy the rules in order, first
   match wins for each port still open; Accept and Deny settle those ports, Pass takes them out of
   the rest of the Admin tier;
2. ports not settled by the Admin tier go to the NetworkPolicies: when one selects the subject
   for this direction, it decides them (final);
3. otherwise the Baseline tier decides them in the same way (Pass does not exist there), and what
   no rule matches is allowed.
Two policies of one tier with the same priority that decide one connection differently are
ambiguous under the API (an implementation may apply either): a ``TierAmbiguityError`` naming both.
So are a v1alpha1 AdminNetworkPolicy and a v1alpha2 Admin ClusterNetworkPolicy that decide one
connection differently when each API's policies are evaluated alone: no API orders one before the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import NetguardInputError
from ..model import INGRESS, Cluster, Endpoint
from ..ports import PortSet, ports_admitted
from .compile import VERBS, CompiledTierPolicy, CompiledTierRule, CompiledTiers, split_by_api
from .model import ACCEPT, ADMIN, DENY, PASS


class TierAmbiguityError(NetguardInputError):
    """Two same-tier policies that no defined order separates decide one connection differently."""


@dataclass(frozen=True)
class TierDecision:
    """A rule that decided ``ports`` of the connection (the ports it matched that were still open)."""

    policy: CompiledTierPolicy
    rule: CompiledTierRule
    ports: PortSet

    @property
    def action(self) -> str:
        return self.rule.action


@dataclass(frozen=True)
class TieredSide:
    decisions: tuple[TierDecision, ...]  # Admin, then Baseline, in evaluation order
    np_isolated: bool  # a NetworkPolicy selects the subject for this direction
    to_network_policies: PortSet  # the ports the Admin tier left open or passed
    ports: PortSet  # where this side allows the traffic, all tiers considered
    unmodelled: tuple[tuple[CompiledTierPolicy, CompiledTierRule], ...] = ()  # nodes peers in scope

    def decision(self, port: int) -> Optional[TierDecision]:
        """The decision for ``port``: an Admin rule's, or (when no NetworkPolicy decides) a Baseline rule's."""
        for d in self.decisions:
            if port in d.ports and (d.policy.policy.tier == ADMIN or not self.np_isolated):
                if d.action != PASS:
                    return d
        return None

    def passed_by(self, port: int) -> Optional[TierDecision]:
        return next((d for d in self.decisions if d.action == PASS and port in d.ports), None)


def evaluate_tiers(
    tiers: CompiledTiers,
    cluster: Cluster,
    direction: str,
    subject: Endpoint,
    peer: Endpoint,
    protocol: str,
    np_isolated: bool,
    np_ports: PortSet,
) -> Optional[TieredSide]:
    """``np_isolated``/``np_ports``: the NetworkPolicy tier's answer for this side (``SideVerdict``)."""
    if subject.external:
        return None  # outside the cluster: no policy applies to it
    by_api = split_by_api(tiers.admin, lambda p: p.policy)
    if by_api:
        _check_one_order(by_api, _Scope(cluster, direction, subject, peer, protocol))
    scope = _Scope(cluster, direction, subject, peer, protocol)
    decisions: list[TierDecision] = []
    open_ports = PortSet.everything()
    for group in tiers.admin:
        open_ports = scope.group(group, open_ports, decisions)
    accepted = _union(d.ports for d in decisions if d.action == ACCEPT)
    denied = _union(d.ports for d in decisions if d.action == DENY)
    undecided = PortSet.everything() - (accepted | denied)
    if np_isolated:
        ports = accepted | (np_ports & undecided)
    else:
        baseline_open = undecided
        for group in tiers.baseline:
            baseline_open = scope.group(group, baseline_open, decisions)
        baseline_denied = _union(d.ports for d in decisions if d.action == DENY) - denied
        ports = accepted | (undecided - baseline_denied)
    return TieredSide(tuple(decisions), np_isolated, undecided, ports, tuple(scope.unmodelled))


def _check_one_order(by_api, scope: "_Scope") -> None:
    """Each API's Admin policies alone: where their first decisions differ, the outcome is the unknown order's."""
    decided = []
    for groups in by_api:
        decisions: list[TierDecision] = []
        open_ports = PortSet.everything()
        for group in groups:
            open_ports = scope.group(group, open_ports, decisions)
        decided.append(decisions)
    for a in decided[0]:
        for b in decided[1]:
            clash = a.ports & b.ports
            if a.action != b.action and not clash.is_empty():
                raise ambiguity((a.policy, a.rule), (b.policy, b.rule), scope.direction, scope.subject, scope.peer,
                                f"{clash.describe()}/{scope.protocol}", why=ACROSS_API_VERSIONS)


class _Scope:
    """The pair, direction and protocol being evaluated, shared by every group."""

    def __init__(self, cluster: Cluster, direction: str, subject: Endpoint, peer: Endpoint, protocol: str):
        self.direction, self.subject, self.peer, self.protocol = direction, subject, peer, protocol
        self.destination = subject if direction == INGRESS else peer
        self.subject_ns = cluster.namespace_labels(subject)
        self.peer_ns = cluster.namespace_labels(peer)
        self.unmodelled: list[tuple[CompiledTierPolicy, CompiledTierRule]] = []

    def group(self, group: tuple[CompiledTierPolicy, ...], open_ports: PortSet, out: list[TierDecision]) -> PortSet:
        """Evaluate one priority group against the ports still open; returns those left open."""
        found = [self.policy(p, open_ports) for p in group if p.subject.matches(self.subject, self.subject_ns)]
        self._check_unambiguous(found)
        for decisions in found:
            for d in decisions:
                out.append(d)
                open_ports = open_ports - d.ports
        return open_ports

    def policy(self, policy: CompiledTierPolicy, open_ports: PortSet) -> list[TierDecision]:
        decisions = []
        for rule in policy.rules(self.direction):
            if open_ports.is_empty():
                break
            if not any(m.matches(self.peer, self.peer_ns) for m in rule.peers):
                if rule.unmodelled and self.peer.external:
                    self.unmodelled.append((policy, rule))
                continue
            ports = ports_admitted(rule.ports, self.protocol, self.destination.ports) & open_ports
            if not ports.is_empty():
                decisions.append(TierDecision(policy, rule, ports))
                open_ports = open_ports - ports
        return decisions

    def _check_unambiguous(self, found: list[list[TierDecision]]) -> None:
        for i, mine in enumerate(found):
            for theirs in found[i + 1:]:
                for a in mine:
                    for b in theirs:
                        clash = a.ports & b.ports
                        if a.action != b.action and not clash.is_empty():
                            raise ambiguity(
                                (a.policy, a.rule), (b.policy, b.rule), self.direction, self.subject, self.peer,
                                f"{clash.describe()}/{self.protocol}",
                            )


SAME_PRIORITY = ("policies of one tier with the same priority are applied in no defined order; "
                 "give them different priorities", "spec.priority")
ACROSS_API_VERSIONS = ("the API defines no order between v1alpha1 AdminNetworkPolicies and v1alpha2 Admin-tier "
                       "ClusterNetworkPolicies; keep one API", "apiVersion")


def ambiguity(
    a: tuple[CompiledTierPolicy, CompiledTierRule],
    b: tuple[CompiledTierPolicy, CompiledTierRule],
    direction: str,
    subject: Endpoint,
    peer: Endpoint,
    on: str,
    why: str = SAME_PRIORITY,
) -> TierAmbiguityError:
    source, destination = (peer, subject) if direction == INGRESS else (subject, peer)
    (pa, ra), (pb, rb) = a, b
    return TierAmbiguityError(
        f"{pa.label} {ra.title} {VERBS[ra.action]} and {pb.label} {rb.title} {VERBS[rb.action]} "
        f"{source.id} -> {destination.id} on {on} ({direction.lower()}): {why[0]}",
        obj=f"{pa.id}, {pb.id}", field=why[1],
    )


def _union(sets) -> PortSet:
    out = PortSet()
    for s in sets:
        out = out | s
    return out


__all__ = ["TierAmbiguityError", "TierDecision", "TieredSide", "evaluate_tiers"]
