"""Recognise Kubernetes objects among the resources of any stack.

A typed resource (`kubernetes:apps/v1:Deployment`), a child of a Helm chart or of a yaml
ConfigGroup, and a CustomResource all carry their group, version and kind in the type token, so
the token is the source of truth. A `...Patch` resource (server-side apply) is read as the kind it
patches, so its rules are checked like any others. Components (`kubernetes:yaml:ConfigGroup`), providers and every
other package's resources are not Kubernetes objects and are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from netguard.loader import WORKLOAD_TEMPLATES

from .props import UNKNOWN, PlainProps

# Where each workload kind keeps its pod template: the engine's kinds, plus the bare Pod and the
# ReplicationController (checked for identity; the engine does not model it as an endpoint).
WORKLOAD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "ReplicationController": ("spec", "template"),
    **WORKLOAD_TEMPLATES,
}

CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "CiliumClusterwideNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
    "ClusterNetworkPolicy", "GlobalNetworkPolicy", "GlobalNetworkSet", "StagedGlobalNetworkPolicy", "Tier",
    "ClusterGroup", "CiliumCIDRGroup", "Node", "PersistentVolume", "StorageClass",
})


@dataclass(frozen=True)
class KubeObject:
    """One Kubernetes object of a stack, in plain values, with where it came from."""

    urn: str
    group: str          # "" for the core group
    version: str
    kind: str
    namespace: Optional[str]  # None for cluster-scoped kinds; UNKNOWN when not known at preview
    name: Any                 # str, or UNKNOWN
    props: PlainProps
    patch: bool = False       # a server-side-apply patch (`NetworkPolicyPatch`) of an object of `kind`
    cluster: str = ""         # the cluster its Kubernetes provider targets ("" for the ambient one)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def ref(self) -> str:
        """How a reviewer names the object: `Kind namespace/name`."""
        name = "<name unknown at preview>" if self.name is UNKNOWN else self.name
        if self.namespace is None:
            return f"{self.kind} {name}"
        namespace = "<namespace unknown at preview>" if self.namespace is UNKNOWN else self.namespace
        return f"{self.kind} {namespace}/{name}"

    @property
    def identity(self) -> str:
        """`namespace/name`, or `name` for a cluster-scoped object: what config patterns match."""
        return str(self.name) if self.namespace is None else f"{self.namespace}/{self.name}"

    @property
    def is_workload(self) -> bool:
        return self.kind in WORKLOAD_TEMPLATE_PATHS

    def get(self, *path: Any, default: Any = None) -> Any:
        """The value at a path of the props, or default where any step is missing."""
        node: Any = self.props.value
        for step in path:
            if isinstance(node, dict) and step in node:
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                node = node[step]
            else:
                return default
        return node

    def pod_template_path(self) -> tuple[str, ...]:
        return WORKLOAD_TEMPLATE_PATHS[self.kind]

    def manifest(self) -> dict:
        """The object as a manifest, with the identity fields the type token and config decide."""
        body = dict(self.props.value)
        body["apiVersion"] = self.api_version
        body["kind"] = self.kind
        metadata = dict(body.get("metadata") or {}) if isinstance(body.get("metadata"), dict) else {}
        metadata["name"] = self.name
        if self.namespace is not None:
            metadata["namespace"] = self.namespace
        body["metadata"] = metadata
        return body


def parse_type_token(resource_type: str) -> Optional[tuple[str, str, str]]:
    """`kubernetes:apps/v1:Deployment` -> ("apps", "v1", "Deployment"); None if not an object."""
    parts = resource_type.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes":
        return None
    module, kind = parts[1], parts[2]
    if "/" not in module:
        return None
    group, _, version = module.rpartition("/")
    if group == "core":
        group = ""
    if group == "helm.sh" and kind == "Release":
        return group, version, kind  # a Release's manifests are installed unseen: the pack must know
    if group == "helm.sh" or group.startswith("kustomize") or group == "yaml":
        return None
    return group, version, kind


def kube_objects(resource_type: str, props: PlainProps, urn: str, logical_name: str,
                 default_namespace: str = "default", cluster: str = "") -> list[KubeObject]:
    """The objects a Pulumi resource declares: one, or each item of a typed list (`DeploymentList`).

    A list resource creates every item, so each is checked as if declared alone; an item that is
    unknown at preview stands for an object whose every field is unknown.
    """
    parsed = parse_type_token(resource_type)
    if parsed is None:
        return []
    group, version, kind = parsed
    if not (kind.endswith("List") and len(kind) > len("List")):
        found = kube_object(resource_type, props, urn, logical_name, default_namespace, cluster)
        return [found] if found is not None else []
    item_type = f"kubernetes:{group or 'core'}/{version}:{kind[:-len('List')]}"
    items = props.value.get("items")
    if not isinstance(items, list):
        items = [UNKNOWN] if "items" in props.unknown_paths else []
    objects = []
    for index, item in enumerate(items):
        at = f"items[{index}]"
        if not isinstance(item, dict):
            item_props = PlainProps({"metadata": UNKNOWN, "spec": UNKNOWN}, ("metadata", "spec"))
        else:
            paths = tuple(p[len(at) + 1:] for p in props.unknown_paths if p.startswith(at + "."))
            item_props = PlainProps(item, paths)
        found = kube_object(item_type, item_props, urn, f"{logical_name}[{index}]", default_namespace, cluster)
        if found is not None:
            objects.append(found)
    return objects


def kube_object(resource_type: str, props: PlainProps, urn: str, logical_name: str,
                default_namespace: str = "default", cluster: str = "") -> Optional[KubeObject]:
    """The Kubernetes object a Pulumi resource declares, or None for any other resource."""
    parsed = parse_type_token(resource_type)
    if parsed is None:
        return None
    group, version, kind = parsed
    patch = kind.endswith("Patch") and len(kind) > len("Patch")
    if patch:
        kind = kind[: -len("Patch")]
    metadata = props.value.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    # Without metadata.name the provider names the object after the resource (plus a suffix):
    # the logical name is the closest stable identity a rule can report.
    name = metadata.get("name") or logical_name
    namespace: Any = None
    if group == "helm.sh":
        name = props.value.get("name") or logical_name
        namespace = props.value.get("namespace") or default_namespace
    elif kind not in CLUSTER_SCOPED_KINDS:
        namespace = metadata.get("namespace") or default_namespace
    return KubeObject(urn, group, version, kind, namespace, name, props, patch, cluster)
