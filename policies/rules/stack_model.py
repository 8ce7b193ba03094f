"""The engine's model of a whole stack, and what had to be left out of it.

A stack rule reasons about effective connectivity, so it needs every Namespace, NetworkPolicy and
workload of the stack in one engine Cluster. An object whose identity, selectors, rules or pod
labels are unknown at preview, or that the engine rejects, cannot be modelled: it is left out and
listed, so that each rule can say what it could not verify instead of passing in silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Optional

from netguard.analysis import Analyzer
from netguard.errors import NetguardInputError
from netguard.loader import build_cluster
from netguard.mesh.parse import is_mesh_manifest
from netguard.model import Cluster

from . import network_policies
from .objects import KubeObject
from .props import UNKNOWN

# A pod that nobody has labelled yet, added to each namespace that holds workloads when a rule
# must speak for every pod of the namespace, not only the ones the stack declares.
NEW_POD_NAME = "netguard-any-new-pod"


@dataclass(frozen=True)
class LeftOut:
    obj: KubeObject
    reason: str
    unknown: bool  # True: unknown at preview; False: malformed


@dataclass(frozen=True)
class StackModel:
    cluster: Cluster
    analyzer: Analyzer
    objects: tuple[KubeObject, ...]
    left_out: tuple[LeftOut, ...]

    @cached_property
    def _by_kind_and_id(self) -> dict[tuple[str, str], KubeObject]:
        return {(obj.kind, obj.identity): obj for obj in reversed(self.objects)}  # first one wins

    def object_of(self, kind: str, object_id: str) -> Optional[KubeObject]:
        return self._by_kind_and_id.get((kind, object_id))

    def urn_of(self, endpoint) -> Optional[str]:
        """The URN of the resource that declares an engine endpoint, to attach a violation to it."""
        obj = self.object_of(endpoint.kind, endpoint.id)
        return obj.urn if obj is not None else None

    def workload_namespaces(self) -> set[str]:
        """Namespaces that hold a workload, including left-out workloads whose namespace is known."""
        found = {e.namespace for e in self.cluster.endpoints
                 if not e.external and e.name != NEW_POD_NAME}
        found |= {item.obj.namespace for item in self.left_out
                  if item.obj.is_workload and isinstance(item.obj.namespace, str)}
        return found


def build(objects: Iterable[KubeObject], *, with_new_pods: bool = False) -> StackModel:
    objects = tuple(objects)
    usable: list[KubeObject] = []
    left_out: list[LeftOut] = []
    # A ServiceAccount decides verdicts only where an AuthorizationPolicy can name principals.
    accounts_decide = any(o.kind == "AuthorizationPolicy" and is_mesh_policy(o) for o in objects)
    for obj in objects:
        if not _modelled(obj):
            continue
        if obj.patch:
            # A patch changes an object the stack may not declare in full: its effect is unknowable here.
            left_out.append(LeftOut(obj, "a patch of an object the stack does not declare in full", unknown=True))
            continue
        unknown = obj.props.unknown_affecting(*_decisive_fields(obj, accounts_decide))
        if unknown or obj.name is UNKNOWN or obj.namespace is UNKNOWN:
            paths = unknown or ("metadata",)
            left_out.append(LeftOut(obj, ", ".join(paths), unknown=True))
            continue
        complaint = _complaint(obj)
        if complaint:
            left_out.append(LeftOut(obj, complaint, unknown=False))
            continue
        usable.append(obj)
    manifests = [(obj.urn, obj.manifest()) for obj in usable]
    if with_new_pods:
        namespaces = {obj.namespace for obj in usable if obj.is_workload}
        namespaces |= {item.obj.namespace for item in left_out
                       if item.obj.is_workload and isinstance(item.obj.namespace, str)}
        manifests += [(f"new pods of {ns}", _new_pod(ns)) for ns in sorted(namespaces)]
    cluster = build_cluster(manifests)
    return StackModel(cluster, Analyzer(cluster), objects, tuple(left_out))


def _modelled(obj: KubeObject) -> bool:
    return (obj.kind == "Namespace" or obj.is_workload or network_policies.is_network_policy(obj)
            or is_mesh_policy(obj))


def is_mesh_policy(obj: KubeObject) -> bool:
    """An Istio PeerAuthentication or AuthorizationPolicy, which the engine's mesh point reads."""
    return is_mesh_manifest(obj.kind, obj.api_version)


def _decisive_fields(obj: KubeObject, accounts_decide: bool = False) -> tuple[str, ...]:
    if obj.kind == "Namespace":
        return ("metadata.name", "metadata.labels")
    if obj.is_workload:
        template = ".".join(obj.pod_template_path())
        prefix = f"{template}." if template else ""
        fields = ("metadata.name", "metadata.namespace", f"{prefix}metadata.labels",
                  f"{prefix}spec.containers[*].ports", "status.podIP")
        if accounts_decide:
            fields += (f"{prefix}spec.serviceAccountName", f"{prefix}spec.serviceAccount")
        return fields
    if is_mesh_policy(obj):
        return ("metadata.name", "metadata.namespace", "metadata.annotations", "spec")
    return ("metadata.name", "metadata.namespace", "spec")


def _complaint(obj: KubeObject) -> Optional[str]:
    try:
        build_cluster([(obj.urn, obj.manifest())])
    except NetguardInputError as error:
        return str(error)
    return None


def _new_pod(namespace: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": NEW_POD_NAME, "namespace": namespace}}
