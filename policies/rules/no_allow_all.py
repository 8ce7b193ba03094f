"""no-allow-all: no NetworkPolicy rule admits every peer or every namespace.

Why: one rule without `from`/`to`, or with a namespaceSelector that every namespace satisfies, turns
a careful set of policies into an open door: every pod of the cluster (and, for a rule without
peers, every address outside it) reaches the selected pods. The test is semantic, not a pattern:
a peer is "every namespace" when its namespaceSelector admits a namespace that nobody has created
yet, and it has no podSelector limit when its podSelector admits a pod without labels.

Tier policies (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) are read by
the engine's parser: an Accept/Allow rule whose peer is every namespace's pods, or whose networks
admit most addresses of an IP family, is reported too (it opens above or below every NetworkPolicy).
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterator

from pulumi_policy import EnforcementLevel

from netguard.errors import Location, NetguardInputError
from netguard.selectors import parse_selector
from netguard.tiers.model import ACCEPT
from netguard.tiers.parse import parse_tier_policy

from . import anyone, config, kinds, network_policies, stack_model
from .dual_policy import ResourceAndStackValidationPolicy
from .inputs import resource_objects, stack_objects
from .objects import KubeObject
from .reporting import Violation, guarded, unknown_message

NAME = "no-allow-all"

CONFIG = config.schema({
    "exceptions": {
        "type": "array", "items": {"type": "string"}, "default": [],
        "description": ("`namespace/name` (or `name`, cluster-scoped) patterns (fnmatch) of policies "
                        "reviewed and allowed to admit every peer, or that the pack cannot read."),
    },
})

# Entities with which a CiliumNetworkPolicy admits every peer: the whole cluster, or everything.
_CILIUM_EVERYONE = {"all", "cluster", "world", "world-ipv4", "world-ipv6"}
_CILIUM_NAMESPACE = "io.kubernetes.pod.namespace"


def check(args: Any) -> Iterator[Violation]:
    for obj in resource_objects(args):  # one, or each item of a list resource
        yield from _check_one(obj, args)


def _check_one(obj: KubeObject, args: Any) -> Iterator[Violation]:
    if obj is None or not (network_policies.is_network_policy(obj) or stack_model.is_tier_policy(obj)
                           or kinds.is_cilium_policy(obj)
                           or kinds.allows_traffic_unmodelled(obj)):
        return
    settings = config.values(CONFIG, args.get_config())
    if any(fnmatch.fnmatchcase(obj.identity, p) for p in settings["exceptions"]):
        return
    if network_policies.is_network_policy(obj):
        yield from check_policy(obj, settings)
    elif stack_model.is_tier_policy(obj):
        yield from _check_tier(obj, settings)
    elif obj.group == "cilium.io" and obj.kind in ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"):
        yield from _check_cilium(obj, settings)
    else:
        yield Violation(f"{obj.ref}: the pack cannot read {obj.api_version} {obj.kind}, which may admit "
                        f"traffic that no rule checks; review it and list it in {NAME}'s exceptions, "
                        f"or use a networking.k8s.io/v1 NetworkPolicy")


def check_policy(obj: KubeObject, settings: dict) -> Iterator[Violation]:
    unknown = obj.props.unknown_affecting("spec.ingress", "spec.egress", "spec.policyTypes")
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
        rules = rules if isinstance(rules, list) else []
        found = []
        for index, rule in enumerate(rules):
            where = f"spec.{rules_key}[{index}]"
            found += list(_check_rule(obj, rule, where, peers_key, direction))
        yield from found
        if direction == "ingress" and not found:
            blocks = [peer["ipBlock"] for rule in rules if isinstance(rule, dict)
                      for peer in rule.get("from") or [] if isinstance(peer, dict) and isinstance(peer.get("ipBlock"), dict)]
            if anyone.admits_most_addresses(blocks):
                yield Violation(f"{obj.ref}: spec.ingress: its rules together admit most addresses of an IP "
                                f"family ({anyone.describe(blocks)}); list the CIDRs the traffic really comes from")


def _check_rule(obj: KubeObject, rule: Any, where: str, peers_key: str, direction: str) -> Iterator[Violation]:
    peers = rule.get(peers_key) if isinstance(rule, dict) else None
    side = "from" if direction == "ingress" else "to"
    if not peers:
        yield Violation(f"{obj.ref}: {where} has no `{peers_key}`, so it admits every peer {side} "
                        f"anywhere, inside the cluster and out; list the peers it is for")
        return
    peers = [p for p in peers if isinstance(p, dict)]
    blocks = [p["ipBlock"] for p in peers if isinstance(p.get("ipBlock"), dict)]
    if direction == "ingress" and anyone.admits_most_addresses(blocks):
        yield Violation(f"{obj.ref}: {where}.{peers_key} admits most addresses of an IP family "
                        f"({anyone.describe(blocks)}), inside the cluster and out; list the CIDRs the "
                        f"traffic really comes from")
    location = Location(obj=obj.ref, field=where)
    for peer_index, peer in enumerate(peers):
        if peer.get("namespaceSelector") is None:
            continue  # the policy's own namespace
        at = f"{where}.{peers_key}[{peer_index}]"
        try:
            namespaces = parse_selector(peer["namespaceSelector"], location.key("namespaceSelector"))
            pods = (parse_selector(peer["podSelector"], location.key("podSelector"))
                    if peer.get("podSelector") is not None else None)
        except NetguardInputError:
            continue  # check_policy reported the malformed selector already
        if anyone.admits_any_namespace(namespaces) and (pods is None or anyone.admits_any_pod(pods)):
            yield Violation(f"{obj.ref}: {at} admits pods of every namespace (its namespaceSelector "
                            f"matches namespaces nobody has created yet, and its podSelector, if any, "
                            f"matches pods nobody has labelled); select the namespaces by "
                            f"kubernetes.io/metadata.name and the pods by their netguard.io/role")


def _check_tier(obj: KubeObject, settings: dict) -> Iterator[Violation]:
    """An Accept/Allow rule of a tier policy that admits every namespace's pods, or most addresses."""
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
                continue  # Deny never opens; Pass hands the traffic to the NetworkPolicies, checked themselves
            for peer_index, peer in enumerate(rule.peers):
                at = f"spec.{direction}[{index}].{peers_key}[{peer_index}]"
                if peer.namespaces is not None and anyone.admits_any_namespace(peer.namespaces) and (
                        peer.pods is None or anyone.admits_any_pod(peer.pods)):
                    yield Violation(f"{obj.ref}: {at} accepts pods of every namespace (its selector matches "
                                    f"namespaces nobody has created yet) above every NetworkPolicy; select "
                                    f"the namespaces by kubernetes.io/metadata.name and the pods by their "
                                    f"netguard.io/role")
                blocks = [{"cidr": str(b.cidr)} for b in peer.networks or ()]
                if blocks and anyone.admits_most_addresses(blocks):
                    yield Violation(f"{obj.ref}: {at}.networks accepts most addresses of an IP family "
                                    f"({anyone.describe(blocks)}), pods included, above every NetworkPolicy; "
                                    f"list the CIDRs the traffic is for")


def _check_cilium(obj: KubeObject, settings: dict) -> Iterator[Violation]:
    unknown = obj.props.unknown_affecting("spec", "specs")
    if unknown:
        if settings[config.FAIL_ON_UNKNOWN]:
            yield Violation(unknown_message(obj.ref, unknown))
        return
    clusterwide = obj.kind == "CiliumClusterwideNetworkPolicy"
    specs = [("spec", obj.get("spec"))] + [(f"specs[{i}]", s) for i, s in enumerate(obj.get("specs", default=[]) or [])]
    for where, spec in specs:
        for rules_key, side in (("ingress", "from"), ("egress", "to")):
            rules = spec.get(rules_key) if isinstance(spec, dict) else None
            for index, rule in enumerate(rules if isinstance(rules, list) else []):
                if isinstance(rule, dict):
                    yield from _check_cilium_rule(obj, rule, f"{where}.{rules_key}[{index}]", side, clusterwide)


def _check_cilium_rule(obj: KubeObject, rule: dict, at: str, side: str, clusterwide: bool) -> Iterator[Violation]:
    entities = rule.get(f"{side}Entities")
    everyone = sorted(set(e for e in (entities if isinstance(entities, list) else []) if isinstance(e, str))
                      & _CILIUM_EVERYONE)
    if everyone:
        yield Violation(f"{obj.ref}: {at}.{side}Entities has {', '.join(everyone)}, which admits every "
                        f"peer of the cluster or beyond; select the endpoints the traffic is for")
    if side == "from":
        cidrs = [{"cidr": c} for c in rule.get("fromCIDR") or [] if isinstance(c, str)]
        cidrs += [c for c in rule.get("fromCIDRSet") or [] if isinstance(c, dict) and "cidr" in c]
        for index, entry in enumerate(rule.get("fromCIDRSet") or []):
            if isinstance(entry, dict) and "cidr" not in entry:
                yield Violation(f"{obj.ref}: {at}.fromCIDRSet[{index}] names its addresses by a CiliumCIDRGroup "
                                f"(cidrGroupRef/cidrGroupSelector), which the pack cannot read; list the CIDRs, "
                                f"or review it and list the policy in {NAME}'s exceptions")
        if anyone.admits_most_addresses(cidrs):
            yield Violation(f"{obj.ref}: {at}.fromCIDR/fromCIDRSet admit most addresses of an IP family "
                            f"({anyone.describe(cidrs)}); list the CIDRs the traffic really comes from")
    selectors = rule.get(f"{side}Endpoints")
    for index, raw in enumerate(selectors if isinstance(selectors, list) else []):
        selector = anyone.cilium_selector(raw)
        if selector is None:
            yield Violation(f"{obj.ref}: {at}.{side}Endpoints[{index}] is not a label selector the pack "
                            f"can read; fix it so that the policy can be checked")
        elif anyone.cilium_admits_everyone(selector, clusterwide):
            yield Violation(f"{obj.ref}: {at}.{side}Endpoints[{index}] admits pods of every namespace; "
                            f"select the endpoints the traffic is for")


def check_stack(args: Any) -> Iterator[Violation]:
    """The ingress ipBlocks of all the policies that select one pod, together, admit no one family."""
    settings = config.values(CONFIG, args.get_config())
    objects = [obj for obj in stack_objects(args)
               if not any(fnmatch.fnmatchcase(obj.identity, p) for p in settings["exceptions"])]
    if not anyone.admits_most_addresses(_ingress_blocks(objects)):
        return  # not even all the stack's ingress blocks together admit most of a family
    for model in stack_model.build_all(objects):
        reported = set()
        by_namespace: dict[str, list] = {}
        for policy in model.cluster.policies:
            if "Ingress" in policy.policy_types:
                by_namespace.setdefault(policy.namespace, []).append(policy)
        for endpoint in model.cluster.endpoints:
            blocks, sources = [], set()
            for policy in by_namespace.get(endpoint.namespace, ()):
                if not policy.pod_selector.matches(endpoint.labels):
                    continue
                for index, rule in enumerate(policy.ingress, start=1):
                    for peer in rule.peers or ():
                        if peer.ip_block is not None:
                            blocks.append({"cidr": str(peer.ip_block.cidr), "except": [str(e) for e in peer.ip_block.excepts]})
                            sources.add(f"NetworkPolicy {policy.id} rule {index}")
            described = model.describe(endpoint)
            if len(sources) > 1 and described not in reported and anyone.admits_most_addresses(blocks):
                reported.add(described)
                yield Violation(f"{described}: the ingress ipBlocks of {', '.join(sorted(sources))} together "
                                f"admit most addresses of an IP family; list the CIDRs the traffic really "
                                f"comes from", model.urn_of(endpoint))


def _ingress_blocks(objects) -> list:
    blocks = []
    for obj in objects:
        if not network_policies.is_network_policy(obj):
            continue
        rules = obj.get("spec", "ingress")
        for rule in rules if isinstance(rules, list) else []:
            peers = rule.get("from") if isinstance(rule, dict) else None
            blocks += [p["ipBlock"] for p in peers or [] if isinstance(p, dict) and isinstance(p.get("ipBlock"), dict)]
    return blocks


POLICY = ResourceAndStackValidationPolicy(
    NAME,
    "No NetworkPolicy rule admits every peer or every namespace.",
    validate_resource=guarded(check),
    validate_stack=guarded(check_stack),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG,
)
