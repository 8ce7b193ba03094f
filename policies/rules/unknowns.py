"""Unknowns made explicit, so that the engine's exact answers over-approximate what is allowed.

The engine answers exactly for fully known manifests. At preview much is not known: the values of
the labels controllers add to pods, the labels of namespaces the stack does not declare, the IPs
pods get. The pack never lets an unknown make a rule pass: it rewrites the stack into a fully
known cluster in which every connection that *could* be allowed is allowed, and a pod counts as
isolated only when it is isolated *whatever* the unknown values are.

- Pod labels whose values are unknown: each workload becomes *witness pods*, one per combination
  of values that the stack's selectors can tell apart (each value a selector names, plus one no
  selector names, plus absence where the label may be missing). A selector matches a real pod
  exactly when it matches one of its witnesses, so "some witness reaches training" and "every
  witness is isolated" are the sound questions. Bounded: past ``WITNESS_LIMIT`` combinations the
  workload is left out and the rules fail closed.
- Namespaces not declared in the stack: only `kubernetes.io/metadata.name` is known. A peer whose
  namespaceSelector *could* match such a namespace gets a sibling peer naming it.
- Pod IPs: an ipBlock that meets the cluster's pod or Service networks (config; default every
  address) may match any pod, so its rule also admits every pod of every namespace.
- Cluster tier policies (`widen_tiers`): the same unknowns in their subjects and peers, read by
  action. A match that may happen counts for an Accept, and a Deny counts only where it surely
  matches. A Pass hands the decision down, which is neither more nor less than what the tier's later
  rules decide; a Pass that may match is read as not matching when no later rule of its tier
  denies, as matching when none accepts, and as an Accept when some do both.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Optional

from netguard.cidr import IPBlock
from netguard.labels import NAMESPACE_NAME
from netguard.model import NetworkPolicy, Peer, Rule
from netguard.selectors import LabelSelector, Requirement
from netguard.tiers.model import ACCEPT, DENY, TierPeer, TierPolicy, TierRule

from .cidrset import AddressSet
from .pod_templates import MAYBE, PodShape

WITNESS_LIMIT = 64
_FRESH = "netguard-unknown-value"


@dataclass(frozen=True)
class Vocabulary:
    """Pod label keys the stack's pod selectors mention, with the values they name."""

    values: Mapping[str, frozenset[str]]

    @staticmethod
    def of(selectors: Iterable[LabelSelector]) -> "Vocabulary":
        found: dict[str, set[str]] = {}
        for selector in selectors:
            for key, value in selector.match_labels:
                found.setdefault(key, set()).add(value)
            for requirement in selector.expressions:
                found.setdefault(requirement.key, set()).update(requirement.values)
        return Vocabulary({key: frozenset(values) for key, values in found.items()})


def fresh_value(taken: Iterable[str]) -> str:
    """A value no selector names: it stands for every value nobody wrote down."""
    taken = set(taken)
    value, n = _FRESH, 0
    while value in taken:
        n += 1
        value = f"{_FRESH}-{n}"
    return value


def witnesses(shape: PodShape, vocabulary: Vocabulary, limit: int = WITNESS_LIMIT) -> Optional[list[dict[str, str]]]:
    """The label sets that stand for every pod of the shape; None when there are more than ``limit``."""
    unknown = dict(shape.unknown)
    if shape.open:
        for key in vocabulary.values:
            if key not in shape.labels:
                unknown.setdefault(key, MAYBE)
    choices: list[tuple[str, list[Optional[str]]]] = []
    count = 1
    for key, presence in sorted(unknown.items()):
        named = sorted(vocabulary.values.get(key, frozenset()))
        options: list[Optional[str]] = [*named, fresh_value(named)]
        if presence == MAYBE:
            options.append(None)
        choices.append((key, options))
        count *= len(options)
        if count > limit:
            return None
    base = {k: v for k, v in shape.labels.items() if k not in unknown}
    out = []
    for combination in itertools.product(*(options for _, options in choices)):
        labels = dict(base)
        labels.update({key: value for (key, _), value in zip(choices, combination) if value is not None})
        out.append(labels)
    return out


def could_match(selector: LabelSelector, known: Mapping[str, str]) -> bool:
    """Whether some label set that agrees with ``known`` (other keys free) matches the selector."""
    free: dict[str, list] = {}
    for key, value in selector.match_labels:
        if key in known:
            if known[key] != value:
                return False
        else:
            free.setdefault(key, []).append(("In", frozenset({value})))
    for requirement in selector.expressions:
        if requirement.key in known:
            if not requirement.matches(known):
                return False
        else:
            free.setdefault(requirement.key, []).append((requirement.operator, requirement.values))
    return all(_satisfiable(constraints) for constraints in free.values())


def must_match(selector: LabelSelector, known: Mapping[str, str]) -> bool:
    """Whether every label set that agrees with ``known`` (other keys free) matches the selector."""
    return (all(known.get(key) == value for key, value in selector.match_labels)
            and all(r.key in known and r.matches(known) for r in selector.expressions))


def _satisfiable(constraints: list) -> bool:
    """One free key: can it be absent, or take some value, so that every constraint holds?"""
    must_exist = any(op in ("In", "Exists") for op, _ in constraints)
    must_not = any(op == "DoesNotExist" for op, _ in constraints)
    if not must_exist:
        return True  # absent satisfies NotIn and DoesNotExist
    if must_not:
        return False
    allowed: Optional[frozenset] = None
    for op, values in constraints:
        if op == "In":
            allowed = values if allowed is None else allowed & values
    banned = frozenset().union(*(values for op, values in constraints if op == "NotIn"))
    return allowed is None or bool(allowed - banned)


@dataclass(frozen=True)
class Unknowns:
    """What the cluster leaves open: undeclared namespaces, and where pod and Service IPs lie."""

    open_namespaces: frozenset[str]
    pod_networks: AddressSet

    def widen(self, policy: NetworkPolicy) -> NetworkPolicy:
        """The policy with every rule also admitting every peer it could admit."""
        return replace(policy, ingress=tuple(self._widen_rule(r) for r in policy.ingress),
                       egress=tuple(self._widen_rule(r) for r in policy.egress))

    def _widen_rule(self, rule: Rule) -> Rule:
        if not rule.peers:
            return rule
        extra = [peer for p in rule.peers for peer in self._extra_peers(p)]
        return replace(rule, peers=rule.peers + tuple(dict.fromkeys(extra))) if extra else rule

    def _extra_peers(self, peer: Peer) -> list[Peer]:
        if peer.ip_block is not None:
            return [Peer(namespace_selector=LabelSelector())] if self._meets_pod_network(peer.ip_block) else []
        names = self._could_also_match(peer.namespace_selector)
        return [Peer(pod_selector=peer.pod_selector, namespace_selector=_named(names))] if names else []

    def _could_also_match(self, selector: Optional[LabelSelector]) -> list[str]:
        """Undeclared namespaces the selector may match that the model's labels do not show it matching."""
        if selector is None:
            return []
        return sorted(n for n in self.open_namespaces
                      if could_match(selector, {NAMESPACE_NAME: n}) and not selector.matches({NAMESPACE_NAME: n}))

    def _unsure(self, selector: Optional[LabelSelector]) -> list[str]:
        """Undeclared namespaces the model's labels show the selector matching, though real ones may not."""
        if selector is None:
            return []
        return sorted(n for n in self.open_namespaces
                      if selector.matches({NAMESPACE_NAME: n}) and not must_match(selector, {NAMESPACE_NAME: n}))

    def widen_tiers(self, policies: tuple[TierPolicy, ...]) -> tuple[TierPolicy, ...]:
        """Tier policies read so that what may match counts the way that allows more.

        A policy whose subject may or may not select an undeclared namespace becomes two: one for
        the namespaces it surely selects or surely does not, and one for those it may, where every
        rule's match is only possible.
        """
        out = []
        for policy in policies:
            subject = policy.subject
            unsure = self._unsure(subject.namespaces)
            maybe = sorted({*unsure, *self._could_also_match(subject.namespaces)})
            sure = replace(subject, namespaces=_excluding(subject.namespaces, unsure))
            out.append(self._widen_tier_policy(replace(policy, subject=sure), policies, subject_maybe=False))
            if maybe:
                could = replace(subject, namespaces=_named(maybe))
                out.append(self._widen_tier_policy(replace(policy, subject=could), policies, subject_maybe=True))
        return tuple(out)

    def _widen_tier_policy(self, policy: TierPolicy, policies: tuple[TierPolicy, ...], subject_maybe: bool) -> TierPolicy:
        def direction(rules: tuple[TierRule, ...], name: str) -> tuple[TierRule, ...]:
            return tuple(widened for i, rule in enumerate(rules) for widened in self._widen_tier_rule(
                rule, subject_maybe, _later_actions(policy, policies, name, i)))
        return replace(policy, ingress=direction(policy.ingress, "ingress"), egress=direction(policy.egress, "egress"))

    def _widen_tier_rule(self, rule: TierRule, subject_maybe: bool, later: set[str]) -> list[TierRule]:
        extra = [peer for p in rule.peers for peer in self._extra_tier_peers(p)]
        could = rule.peers + tuple(dict.fromkeys(extra))  # every peer it may match
        sure = () if subject_maybe else tuple(
            replace(p, namespaces=_excluding(p.namespaces, self._unsure(p.namespaces))) for p in rule.peers)
        if rule.action == ACCEPT:
            return [replace(rule, peers=could)]
        if rule.action == DENY or sure == could:
            return [replace(rule, peers=sure)]
        # A Pass that may match: the decision it hands down, or the one the tier's later rules take.
        if DENY not in later:
            return [replace(rule, peers=sure)]  # later rules accept or hand down: not matching allows more
        if ACCEPT not in later:
            return [replace(rule, peers=could)]  # later rules deny or hand down: matching allows more
        return [replace(rule, peers=sure), replace(rule, action=ACCEPT, peers=could)]

    def _extra_tier_peers(self, peer: TierPeer) -> list[TierPeer]:
        if peer.networks is not None:
            return [TierPeer(namespaces=LabelSelector())] if any(map(self._meets_pod_network, peer.networks)) else []
        names = self._could_also_match(peer.namespaces)
        return [replace(peer, namespaces=_named(names))] if names else []

    def _meets_pod_network(self, block: IPBlock) -> bool:
        opened = AddressSet.of_intervals(*block.intervals())
        return bool(opened - (opened - self.pod_networks))


def _named(names: Iterable[str]) -> LabelSelector:
    return LabelSelector((), (Requirement(NAMESPACE_NAME, "In", frozenset(names)),))


def _excluding(selector: Optional[LabelSelector], names: list[str]) -> Optional[LabelSelector]:
    if selector is None or not names:
        return selector
    return replace(selector, expressions=selector.expressions + (Requirement(NAMESPACE_NAME, "NotIn", frozenset(names)),))


def _later_actions(policy: TierPolicy, policies: tuple[TierPolicy, ...], direction: str, index: int) -> set[str]:
    """The actions of the rules a connection meets after rule ``index`` (same tier, same direction)."""
    rank = _rank(policy)
    after = [r.action for r in getattr(policy, direction)[index + 1:]]
    after += [r.action for other in policies if other.id != policy.id and other.tier == policy.tier
              and _rank(other) >= rank for r in getattr(other, direction)]
    return set(after)


def _rank(policy: TierPolicy) -> int:
    return -1 if policy.priority is None else policy.priority
