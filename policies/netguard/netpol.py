"""Parsing and validating a networking.k8s.io/v1 NetworkPolicy manifest into the model.

Validation follows the API server where a mistake could change who can talk to whom: an unknown
spec field (a misspelt ``egres`` would silently leave egress open), a peer with no selector, an
ipBlock combined with selectors, a bad CIDR or except, a bad port, endPort or protocol, a bad
selector, an unknown policyTypes value.
Defaulting follows the API server too (SetDefaults_NetworkPolicy): without policyTypes (or with an
empty list), Ingress always applies and Egress applies when the policy has at least one egress
rule; ``egress: []`` alone does not isolate egress. A missing or null spec.podSelector is ``{}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from .cidr import parse_ip_block
from .errors import Location, kind_of, unknown_key
from .model import DIRECTIONS, EGRESS, INGRESS, NetworkPolicy, Peer, Rule
from .ports import parse_rule_port
from .selectors import parse_selector

SPEC_FIELDS = frozenset({"podSelector", "policyTypes", "ingress", "egress"})


def parse_network_policy(namespace: str, name: str, spec: Any, at: Location) -> NetworkPolicy:
    if not isinstance(spec, Mapping):
        raise at.key("spec").error(f"expected a mapping, got {kind_of(spec)}")
    at = at.key("spec")
    unknown = unknown_key(spec, SPEC_FIELDS)
    if unknown is not None:
        raise at.key(unknown).error(
            f"unknown field of a NetworkPolicy spec (expected {', '.join(sorted(SPEC_FIELDS))})"
        )
    # Missing or null is read as {} (every pod of the namespace), as the API server does: the field
    # is optional in the API reference (kubernetes/kubernetes PR 131354).
    raw_selector = spec.get("podSelector")
    pod_selector = parse_selector({} if raw_selector is None else raw_selector, at.key("podSelector"))
    types = _policy_types(spec, at.key("policyTypes"))
    ingress = _rules(spec.get("ingress"), "from", at.key("ingress"))
    egress = _rules(spec.get("egress"), "to", at.key("egress"))
    return NetworkPolicy(namespace, name, pod_selector, types, ingress, egress, at.source)


def _policy_types(spec: Mapping, at: Location) -> frozenset[str]:
    raw = spec.get("policyTypes")
    if raw is None or raw == []:
        # As SetDefaults_NetworkPolicy: Egress only when there are egress rules (`egress: []` is none).
        return frozenset({INGRESS, EGRESS} if spec.get("egress") else {INGRESS})
    if not isinstance(raw, list):
        raise at.error(f"expected a list of Ingress/Egress, got {kind_of(raw)}")
    for i, value in enumerate(raw):
        if value not in DIRECTIONS:
            raise at.index(i).error(f"unknown policy type {value!r}; expected Ingress or Egress")
    return frozenset(raw)


def _rules(raw: Any, peers_key: str, at: Location) -> tuple[Rule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise at.error(f"expected a list of rules, got {kind_of(raw)}")
    return tuple(_rule(r, peers_key, at.index(i)) for i, r in enumerate(raw))


def _rule(raw: Any, peers_key: str, at: Location) -> Rule:
    if raw is None:
        return Rule()  # "- {}" and "-" alike: all peers, all ports
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a rule mapping with {peers_key} and ports, got {kind_of(raw)}")
    unknown = unknown_key(raw, {peers_key, "ports"})
    if unknown is not None:
        raise at.key(unknown).error(
            f"unknown field of a rule (expected {peers_key} and ports)"
        )
    return Rule(_peers(raw.get(peers_key), at.key(peers_key)), _ports(raw.get("ports"), at.key("ports")))


def _peers(raw: Any, at: Location) -> Optional[tuple[Peer, ...]]:
    if raw is None or raw == []:
        return None  # empty or missing: the rule matches all peers
    if not isinstance(raw, list):
        raise at.error(f"expected a list of peers, got {kind_of(raw)}")
    return tuple(_peer(p, at.index(i)) for i, p in enumerate(raw))


def _peer(raw: Any, at: Location) -> Peer:
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a peer mapping, got {kind_of(raw)}")
    unknown = unknown_key(raw, {"podSelector", "namespaceSelector", "ipBlock"})
    if unknown is not None:
        raise at.key(unknown).error("unknown field of a peer")
    pods, namespaces, block = raw.get("podSelector"), raw.get("namespaceSelector"), raw.get("ipBlock")
    if block is not None:
        if pods is not None or namespaces is not None:
            raise at.key("ipBlock").error(
                "an ipBlock cannot be combined with podSelector or namespaceSelector in one peer"
            )
        return Peer(ip_block=parse_ip_block(block, at.key("ipBlock")))
    if pods is None and namespaces is None:
        raise at.error("a peer needs podSelector, namespaceSelector or ipBlock")
    return Peer(
        pod_selector=None if pods is None else parse_selector(pods, at.key("podSelector")),
        namespace_selector=None
        if namespaces is None
        else parse_selector(namespaces, at.key("namespaceSelector")),
    )


def _ports(raw: Any, at: Location):
    if raw is None or raw == []:
        return None  # empty or missing: the rule matches all ports
    if not isinstance(raw, list):
        raise at.error(f"expected a list of ports, got {kind_of(raw)}")
    # A null entry decodes to the zero NetworkPolicyPort, as `{}`: every port of TCP.
    return tuple(parse_rule_port({} if p is None else p, at.index(i)) for i, p in enumerate(raw))
