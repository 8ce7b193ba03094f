"""The Kubernetes objects a rule looks at, from a resource's or a whole stack's validation args."""

from __future__ import annotations

from typing import Any, Optional

from .objects import KubeObject, kube_object
from .props import UNKNOWN, plain


def _provider_namespace(provider: Any) -> str:
    """The namespace a Kubernetes provider puts objects in when they name none."""
    props = getattr(provider, "props", None)
    if props is None:
        return "default"
    namespace = plain(props).value.get("namespace")
    return namespace if isinstance(namespace, str) and namespace else "default"


def resource_object(args: Any) -> Optional[KubeObject]:
    """The object of a ResourceValidationArgs, or None when the resource is not a Kubernetes object."""
    return kube_object(args.resource_type, plain(args.props), args.urn, args.name,
                       _provider_namespace(args.provider))


def stack_objects(args: Any) -> list[KubeObject]:
    """Every Kubernetes object of a StackValidationArgs, in the stack's order."""
    found = []
    for resource in args.resources:
        obj = kube_object(resource.resource_type, plain(resource.props), resource.urn,
                          resource.name, _provider_namespace(resource.provider))
        if obj is not None:
            found.append(obj)
    return found


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN
