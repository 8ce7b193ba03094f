"""namespace-pod-security: namespaces enforce the Pod Security `restricted` profile.

Why: the `restricted` profile forbids hostNetwork, hostPort, privileged containers and root, which
are the ways a pod steps around NetworkPolicy. A resource rule sees one Namespace at a time, not
the workloads it will hold, so every Namespace a stack declares is held to it unless listed in
`exemptNamespaces` (system namespaces that run node agents).
"""

from __future__ import annotations

from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

from netguard import labels

from . import config
from .inputs import resource_objects
from .objects import KubeObject
from .reporting import Violation, guarded, unknown_message

NAME = "namespace-pod-security"

CONFIG = config.schema({
    "exemptNamespaces": {
        "type": "array", "items": {"type": "string"},
        "default": ["kube-system", "kube-public", "kube-node-lease"],
        "description": "Namespaces that need not enforce restricted (they run node-level agents).",
    },
})


def check(args: Any) -> Iterator[Violation]:
    for obj in resource_objects(args):  # one, or each item of a list resource
        yield from _check_one(obj, args)


def _check_one(obj: KubeObject, args: Any) -> Iterator[Violation]:
    if obj is None or obj.kind != "Namespace":
        return
    settings = config.values(CONFIG, args.get_config())
    if obj.name in settings["exemptNamespaces"]:
        return
    field = f"metadata.labels.{labels.PSA_ENFORCE}"
    unknown = obj.props.unknown_affecting(field, "metadata.name")
    if unknown:
        if settings[config.FAIL_ON_UNKNOWN]:
            yield Violation(unknown_message(obj.ref, unknown))
        return
    namespace_labels = obj.get("metadata", "labels", default={})
    level = namespace_labels.get(labels.PSA_ENFORCE) if isinstance(namespace_labels, dict) else None
    if level != labels.PSA_RESTRICTED:
        shown = "missing" if level is None else repr(level)
        yield Violation(f"{obj.ref}: {field} is {shown}; set it to \"restricted\" so that no pod "
                        f"in it can use hostNetwork, hostPort or privileges that bypass "
                        f"NetworkPolicy, or list the namespace in exemptNamespaces")


POLICY = ResourceValidationPolicy(
    name=NAME,
    description="Namespaces enforce the Pod Security restricted profile.",
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=CONFIG,
    validate=guarded(check),
)
