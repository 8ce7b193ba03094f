"""The Kubernetes objects a rule looks at, from a resource's or a whole stack's validation args."""

from __future__ import annotations

import hashlib
from typing import Any, Optional

from .objects import KubeObject, kube_object, kube_objects
from .props import UNKNOWN, plain


def _provider_namespace(provider: Any) -> Any:
    """The namespace a Kubernetes provider puts objects in when they name none."""
    props = getattr(provider, "props", None)
    if props is None:
        return "default"
    namespace = plain(props).value.get("namespace")
    if namespace is UNKNOWN:
        return UNKNOWN  # objects without a namespace of their own land where nobody knows yet
    return namespace if isinstance(namespace, str) and namespace else "default"


# Provider settings that decide which cluster its objects go to.
_CLUSTER_SETTINGS = ("kubeconfig", "context", "cluster", "renderYamlToDirectory")


def cluster_key(provider: Any) -> str:
    """Which cluster a provider's objects live in.

    Providers with the same known kubeconfig, context, cluster and render folder target the same
    cluster (the default provider and an explicit one with no settings both use the ambient
    kubeconfig). A provider whose settings are unknown at preview is a cluster of its own.
    """
    props = getattr(provider, "props", None)
    if props is None:
        return ""
    values = plain(props)
    if any(path.split(".")[0].split("[")[0] in _CLUSTER_SETTINGS for path in values.unknown_paths):
        return getattr(provider, "urn", "") or "unknown provider"
    parts = []
    for key in _CLUSTER_SETTINGS:
        value = values.value.get(key)
        if value:
            # A kubeconfig holds credentials: the key names it by a digest, never by its text.
            shown = hashlib.sha256(str(value).encode()).hexdigest()[:12] if key == "kubeconfig" else value
            parts.append(f"{key}={shown}")
    return ", ".join(parts)


def resource_objects(args: Any) -> list[KubeObject]:
    """The objects of a ResourceValidationArgs: one, each item of a typed list, or none."""
    return kube_objects(args.resource_type, plain(args.props), args.urn, args.name,
                        _provider_namespace(args.provider), cluster_key(args.provider))


def resource_object(args: Any) -> Optional[KubeObject]:
    """The object of a ResourceValidationArgs, or None when the resource is not a Kubernetes object."""
    return kube_object(args.resource_type, plain(args.props), args.urn, args.name,
                       _provider_namespace(args.provider))


def stack_objects(args: Any) -> list[KubeObject]:
    """Every Kubernetes object of a StackValidationArgs, in the stack's order."""
    found = []
    for resource in args.resources:
        found.extend(kube_objects(resource.resource_type, plain(resource.props), resource.urn,
                                  resource.name, _provider_namespace(resource.provider), cluster_key(resource.provider)))
    return found


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN
