"""encryption-in-transit: where the stack runs a mesh, every workload speaks mutual TLS only.

Why: NetworkPolicy neither encrypts nor knows who a pod is beyond its labels. A mesh gives both, but
only where it is strict: a namespace left out of the mesh, a PERMISSIVE or DISABLE mode (for the
namespace, for a workload by selector, or for one port) accepts plaintext, and plaintext peers have
no identity to authorize. The check asks the engine's mesh point for each workload's effective mTLS
mode (the Istio precedence of workload, namespace and mesh-wide PeerAuthentications, port by port)
and for each namespace also a new pod without labels (what the next `kubectl run` creates). Pod
annotations that take inbound ports out of the proxy (sidecar include/excludeInboundPorts,
ambient's bypass-inbound-capture) fail too: those ports take plaintext whatever the mode.

A stack with no mesh at all is reported by `mesh-declared` (advisory by default); this rule then has
nothing to check. `exemptNamespaces` lists namespaces (fnmatch patterns) left out on purpose.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, StackValidationPolicy

from netguard.mesh.model import STRICT

from . import config, stack_model
from .inputs import stack_objects
from .reporting import Violation, guarded, in_cluster, unknown_message

NAME = "encryption-in-transit"

CONFIG = config.schema({
    "exemptNamespaces": {
        "type": "array", "items": {"type": "string"}, "default": [],
        "description": "Namespaces (fnmatch patterns) whose workloads may stay outside strict mTLS.",
    },
})


def has_mesh(model: stack_model.StackModel) -> bool:
    """The stack declares a mesh: a mesh policy, or a workload the mesh captures."""
    return bool(model.cluster.mesh) or any(
        model.analyzer.mesh.dataplane(e) for e in model.cluster.endpoints if not e.external)


def check(args: Any) -> Iterator[Violation]:
    settings = config.values(CONFIG, args.get_config())
    models = stack_model.build_all(stack_objects(args), with_new_pods=True)
    for model in models:  # each cluster has its own mesh, or none
        for violation in _check_cluster(model, settings):
            yield Violation(in_cluster(models, model, violation.message), violation.urn)


def _check_cluster(model: stack_model.StackModel, settings: dict) -> Iterator[Violation]:
    if settings[config.FAIL_ON_UNKNOWN]:
        for item in model.left_out:
            if item.unknown and stack_model.is_mesh_policy(item.obj):
                yield Violation(unknown_message(item.obj.ref, [item.reason]) + "; mTLS depends on it", item.obj.urn)
    if not has_mesh(model):
        return
    exempt = settings["exemptNamespaces"]
    # Only a namespace unknown at preview: a malformed one fails every connectivity rule already.
    unknown_namespaces = {item.obj.name: item for item in model.left_out
                          if item.obj.kind == "Namespace" and item.why == stack_model.UNKNOWN_AT_PREVIEW}
    # Namespaces with workloads the engine models; pods the pack cannot see (left out as unmodelled)
    # are reported by the connectivity rules, and reviewedKinds relaxes them for all.
    modelled = {e.namespace for e in model.cluster.endpoints if not e.external and not model.is_new_pod(e)}
    for namespace in sorted(modelled):
        if any(fnmatch.fnmatchcase(namespace, p) for p in exempt):
            continue
        if namespace in unknown_namespaces:  # its mesh label cannot be read: never a guess either way
            item = unknown_namespaces[namespace]
            if settings[config.FAIL_ON_UNKNOWN]:
                yield Violation(unknown_message(item.obj.ref, [item.reason]) + "; whether it is in the mesh "
                                "depends on it", item.obj.urn)
            continue
        for endpoint in (e for e in model.cluster.endpoints if e.namespace == namespace and not e.external):
            yield from _check_endpoint(model, endpoint)


def _check_endpoint(model: stack_model.StackModel, endpoint) -> Iterator[Violation]:
    who = "any new pod without labels" if model.is_new_pod(endpoint) else model.describe(endpoint)
    urn = model.urn_of(endpoint) or _namespace_urn(model, endpoint.namespace)
    mesh = model.analyzer.mesh
    if mesh.dataplane(endpoint) is None:
        yield Violation(
            f"namespace {endpoint.namespace}: {who} is not in the mesh, so its traffic is plaintext; label the "
            f"namespace istio-injection: enabled (sidecar) or istio.io/dataplane-mode: ambient, and do not opt "
            f"the pod out", urn)
        return
    for ports, annotation in mesh.capture(endpoint).describe():
        yield Violation(
            f"{who}: the pod annotation {annotation} takes {ports} out of its {mesh.dataplane(endpoint)} proxy, so "
            "they accept plaintext and no AuthorizationPolicy applies to them; remove the annotation", urn)
    profile = mesh.profile(endpoint)
    weak = [("every port", profile.default)] if profile.default.mode != STRICT else []
    weak += [(f"port {port}", mode) for port, mode in sorted(profile.ports.items()) if mode.mode != STRICT]
    for where, mode in weak:
        by = f"PeerAuthentication {mode.policy_id}" if mode.policy_id else "no PeerAuthentication (Istio's default)"
        yield Violation(
            f"{who}: mTLS is {mode.mode} on {where} ({by}), so plaintext is accepted; require STRICT with a "
            f"namespace-wide PeerAuthentication (mtls.mode: STRICT) and remove workload or port-level exceptions",
            urn)


def _namespace_urn(model: stack_model.StackModel, namespace: str):
    return next((o.urn for o in model.objects if o.kind == "Namespace" and o.group == "" and o.name == namespace), None)


POLICY = StackValidationPolicy(
    name=NAME,
    description="Where the stack runs a mesh, every workload is in it with STRICT mutual TLS on every port.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG,
    validate=guarded(check),
)
