"""workload-identity: every pod template carries an AI identity and a hygienic service account.

Why: NetworkPolicies select pods by `netguard.io/role` and `netguard.io/data-class`; a pod without
them is invisible to every flow rule and review. A pod on the `default` service account, or with
an automounted token, holds API credentials it rarely needs. hostNetwork and hostPort bypass
NetworkPolicy altogether.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterator

from pulumi_policy import EnforcementLevel

from netguard import labels

from . import config, legacy_tokens, pod_templates
from .dual_policy import ResourceAndStackValidationPolicy
from .inputs import resource_objects, stack_objects
from .objects import KubeObject
from .props import UNKNOWN
from .reporting import Violation, guarded, unknown_message

NAME = "workload-identity"

CONFIG = config.schema({
    "allowedRoles": {
        "type": "array", "items": {"type": "string"}, "default": sorted(labels.ROLES),
        "description": f"Values allowed for the {labels.ROLE} label.",
    },
    "allowedDataClasses": {
        "type": "array", "items": {"type": "string"}, "default": list(labels.DATA_CLASSES),
        "description": f"Values allowed for the {labels.DATA_CLASS} label.",
    },
    "allowTokenAutomount": {
        "type": "array", "items": {"type": "string"}, "default": [],
        "description": ("`namespace/name` patterns (fnmatch) of workloads that may mount a "
                        "service account token."),
    },
})

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def check(args: Any) -> Iterator[Violation]:
    for obj in resource_objects(args):  # one, or each item of a list resource
        yield from _check_one(obj, args)


def _check_one(obj: KubeObject, args: Any) -> Iterator[Violation]:
    if obj is None or not (obj.is_workload or pod_templates.runs_pods(obj)):
        return
    settings = config.values(CONFIG, args.get_config())
    if obj.is_workload and pod_templates.core_template_path(obj) is not None:
        yield from check_workload(obj, settings)
        return
    # A custom resource: each of its pod templates, as a workload's.
    paths = dict.fromkeys(s.template_path for s in pod_templates.shapes(obj) if s.template_path is not None)
    for template_path in paths:  # shapes may share a template (a Rollout's canary and stable pods)
        yield from check_workload(obj, settings, template_path)


def check_workload(obj: KubeObject, settings: dict, template_path: tuple | None = None) -> Iterator[Violation]:
    base = obj.pod_template_path() if template_path is None else template_path
    prefix = pod_templates.field_path(base)
    template_field = prefix or "the pod"

    def field(*rest: str) -> str:
        return pod_templates.field_path((*base, *rest))

    decisive = [field("metadata", "labels"), field("spec", "serviceAccountName"),
                field("spec", "serviceAccount"), field("spec", "automountServiceAccountToken"),
                field("spec", "hostNetwork"), field("spec", "volumes"),
                *(field("spec", f"{name}[*].ports") for name in _CONTAINER_LISTS)]
    unknown = obj.props.unknown_affecting(*decisive)
    if unknown and settings[config.FAIL_ON_UNKNOWN]:
        yield Violation(unknown_message(obj.ref, unknown))
        return

    template = obj.get(*base) if base else obj.props.value
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        yield Violation(f"{obj.ref}: {field('spec') if base else 'spec'} is missing; "
                        f"a workload needs a pod template ({template_field})")
        return
    pod_labels = template.get("metadata", {}).get("labels") if isinstance(template.get("metadata"), dict) else None
    pod_labels = pod_labels if isinstance(pod_labels, dict) else {}
    yield from _check_label(obj, pod_labels, labels.ROLE, settings["allowedRoles"], field("metadata", "labels"))
    yield from _check_label(obj, pod_labels, labels.DATA_CLASS, settings["allowedDataClasses"],
                            field("metadata", "labels"))
    yield from _check_service_account(obj, template["spec"], field, settings)
    yield from _check_host_networking(obj, template["spec"], field)


def _check_label(obj: KubeObject, pod_labels: dict, key: str, allowed: list, where: str) -> Iterator[Violation]:
    value = pod_labels.get(key)
    if value is UNKNOWN:
        return
    if value is None:
        yield Violation(f"{obj.ref}: {where} lacks {key}; label the pod template with one of "
                        f"{', '.join(allowed)} so that NetworkPolicies and reviews can see it")
    elif value not in allowed:
        yield Violation(f"{obj.ref}: {where}.{key} is {value!r}, not one of {', '.join(allowed)}; "
                        f"use an allowed value or add it to {NAME}'s config")


def _check_service_account(obj: KubeObject, spec: dict, field, settings: dict) -> Iterator[Violation]:
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if account is UNKNOWN:
        pass
    elif not account or account == "default":
        yield Violation(f"{obj.ref}: {field('spec', 'serviceAccountName')} is "
                        f"{'missing' if not account else repr(account)}, so the pod runs as the "
                        f"namespace's default service account; give the workload its own")
    if _automount_allowed(obj, settings):
        return
    yield from _check_projected_tokens(obj, spec, field)
    automount = spec.get("automountServiceAccountToken")
    if automount is False or automount is UNKNOWN:
        return
    state = "not set (Kubernetes mounts the token by default)" if automount is None else repr(automount)
    yield Violation(f"{obj.ref}: {field('spec', 'automountServiceAccountToken')} is {state}; set it "
                    f"to false, or allow this workload in {NAME}'s allowTokenAutomount config")


def _check_projected_tokens(obj: KubeObject, spec: dict, field) -> Iterator[Violation]:
    """A projected serviceAccountToken volume mounts a token whatever automount says."""
    volumes = spec.get("volumes")
    for index, volume in enumerate(volumes if isinstance(volumes, list) else []):
        projected = volume.get("projected") if isinstance(volume, dict) else None
        sources = projected.get("sources") if isinstance(projected, dict) else None
        for n, source in enumerate(sources if isinstance(sources, list) else []):
            if isinstance(source, dict) and source.get("serviceAccountToken") is not None:
                yield Violation(
                    f"{obj.ref}: {field('spec', 'volumes')}[{index}].projected.sources[{n}].serviceAccountToken "
                    f"mounts a service account token even with automountServiceAccountToken: false; remove "
                    f"it, or allow this workload in {NAME}'s allowTokenAutomount config")


def check_stack(args: Any) -> Iterator[Violation]:
    """Pods that read a legacy token Secret: only the Secret, elsewhere in the stack, shows its type."""
    settings = config.values(CONFIG, args.get_config())
    yield from legacy_tokens.violations(stack_objects(args), lambda obj: _automount_allowed(obj, settings), NAME)


def _automount_allowed(obj: KubeObject, settings: dict) -> bool:
    return any(fnmatch.fnmatchcase(obj.identity, pattern) for pattern in settings["allowTokenAutomount"])


def _check_host_networking(obj: KubeObject, spec: dict, field) -> Iterator[Violation]:
    if spec.get("hostNetwork") is True:
        yield Violation(f"{obj.ref}: {field('spec', 'hostNetwork')} is true, which puts the pod on "
                        f"the node's network where no NetworkPolicy applies; remove it")
    for list_name in _CONTAINER_LISTS:
        containers = spec.get(list_name)
        for index, container in enumerate(containers if isinstance(containers, list) else []):
            ports = container.get("ports") if isinstance(container, dict) else None
            for port_index, port in enumerate(ports if isinstance(ports, list) else []):
                if isinstance(port, dict) and port.get("hostPort") not in (None, 0):
                    yield Violation(
                        f"{obj.ref}: {field('spec', list_name)}[{index}].ports[{port_index}].hostPort "
                        f"is {port['hostPort']}, which exposes the pod on the node past every "
                        f"NetworkPolicy; remove hostPort and expose it through a Service")


POLICY = ResourceAndStackValidationPolicy(
    NAME,
    "Pod templates carry netguard.io/role and data-class, their own service account without an "
    "automounted token or a legacy token Secret, and no hostNetwork or hostPort.",
    validate_resource=guarded(check),
    validate_stack=guarded(check_stack),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=CONFIG,
)
