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

import copy
import itertools
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from netguard.errors import Location
from netguard.labels import NAMESPACE_NAME
from netguard.selectors import LabelSelector, parse_selector

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

    def widen(self, manifest: Mapping[str, Any]) -> dict:
        """A well-formed NetworkPolicy whose rules also admit every peer they could admit."""
        manifest = copy.deepcopy(dict(manifest))
        spec = manifest.get("spec") or {}
        for rules_key, peers_key in (("ingress", "from"), ("egress", "to")):
            for rule in spec.get(rules_key) or []:
                if isinstance(rule, dict) and rule.get(peers_key):
                    rule[peers_key] = list(rule[peers_key]) + self._extra_peers(rule[peers_key])
        return manifest

    def _extra_peers(self, peers: list) -> list:
        extra: list = []
        for peer in peers:
            block = peer.get("ipBlock")
            if block is not None:
                if self._meets_pod_network(block):
                    extra.append({"namespaceSelector": {}})
                continue
            if peer.get("namespaceSelector") is None or not self.open_namespaces:
                continue
            selector = parse_selector(peer["namespaceSelector"], Location())
            names = sorted(n for n in self.open_namespaces
                           if could_match(selector, {NAMESPACE_NAME: n}) and not selector.matches({NAMESPACE_NAME: n}))
            if names:
                widened = {"namespaceSelector": {"matchExpressions": [
                    {"key": NAMESPACE_NAME, "operator": "In", "values": names}]}}
                if peer.get("podSelector") is not None:
                    widened["podSelector"] = peer["podSelector"]
                extra.append(widened)
        return extra

    def _meets_pod_network(self, block: Mapping) -> bool:
        opened = AddressSet.cidr(block["cidr"]) - AddressSet.of(block.get("except") or [])
        return bool(opened - (opened - self.pod_networks))
