"""namespace-default-deny: every namespace that holds a workload isolates all its pods, both ways.

Why: NetworkPolicies only ever add allowances to pods that some policy isolates; a pod that no
policy selects for Ingress (or Egress) talks to, and is reached from, anything. The check asks the
engine, not the policies' names: each workload of the namespace, and a new pod without labels
(what the next `kubectl run` creates), must be isolated for Ingress and for Egress, by a
NetworkPolicy or by a Baseline-tier policy that denies every pod of every namespace (and, for
egress, every address) on every port.
"""

from __future__ import annotations

from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, StackValidationPolicy

from netguard.model import DIRECTIONS

from . import config, network_policies, stack_model
from .clusters import each_cluster
from .reporting import Violation, guarded, left_out_message, unknown_message

NAME = "namespace-default-deny"

CONFIG = config.cluster_schema({})

_SHOWN = 5


def check(args: Any) -> Iterator[Violation]:
    settings = config.values(CONFIG, args.get_config())
    yield from each_cluster(NAME, args, settings, lambda model: _check_cluster(model, settings), with_new_pods=True)


def _check_cluster(model: stack_model.StackModel, settings: dict) -> Iterator[Violation]:
    namespaces = model.workload_namespaces()
    yield from _unverifiable(model, namespaces, settings)
    for namespace in sorted(namespaces):
        yield from _check_namespace(model, namespace)


def _unverifiable(model: stack_model.StackModel, namespaces: set[str], settings: dict) -> Iterator[Violation]:
    for item in model.left_out:
        obj = item.obj
        if item.unknown and not settings[config.FAIL_ON_UNKNOWN]:
            continue
        if item.why == stack_model.UNKNOWN_AT_PREVIEW and network_policies.is_network_policy(obj):
            if not isinstance(obj.namespace, str) or obj.namespace in namespaces:
                yield Violation(unknown_message(obj.ref, [item.reason]) +
                                "; the namespace's isolation depends on it", obj.urn)
        elif item.why != stack_model.UNKNOWN_AT_PREVIEW or obj.kind != "Namespace":
            # Unseen pods, policies the engine does not evaluate, workloads it cannot read.
            yield Violation(left_out_message(item, NAME), obj.urn)


def _check_namespace(model: stack_model.StackModel, namespace: str) -> Iterator[Violation]:
    members = [e for e in model.cluster.endpoints if e.namespace == namespace and not e.external]
    urn = _namespace_urn(model, namespace, members)
    for direction in DIRECTIONS:
        # A Baseline-tier default-deny (ClusterNetworkPolicy tier Baseline, BaselineAdminNetworkPolicy)
        # closes what no NetworkPolicy allows, like the namespace's own default-deny.
        open_pods = [e for e in members if not model.analyzer.isolated(e.id, direction)
                     and model.analyzer.baseline_default_deny(e.id, direction) is None]
        if not open_pods:
            continue
        names = list(dict.fromkeys(("any new pod without labels" if model.is_new_pod(e) else model.describe(e).split(" ", 1)[1])
                                    for e in open_pods))
        shown = ", ".join(names[:_SHOWN]) + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")
        yield Violation(
            f"namespace {namespace}: {direction} is open: no NetworkPolicy with policy type "
            f"{direction} selects {shown}; add a default-deny NetworkPolicy to {namespace} "
            f"(podSelector: {{}}, policyTypes: [Ingress, Egress], no rules) and allow each "
            f"flow explicitly", urn)


def _namespace_urn(model: stack_model.StackModel, namespace: str, members) -> str | None:
    for obj in model.objects:
        if obj.kind == "Namespace" and obj.group == "" and obj.name == namespace:
            return obj.urn
    return next((urn for urn in map(model.urn_of, members) if urn is not None), None)


POLICY = StackValidationPolicy(
    name=NAME,
    description="Every namespace with workloads isolates all its pods for Ingress and Egress.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG,
    validate=guarded(check),
)
