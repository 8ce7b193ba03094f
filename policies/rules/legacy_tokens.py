"""Legacy service account tokens: Secrets of type kubernetes.io/service-account-token that pods read.

Such a Secret holds a long-lived token that never expires and is bound to no pod; a pod that mounts
it as a volume, or reads it through env secretKeyRef or envFrom secretRef, holds API credentials
whatever automountServiceAccountToken says. Only the Secret carries its type, so this is the stack
part of workload-identity: it pairs each pod template's Secret references with the stack's Secrets
of the same cluster and namespace.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from . import pod_templates
from .objects import KubeObject
from .props import UNKNOWN
from .reporting import Violation

LEGACY_TOKEN_TYPE = "kubernetes.io/service-account-token"
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def violations(objects: list[KubeObject], exempt: Callable[[KubeObject], bool], rule: str) -> Iterator[Violation]:
    tokens: dict[tuple, set] = {}  # (cluster, namespace) -> legacy token Secret names (UNKNOWN: one unnamed)
    for obj in objects:
        if obj.group == "" and obj.kind == "Secret" and obj.get("type") in (LEGACY_TOKEN_TYPE, UNKNOWN):
            tokens.setdefault((obj.cluster, obj.namespace), set()).add(obj.name)
    if not tokens:
        return
    for obj in objects:
        names = tokens.get((obj.cluster, obj.namespace))
        if not names or exempt(obj) or not (obj.is_workload or pod_templates.runs_pods(obj)):
            continue
        for path in dict.fromkeys(s.template_path for s in pod_templates.shapes(obj) if s.template_path is not None):
            spec = obj.get(*path, "spec") if path else obj.get("spec")
            for where, name in _secret_references(spec if isinstance(spec, dict) else {}):
                if name is not None and (name in names or UNKNOWN in (name, *names)):  # unknown: may be it
                    yield Violation(
                        f"{obj.ref}: {pod_templates.field_path((*path, 'spec'))}.{where} reads Secret "
                        f"{_shown(name)}, a {LEGACY_TOKEN_TYPE} (a long-lived token bound to no pod); use a "
                        f"projected, bound serviceAccountToken only where the workload needs the API, or "
                        f"none, or allow this workload in {rule}'s allowTokenAutomount config", obj.urn)


def _secret_references(spec: dict) -> Iterator[tuple[str, Any]]:
    """(field, Secret name) for each Secret the pod reads: volumes, projected sources, env and envFrom."""
    for i, volume in enumerate(_list(spec.get("volumes"))):
        if isinstance(volume.get("secret"), dict):
            yield f"volumes[{i}].secret.secretName", volume["secret"].get("secretName")
        projected = volume.get("projected")
        for n, source in enumerate(_list(projected.get("sources")) if isinstance(projected, dict) else []):
            if isinstance(source.get("secret"), dict):
                yield f"volumes[{i}].projected.sources[{n}].secret.name", source["secret"].get("name")
    for list_name in _CONTAINER_LISTS:
        for c, container in enumerate(_list(spec.get(list_name))):
            for e, env in enumerate(_list(container.get("env"))):
                ref = env.get("valueFrom", {}).get("secretKeyRef") if isinstance(env.get("valueFrom"), dict) else None
                if isinstance(ref, dict):
                    yield f"{list_name}[{c}].env[{e}].valueFrom.secretKeyRef.name", ref.get("name")
            for e, source in enumerate(_list(container.get("envFrom"))):
                if isinstance(source.get("secretRef"), dict):
                    yield f"{list_name}[{c}].envFrom[{e}].secretRef.name", source["secretRef"].get("name")


def _list(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _shown(name: Any) -> str:
    return "<name unknown at preview>" if name is UNKNOWN else repr(name)
