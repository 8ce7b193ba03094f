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
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Optional

from netguard.cidr import IPBlock
from netguard.labels import NAMESPACE_NAME
from netguard.model import NetworkPolicy, Peer, Rule
from netguard.selectors import LabelSelector, Requirement

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
        selector = peer.namespace_selector
        if selector is None or not self.open_namespaces:
            return []
        names = sorted(n for n in self.open_namespaces
                       if could_match(selector, {NAMESPACE_NAME: n}) and not selector.matches({NAMESPACE_NAME: n}))
        if not names:
            return []
        by_name = LabelSelector((), (Requirement(NAMESPACE_NAME, "In", frozenset(names)),))
        return [Peer(pod_selector=peer.pod_selector, namespace_selector=by_name)]

    def _meets_pod_network(self, block: IPBlock) -> bool:
        opened = AddressSet.of_intervals(*block.intervals())
        return bool(opened - (opened - self.pod_networks))
