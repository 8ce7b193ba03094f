"""egress-allowlist: pods reach only the external destinations the organisation approved.

Why: egress to the internet is how data leaves. Each block a policy opens, minus its excepts, must
lie inside `allowedEgressCidrs`, and each domain inside `allowedEgressDomains`; the stack check
adds what no single resource shows: all the blocks that apply to one workload together must not
open a whole address family (0.0.0.0/0 written as 0.0.0.0/1 plus 128.0.0.0/1, or spread over
several policies) unless 0.0.0.0/0 or ::/0 is itself listed; and a domain that the stack's domain
rules name must be reachable only by the workloads whose own domain rules name it (domain_reach.py).

The defaults allow only the IETF documentation ranges and names (RFC 5737, RFC 3849, RFC 2606),
which route nowhere: a real organisation lists its own destinations in the pack config.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterator

from pulumi_policy import EnforcementLevel

from netguard.model import EGRESS

from . import config, domain_reach, egress_destinations, stack_model
from .cidrset import AddressSet
from .dual_policy import ResourceAndStackValidationPolicy
from .clusters import each_cluster
from .inputs import resource_objects
from .objects import KubeObject
from .props import UNKNOWN
from .reporting import Violation, guarded, left_out_message, unknown_message

NAME = "egress-allowlist"

CONFIG = config.cluster_schema({
    "allowedEgressCidrs": {
        "type": "array", "items": {"type": "string"},
        "default": ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"],
        "description": "CIDRs that egress rules may open; 0.0.0.0/0 and ::/0 only when listed.",
    },
    "allowedEgressDomains": {
        "type": "array", "items": {"type": "string"},
        "default": ["example.com", "*.example.com"],
        "description": "DNS names or patterns (`*.corp.example`) that FQDN egress rules may open.",
    },
})

_WHOLE_FAMILIES = ("0.0.0.0/0", "::/0")


def check_resource(args: Any) -> Iterator[Violation]:
    for obj in resource_objects(args):  # one, or each item of a list resource
        yield from _check_one(obj, args)


def _check_one(obj: KubeObject, args: Any) -> Iterator[Violation]:
    if obj is None:
        return
    settings = config.values(CONFIG, args.get_config())
    yield from check_object(obj, settings)


def check_object(obj: KubeObject, settings: dict) -> Iterator[Violation]:
    allowed, problem = _allowed_addresses(settings)
    if problem:
        yield Violation(problem)
        return
    destinations = list(egress_destinations.of(obj))
    unknown = obj.props.unknown_affecting("spec.egress", "specs")
    if unknown and settings[config.FAIL_ON_UNKNOWN]:
        yield Violation(unknown_message(obj.ref, unknown))
        return
    for destination in destinations:
        if UNKNOWN in (destination.cidr, destination.domain, *destination.excepts):
            continue  # relaxed by failOnUnknown: false; checked again at update
        if destination.domain is not None:
            yield from _check_domain(obj, destination, settings["allowedEgressDomains"])
        else:
            yield from _check_cidr(obj, destination, allowed)


def _allowed_addresses(settings: dict) -> tuple[AddressSet, str | None]:
    try:
        return AddressSet.of(settings["allowedEgressCidrs"]), None
    except (ValueError, TypeError) as error:
        return AddressSet(), (f"{NAME} config: allowedEgressCidrs has a value that is not a CIDR "
                              f"({error}); nothing can be checked against it")


def _check_cidr(obj: KubeObject, destination: egress_destinations.Destination,
                allowed: AddressSet) -> Iterator[Violation]:
    try:
        opened = AddressSet.cidr(destination.cidr) - AddressSet.of(destination.excepts)
    except (ValueError, TypeError):
        yield Violation(f"{obj.ref}: {destination.field}: {destination.cidr!r} (except "
                        f"{list(destination.excepts)}) is not a valid CIDR; write a CIDR such as "
                        f"203.0.113.0/24")
        return
    if not opened <= allowed:
        shown = destination.cidr + (f" except {', '.join(destination.excepts)}" if destination.excepts else "")
        yield Violation(f"{obj.ref}: {destination.field} opens egress to {shown}, which reaches "
                        f"addresses outside allowedEgressCidrs; narrow it to an approved "
                        f"destination or add that destination to {NAME}'s allowedEgressCidrs")


def _check_domain(obj: KubeObject, destination: egress_destinations.Destination,
                  allowed: list[str]) -> Iterator[Violation]:
    name = str(destination.domain).lower().rstrip(".")
    if not any(fnmatch.fnmatchcase(name, pattern.lower().rstrip(".")) for pattern in allowed):
        yield Violation(f"{obj.ref}: {destination.field} opens egress to {destination.domain!r}, "
                        f"which is not inside allowedEgressDomains ({', '.join(allowed)}); use an "
                        f"approved name or add it to {NAME}'s allowedEgressDomains")


def check_stack(args: Any) -> Iterator[Violation]:
    settings = config.values(CONFIG, args.get_config())
    listed = {str(cidr).strip() for cidr in settings["allowedEgressCidrs"]}
    yield from each_cluster(NAME, args, settings, lambda model: (
        *_check_cluster(model, listed, settings), *domain_reach.undeclared(model)))


def _check_cluster(model: stack_model.StackModel, listed: set, settings: dict) -> Iterator[Violation]:
    if all(family in listed for family in _WHOLE_FAMILIES):
        return  # every address is approved: no block can open too much
    for item in model.left_out:
        if item.unknown and not settings[config.FAIL_ON_UNKNOWN]:
            continue
        if item.why == stack_model.UNKNOWN_AT_PREVIEW and stack_model.network_policies.is_network_policy(item.obj):
            yield Violation(unknown_message(item.obj.ref, [item.reason]), item.obj.urn)
        elif item.why != stack_model.UNKNOWN_AT_PREVIEW:
            yield Violation(left_out_message(item, NAME), item.obj.urn)
    by_namespace: dict[str, list] = {}
    for policy in model.cluster.policies:
        if EGRESS in policy.policy_types:
            by_namespace.setdefault(policy.namespace, []).append(policy)
    reported = set()
    for endpoint in model.cluster.endpoints:
        if endpoint.external or not model.analyzer.isolated(endpoint.id, EGRESS):
            continue  # an open pod is namespace-default-deny's finding
        opened, sources = _blocks_opened_for(by_namespace.get(endpoint.namespace, ()), endpoint)
        for version, whole in zip((4, 6), _WHOLE_FAMILIES):
            if whole in listed or not opened.covers_every_address(version):
                continue
            described = model.describe(endpoint)
            if (described, version) in reported:
                continue  # another witness pod of the same workload
            reported.add((described, version))
            yield Violation(
                f"{described}: its egress ipBlocks together open every IPv{version} "
                f"address ({whole}) through {', '.join(sorted(sources))}; the internet is not an "
                f"allowlist entry unless {whole} is listed in allowedEgressCidrs",
                model.urn_of(endpoint))


def _blocks_opened_for(policies, endpoint) -> tuple[AddressSet, set[str]]:
    spans: dict[int, list] = {4: [], 6: []}
    sources = set()
    for policy in policies:
        if not policy.pod_selector.matches(endpoint.labels):
            continue
        for index, rule in enumerate(policy.egress, start=1):
            for peer in rule.peers or ():
                if peer.ip_block is not None:  # the engine has already taken the excepts out
                    version, intervals = peer.ip_block.intervals()
                    spans[version].extend(intervals)
                    sources.add(f"NetworkPolicy {policy.id} rule {index}")
    return AddressSet.of_intervals(4, spans[4]) | AddressSet.of_intervals(6, spans[6]), sources


POLICY = ResourceAndStackValidationPolicy(
    NAME,
    "Egress reaches only approved CIDRs and domains; never the whole internet unless listed.",
    validate_resource=guarded(check_resource),
    validate_stack=guarded(check_stack),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG,
)
