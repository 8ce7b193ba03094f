"""mesh-principals: an ALLOW AuthorizationPolicy admitting AI workloads names who, not only where from.

Why: a namespace or an address range says where a connection comes from, and anyone who can start a
pod there inherits it; a principal (`cluster.local/ns/<ns>/sa/<sa>`) is the workload's own
cryptographic identity. Every rule of an enforced ALLOW policy that selects an AI workload (a pod
with `netguard.io/role`) must restrict every source to principals or serviceAccounts: a rule without
`from`, or a source of only namespaces, ipBlocks or not* fields, admits more than named workloads.
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
from netguard.mesh.model import ALLOW, PRINCIPAL, SERVICE_ACCOUNT, MeshRule

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
        if policy.action != ALLOW or not enforced(policy):
            continue
        if any(fnmatch.fnmatchcase(policy.id, p) for p in settings["exemptPolicies"]):
            continue
        selected = sorted(e.id for e in ai if policy in mesh.selecting(e))
        if not selected:
            continue
        obj = model.object_of("AuthorizationPolicy", policy.id)
        for rule in policy.rules:
            if not _names_principals(rule):
                yield Violation(
                    f"AuthorizationPolicy {policy.id} rule {rule.index} admits {', '.join(selected[:3])}"
                    f"{' and more' if len(selected) > 3 else ''} by {_what(rule)}, not by workload identity; "
                    "restrict every source to principals (cluster.local/ns/<namespace>/sa/<serviceaccount>)",
                    obj.urn if obj else None)


def _names_principals(rule: MeshRule) -> bool:
    if any(c.attribute == PRINCIPAL and not c.negated for c in rule.when):
        return True
    if rule.froms is None:
        return False
    return all(any(c.attribute in (PRINCIPAL, SERVICE_ACCOUNT) and not c.negated for c in entry)
               for entry in rule.froms)


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
