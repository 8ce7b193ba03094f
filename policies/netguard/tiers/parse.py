"""Reading tier policy manifests into the model, validated as the API server's CRD schema does.

Every field that changes traffic is checked; an unknown field, action, protocol or peer kind is an
error, never ignored (a misspelt ``egres`` would leave a guardrail silently open). What the
schema requires is required here: ``subject`` with exactly one of namespaces/pods, a rule's
``action`` and its non-empty ``from``/``to``, exactly one field per peer and per port entry, the
item limits, priorities in 0-1000, a BaselineAdminNetworkPolicy named ``default``, domainNames only
in Accept rules. Two checks are read as the Go types decode, not as the CRD's schema refuses: an
absent namespaceSelector or podSelector of a ``pods`` subject or peer is the empty selector, and a
named port beside a networks, nodes or domainNames peer (refused by the experimental CRD's CEL
rule) resolves on the destination pods as everywhere, so it never matches an external address;
analysers and implementations read such manifests that way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..cidr import IPBlock, parse_network
from ..errors import Location, kind_of, unknown_key
from ..model import EGRESS, INGRESS
from ..ports import PortMatcher
from ..selectors import LabelSelector, parse_selector
from .model import (
    ACCEPT, ADMIN, ADMIN_NETWORK_POLICY, BASELINE, BASELINE_ADMIN_NETWORK_POLICY, CLUSTER_NETWORK_POLICY,
    DENY, PASS, TIERS, Subject, TierPeer, TierPolicy, TierRule,
)
from .parse_ports import one_key, parse_ports_entry, parse_protocols_entry

GROUP = "policy.networking.k8s.io"
MAX_PRIORITY = 1000
MAX_RULE_NAME = 100
# As the CRD's pattern (which also admits the character range A-z, as written upstream).
_DOMAIN = re.compile(r"^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$")


@dataclass(frozen=True)
class Dialect:
    """What one kind of one API version accepts."""

    kind: str
    api_version: str
    spec_fields: frozenset[str]
    actions: Mapping[str, str]  # as written -> ACCEPT/DENY/PASS
    egress_peers: tuple[str, ...]
    max_items: int  # rules per direction, peers per rule, port entries per rule
    ports_key: str
    parse_port: Callable[[Any, Location], tuple[PortMatcher, ...]]


_INGRESS_PEERS = ("namespaces", "pods")
DIALECTS = {
    CLUSTER_NETWORK_POLICY: Dialect(
        CLUSTER_NETWORK_POLICY, f"{GROUP}/v1alpha2",
        frozenset({"tier", "priority", "subject", "ingress", "egress"}),
        {"Accept": ACCEPT, "Deny": DENY, "Pass": PASS},
        ("namespaces", "pods", "nodes", "networks", "domainNames"), 25, "protocols", parse_protocols_entry,
    ),
    ADMIN_NETWORK_POLICY: Dialect(
        ADMIN_NETWORK_POLICY, f"{GROUP}/v1alpha1",
        frozenset({"priority", "subject", "ingress", "egress"}),
        {"Allow": ACCEPT, "Deny": DENY, "Pass": PASS},
        ("namespaces", "pods", "nodes", "networks", "domainNames"), 100, "ports", parse_ports_entry,
    ),
    BASELINE_ADMIN_NETWORK_POLICY: Dialect(
        BASELINE_ADMIN_NETWORK_POLICY, f"{GROUP}/v1alpha1",
        frozenset({"subject", "ingress", "egress"}),
        {"Allow": ACCEPT, "Deny": DENY},
        ("namespaces", "pods", "nodes", "networks"), 100, "ports", parse_ports_entry,
    ),
}
MAX_NETWORKS = 25


def parse_tier_policy(kind: str, name: str, spec: Any, at: Location) -> TierPolicy:
    dialect = DIALECTS[kind]
    if kind == BASELINE_ADMIN_NETWORK_POLICY and name != "default":
        raise at.key("metadata.name").error(
            "a BaselineAdminNetworkPolicy must be named 'default' (the API allows one per cluster)"
        )
    if not isinstance(spec, Mapping):
        raise at.key("spec").error(f"expected a mapping, got {kind_of(spec)}")
    at = at.key("spec")
    unknown = unknown_key(spec, dialect.spec_fields)
    if unknown is not None:
        raise at.key(unknown).error(
            f"unknown field of a {kind} spec (expected {', '.join(sorted(dialect.spec_fields))})"
        )
    tier, priority = _rank(dialect, spec, at)
    subject = _subject(spec.get("subject"), dialect, at.key("subject"))
    ingress = _rules(spec.get("ingress"), INGRESS, dialect, at.key("ingress"))
    egress = _rules(spec.get("egress"), EGRESS, dialect, at.key("egress"))
    return TierPolicy(kind, name, tier, priority, subject, ingress, egress, at.source)


def _rank(dialect: Dialect, spec: Mapping, at: Location) -> tuple[str, Optional[int]]:
    if dialect.kind == BASELINE_ADMIN_NETWORK_POLICY:
        return BASELINE, None
    tier = ADMIN
    if dialect.kind == CLUSTER_NETWORK_POLICY:
        tier = spec.get("tier")
        if tier not in TIERS:
            raise at.key("tier").error(f"expected Admin or Baseline, got {kind_of(tier)}")
    priority = spec.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise at.key("priority").error(f"expected a number in 0-{MAX_PRIORITY}, got {kind_of(priority)}")
    if not 0 <= priority <= MAX_PRIORITY:
        raise at.key("priority").error(f"priority {priority} is outside 0-{MAX_PRIORITY}")
    return tier, priority


def _subject(raw: Any, dialect: Dialect, at: Location) -> Subject:
    if raw is None:
        raise at.error("missing: a policy needs a subject (namespaces or pods)")
    key = one_key(raw, ("namespaces", "pods"), at, "a subject")
    if key == "namespaces":
        return Subject(parse_selector(raw[key], at.key(key)))
    namespaces, pods = _namespaced_pods(raw[key], dialect, at.key(key))
    return Subject(namespaces, pods)


def _namespaced_pods(raw: Any, dialect: Dialect, at: Location) -> tuple[LabelSelector, LabelSelector]:
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a mapping with namespaceSelector and podSelector, got {kind_of(raw)}")
    unknown = unknown_key(raw, {"namespaceSelector", "podSelector"})
    if unknown is not None:
        raise at.key(unknown).error("unknown field (expected namespaceSelector and podSelector)")
    # Both are non-pointer LabelSelectors in the Go types: an absent one decodes to the empty
    # selector (everything), which is how implementations and analysers built on them read it.
    return (
        parse_selector(raw.get("namespaceSelector") or {}, at.key("namespaceSelector")),
        parse_selector(raw.get("podSelector") or {}, at.key("podSelector")),
    )


def _rules(raw: Any, direction: str, dialect: Dialect, at: Location) -> tuple[TierRule, ...]:
    if raw is None:
        return ()
    items = _items(raw, at, dialect.max_items, "rules", minimum=0)
    return tuple(_rule(r, direction, dialect, at.index(i)) for i, r in enumerate(items))


def _items(raw: Any, at: Location, maximum: int, what: str, minimum: int = 1) -> list:
    if not isinstance(raw, list):
        raise at.error(f"expected a list of {what}, got {kind_of(raw)}")
    if len(raw) < minimum:
        raise at.error(f"needs at least {minimum} of {what}")
    if len(raw) > maximum:
        raise at.error(f"at most {maximum} {what} are allowed, got {len(raw)}")
    return raw


def _rule(raw: Any, direction: str, dialect: Dialect, at: Location) -> TierRule:
    peers_key = "from" if direction == INGRESS else "to"
    known = {"name", "action", peers_key, dialect.ports_key}
    if not isinstance(raw, Mapping):
        raise at.error(f"expected a rule mapping with action and {peers_key}, got {kind_of(raw)}")
    unknown = unknown_key(raw, known)
    if unknown is not None:
        raise at.key(unknown).error(f"unknown field of a rule (expected {', '.join(sorted(known))})")
    name = raw.get("name") or ""
    if not isinstance(name, str) or len(name) > MAX_RULE_NAME:
        raise at.key("name").error(f"expected a string of at most {MAX_RULE_NAME} characters")
    action = raw.get("action")
    if action not in dialect.actions:
        raise at.key("action").error(
            f"unknown action {action!r}; a {dialect.kind} rule takes {', '.join(dialect.actions)}"
        )
    if raw.get(peers_key) is None:
        raise at.key(peers_key).error("missing: a rule needs at least one peer")
    peers_at = at.key(peers_key)
    allowed = _INGRESS_PEERS if direction == INGRESS else dialect.egress_peers
    peers = tuple(
        _peer(p, allowed, dialect, peers_at.index(i))
        for i, p in enumerate(_items(raw[peers_key], peers_at, dialect.max_items, "peers"))
    )
    ports = _ports(raw.get(dialect.ports_key), dialect, at.key(dialect.ports_key))
    if dialect.actions[action] != ACCEPT and any(p.domain_names is not None for p in peers):
        raise at.key("action").error("domainNames peers are only supported in Accept/Allow rules")
    return TierRule(name, dialect.actions[action], peers, ports)


def _peer(raw: Any, allowed: tuple[str, ...], dialect: Dialect, at: Location) -> TierPeer:
    key = one_key(raw, allowed, at, "a peer")
    value, at = raw[key], at.key(key)
    if key == "namespaces":
        return TierPeer(namespaces=parse_selector(value, at))
    if key == "pods":
        namespaces, pods = _namespaced_pods(value, dialect, at)
        return TierPeer(namespaces=namespaces, pods=pods)
    if key == "nodes":
        return TierPeer(nodes=parse_selector(value, at))
    if key == "networks":
        items = _items(value, at, MAX_NETWORKS, "CIDRs")
        return TierPeer(networks=tuple(IPBlock(parse_network(c, at.index(i))) for i, c in enumerate(items)))
    items = _items(value, at, MAX_NETWORKS, "domain names")
    for i, domain in enumerate(items):
        if not isinstance(domain, str) or not _DOMAIN.match(domain):
            raise at.index(i).error(f"{domain!r} is not a domain name (an exact name or *.name)")
    return TierPeer(domain_names=tuple(d.rstrip(".").lower() for d in items))


def _ports(raw: Any, dialect: Dialect, at: Location) -> Optional[tuple[PortMatcher, ...]]:
    if raw is None:
        return None  # every port of every protocol
    items = _items(raw, at, dialect.max_items, "port entries")
    return tuple(m for i, p in enumerate(items) for m in dialect.parse_port(p, at.index(i)))
