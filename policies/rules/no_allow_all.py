"""no-allow-all: no NetworkPolicy rule admits every peer or every namespace.

Tier policies (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) are read by
the engine's parser: an Accept/Allow rule whose peer is every namespace's pods, or a networks
peer that covers an IP family, is reported too (it opens above or below every NetworkPolicy).

Why: one rule without `from`/`to`, or with a namespaceSelector that every namespace satisfies, turns
a careful set of policies into an open door: every pod of the cluster (and, for a rule without
peers, every address outside it) reaches the selected pods. The test is semantic, not a pattern:
a peer is "every namespace" when its namespaceSelector admits a namespace that nobody has created
yet, and it has no podSelector limit when its podSelector admits a pod without labels.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

from netguard import labels
from netguard.errors import Location, NetguardInputError
from netguard.selectors import parse_selector
from netguard.tiers.model import ACCEPT
from netguard.tiers.parse import parse_tier_policy

from . import config, network_policies
from .cidrset import AddressSet
from .inputs import resource_object
from .objects import KubeObject
from .stack_model import is_tier_policy
from .reporting import Violation, guarded, unknown_message

NAME = "no-allow-all"

CONFIG = config.schema({
    "exceptions": {
        "type": "array", "items": {"type": "string"}, "default": [],
        "description": ("`namespace/name` (or `name`, cluster-scoped) patterns (fnmatch) of policies "
                        "reviewed and allowed to admit every peer, or that the pack cannot read."),
    },
})

# A namespace and a pod that no policy author can have named: what "anyone" looks like.
_UNSEEN_NAMESPACE = {labels.NAMESPACE_NAME: "netguard-unseen-namespace"}
_UNLABELLED_POD: dict[str, str] = {}


# Entities with which a CiliumNetworkPolicy admits every peer: the whole cluster, or everything.
_CILIUM_EVERYONE = {"all", "cluster", "world", "world-ipv4", "world-ipv6"}


def check(args: Any) -> Iterator[Violation]:
    obj = resource_object(args)
    if obj is None or not network_policies.is_policy_like(obj):
        return
    settings = config.values(CONFIG, args.get_config())
    if any(fnmatch.fnmatchcase(obj.identity, p) for p in settings["exceptions"]):
        return
    if network_policies.is_network_policy(obj):
        yield from check_policy(obj, settings)
    elif is_tier_policy(obj):
        yield from _check_tier(obj, settings)
    elif obj.group == "cilium.io":
        yield from _check_cilium(obj)
    elif not network_policies.is_read_by_pack(obj):
        yield Violation(f"{obj.ref}: the pack cannot read {obj.api_version} {obj.kind}, which may admit "
                        f"traffic that no rule checks; review it and list it in {NAME}'s exceptions, "
                        f"or use a networking.k8s.io/v1 NetworkPolicy")


def check_policy(obj: KubeObject, settings: dict) -> Iterator[Violation]:
    unknown = obj.props.unknown_affecting("spec.ingress", "spec.egress")
    if unknown:
        if settings[config.FAIL_ON_UNKNOWN]:
            yield Violation(unknown_message(obj.ref, unknown))
        return
    malformed = None if obj.patch else network_policies.problem(obj)  # a patch is partial by design
    if malformed:
        # The API server would reject it at update; at preview it must not pass unread.
        yield Violation(f"{malformed}; fix the field so that the policy can be checked")
        return
    # A patch is partial: both directions may become effective once merged.
    effective = {"Ingress", "Egress"} if obj.patch else network_policies.effective_directions(obj)
    for direction, rules_key, peers_key in (("ingress", "ingress", "from"), ("egress", "egress", "to")):
        if direction.capitalize() not in effective:
            continue  # Kubernetes ignores the rules of a direction the policy does not have
        rules = obj.get("spec", rules_key, default=None)
        for index, rule in enumerate(rules if isinstance(rules, list) else []):
            where = f"spec.{rules_key}[{index}]"
            yield from _check_rule(obj, rule, where, peers_key, direction)


def _check_rule(obj: KubeObject, rule: Any, where: str, peers_key: str, direction: str) -> Iterator[Violation]:
    peers = rule.get(peers_key) if isinstance(rule, dict) else None
    side = "from" if direction == "ingress" else "to"
    if not peers:
        yield Violation(f"{obj.ref}: {where} has no `{peers_key}`, so it admits every peer {side} "
                        f"anywhere, inside the cluster and out; list the peers it is for")
        return
    for peer_index, peer in enumerate(peers):
        at = f"{where}.{peers_key}[{peer_index}]"
        if direction == "ingress" and isinstance(peer, dict) and _admits_every_address(peer):
            yield Violation(f"{obj.ref}: {at}.ipBlock admits every address of an IP family, inside "
                            f"the cluster and out; list the CIDRs the traffic really comes from")
        if isinstance(peer, dict) and _admits_every_namespace(obj, peer, at):
            yield Violation(f"{obj.ref}: {at} admits pods of every namespace (its namespaceSelector "
                            f"matches namespaces nobody has created yet, and no podSelector limits "
                            f"it); select the namespaces by kubernetes.io/metadata.name and the "
                            f"pods by their netguard.io/role")


def _check_tier(obj: KubeObject, settings: dict) -> Iterator[Violation]:
    """An Accept/Allow rule of a tier policy that admits every namespace's pods, or every address."""
    unknown = obj.props.unknown_affecting("spec")
    if unknown:
        if settings[config.FAIL_ON_UNKNOWN]:
            yield Violation(unknown_message(obj.ref, unknown))
        return
    try:
        policy = parse_tier_policy(obj.kind, str(obj.name), obj.get("spec"), Location(obj=obj.ref))
    except NetguardInputError as error:
        yield Violation(f"{error}; fix the field so that the policy can be checked")
        return
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for index, rule in enumerate(policy.rules(direction.capitalize())):
            if rule.action != ACCEPT:
                continue  # Deny never opens; Pass hands the traffic to the NetworkPolicies, which are checked
            for peer_index, peer in enumerate(rule.peers):
                at = f"spec.{direction}[{index}].{peers_key}[{peer_index}]"
                if peer.namespaces is not None and peer.namespaces.matches(_UNSEEN_NAMESPACE) and (
                        peer.pods is None or peer.pods.matches(_UNLABELLED_POD)):
                    yield Violation(f"{obj.ref}: {at} accepts pods of every namespace (its selector matches "
                                    f"namespaces nobody has created yet) above every NetworkPolicy; select "
                                    f"the namespaces by kubernetes.io/metadata.name and the pods by their "
                                    f"netguard.io/role")
                if peer.networks and _covers_a_family(peer.networks):
                    yield Violation(f"{obj.ref}: {at}.networks accepts every address of an IP family, pods "
                                    f"included, above every NetworkPolicy; list the CIDRs the traffic is for")


def _covers_a_family(blocks) -> bool:
    opened = AddressSet.of([str(b.cidr) for b in blocks])
    return opened.covers_every_address(4) or opened.covers_every_address(6)


def _check_cilium(obj: KubeObject) -> Iterator[Violation]:
    specs = [("spec", obj.get("spec"))] + [(f"specs[{i}]", s) for i, s in enumerate(obj.get("specs", default=[]) or [])]
    for where, spec in specs:
        for rules_key, entities_key in (("ingress", "fromEntities"), ("egress", "toEntities")):
            rules = spec.get(rules_key) if isinstance(spec, dict) else None
            for index, rule in enumerate(rules if isinstance(rules, list) else []):
                entities = rule.get(entities_key) if isinstance(rule, dict) else None
                everyone = sorted(set(entities if isinstance(entities, list) else []) & _CILIUM_EVERYONE)
                if everyone:
                    yield Violation(f"{obj.ref}: {where}.{rules_key}[{index}].{entities_key} has "
                                    f"{', '.join(everyone)}, which admits every peer of the cluster or "
                                    f"beyond; select the endpoints the traffic is for")


def _admits_every_address(peer: dict) -> bool:
    block = peer.get("ipBlock")
    if not isinstance(block, dict):
        return False
    try:
        opened = AddressSet.cidr(block.get("cidr")) - AddressSet.of(block.get("except") or [])
    except (ValueError, TypeError):
        return False  # check_policy reported the malformed block already
    return opened.covers_every_address(4) or opened.covers_every_address(6)


def _admits_every_namespace(obj: KubeObject, peer: dict, at: str) -> bool:
    if "namespaceSelector" not in peer or peer["namespaceSelector"] is None:
        return False
    location = Location(obj=obj.ref, field=at)
    try:
        namespaces = parse_selector(peer["namespaceSelector"], location.key("namespaceSelector"))
        pods = (parse_selector(peer["podSelector"], location.key("podSelector"))
                if peer.get("podSelector") is not None else None)
    except NetguardInputError:
        return False  # check_policy reported the malformed selector already
    return namespaces.matches(_UNSEEN_NAMESPACE) and (pods is None or pods.matches(_UNLABELLED_POD))


POLICY = ResourceValidationPolicy(
    name=NAME,
    description="No NetworkPolicy rule admits every peer or every namespace.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG,
    validate=guarded(check),
)
