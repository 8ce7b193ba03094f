"""mesh-principals: an ALLOW AuthorizationPolicy admitting AI workloads names who, not only where from.

Why: a namespace or an address range says where a connection comes from, and anyone who can start a
pod there inherits it; a principal (`cluster.local/ns/<ns>/sa/<sa>`) is the workload's own
cryptographic identity. Every rule of an enforced ALLOW policy that selects an AI workload (a pod
with `netguard.io/role`) must restrict every source to principals or serviceAccounts: a rule without
`from`, or a source of only namespaces, ipBlocks, not* fields or principal patterns with `*`,
admits more than named workloads.
Policies bound by targetRefs (waypoints, gateways) are not modelled: their rules must name principals
all the same, whatever they admit to.
`exemptPolicies` (fnmatch patterns of `namespace/name`) lists the documented exceptions; by default
the components' metrics policies, which admit the monitoring namespace when its scraper's
ServiceAccount is not configured.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, StackValidationPolicy

from netguard import labels
from netguard.mesh.evaluate import enforced
from netguard.mesh.model import ALLOW, PRINCIPAL, SERVICE_ACCOUNT, Check, MeshRule
from netguard.mesh.strings import IstioString

from . import config, stack_model
from .inputs import stack_objects
from .reporting import Violation, guarded, in_cluster

NAME = "mesh-principals"

CONFIG = config.schema({
    "exemptPolicies": {
        "type": "array", "items": {"type": "string"}, "default": ["*/netguard-mesh-metrics-*"],
        "description": "AuthorizationPolicies (`namespace/name` fnmatch patterns) that may admit by namespace.",
    },
})


def check(args: Any) -> Iterator[Violation]:
    settings = config.values(CONFIG, args.get_config())
    models = stack_model.build_all(stack_objects(args))
    for model in models:
        for violation in _check_cluster(model, settings):
            yield Violation(in_cluster(models, model, violation.message), violation.urn)


def _check_cluster(model: stack_model.StackModel, settings: dict) -> Iterator[Violation]:
    mesh = model.analyzer.mesh
    ai = [e for e in model.cluster.endpoints if not e.external and labels.ROLE in e.labels]
    for policy in model.cluster.mesh.authorization_policies:
        if policy.action != ALLOW or any(fnmatch.fnmatchcase(policy.id, p) for p in settings["exemptPolicies"]):
            continue
        if policy.target_refs and not policy.dry_run:
            yield from _bound_by_target_refs(model, policy)
            continue
        if not enforced(policy):
            continue
        selected = sorted(e.id for e in ai if policy in mesh.selecting(e))
        if not selected:
            continue
        who = f"{', '.join(selected[:3])}{' and more' if len(selected) > 3 else ''}"
        yield from _unnamed_sources(
            model, policy, f"admits {who} by " + "{what}, not by workload identity; restrict every source to "
            "principals (cluster.local/ns/<namespace>/sa/<serviceaccount>)")


def _bound_by_target_refs(model: stack_model.StackModel, policy) -> Iterator[Violation]:
    """A policy on a waypoint or gateway: whom it admits to is not modelled, so a rule by namespace fails closed."""
    yield from _unnamed_sources(
        model, policy,
        "is bound by targetRefs (a waypoint or gateway, not modelled, so the workloads it admits to cannot be "
        "checked) and admits by {what}, not by workload identity; restrict every source to principals, or list "
        "the policy in mesh-principals' exemptPolicies if that is intended")


def _unnamed_sources(model: stack_model.StackModel, policy, problem: str) -> Iterator[Violation]:
    """One violation per rule of `policy` that admits a source without naming its workload identity."""
    obj = model.object_of("AuthorizationPolicy", policy.id)
    for rule in policy.rules:
        if not _names_principals(rule):
            message = problem.replace("{what}", _what(rule))
            yield Violation(f"AuthorizationPolicy {policy.id} rule {rule.index} {message}", obj.urn if obj else None)


def _names_principals(rule: MeshRule) -> bool:
    if any(_names_workloads(c) and c.attribute == PRINCIPAL for c in rule.when):
        return True
    if rule.froms is None:
        return False
    return all(any(_names_workloads(c) for c in entry) for entry in rule.froms)


def _names_workloads(check: Check) -> bool:
    """Principals or serviceAccounts, each exact: a `*` pattern (prefix, suffix, any) admits unnamed workloads."""
    if check.negated or check.attribute not in (PRINCIPAL, SERVICE_ACCOUNT):
        return False
    return not any(isinstance(p, IstioString) and p.is_wildcard for p in check.patterns)


def _what(rule: MeshRule) -> str:
    if rule.froms is None:
        return "any source (no from)"
    fields = sorted({c.field for entry in rule.froms for c in entry})
    return ", ".join(fields) or "any source"


POLICY = StackValidationPolicy(
    name=NAME,
    description="ALLOW AuthorizationPolicies that admit AI workloads name principals, not only namespaces or IPs.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG,
    validate=guarded(check),
)
