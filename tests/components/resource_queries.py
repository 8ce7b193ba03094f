"""Small queries over what the stack registered, for the component tests."""

from __future__ import annotations

from collections.abc import Iterable

from stack_harness import RegisteredResource

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
SERVICE = "kubernetes:core/v1:Service"
SECRET = "kubernetes:core/v1:Secret"
WORKLOAD_TYPES = {
    "Deployment": "kubernetes:apps/v1:Deployment",
    "StatefulSet": "kubernetes:apps/v1:StatefulSet",
    "Job": "kubernetes:batch/v1:Job",
    "CronJob": "kubernetes:batch/v1:CronJob",
}


def of_type(resources: Iterable[RegisteredResource], type_: str) -> list[RegisteredResource]:
    return [r for r in resources if r.type == type_]


def kubernetes(resources: Iterable[RegisteredResource]) -> list[RegisteredResource]:
    return [r for r in resources if r.type.startswith("kubernetes:")]


def policies(resources, *, namespace: str | None = None, layer: str | None = None) -> list[dict]:
    found = [r.props for r in of_type(resources, NETWORK_POLICY)]
    if namespace is not None:
        found = [p for p in found if p["metadata"]["namespace"] == namespace]
    if layer is not None:
        found = [p for p in found if p["metadata"]["labels"]["netguard.io/layer"] == layer]
    return found


def object_named(resources, type_: str, namespace: str | None, name: str) -> dict:
    matches = [
        r.props for r in of_type(resources, type_)
        if r.props["metadata"]["name"] == name and r.props["metadata"].get("namespace") == namespace
    ]
    assert len(matches) == 1, f"expected one {type_} {namespace}/{name}, found {len(matches)}"
    return matches[0]


def workload_objects(resources) -> list[dict]:
    types = set(WORKLOAD_TYPES.values())
    return [r.props for r in resources if r.type in types]


def pod_template(workload: dict) -> dict:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]
    return spec["template"]


def env_of(workload: dict) -> list[dict]:
    return [e for c in pod_template(workload)["spec"]["containers"] for e in c.get("env", [])]
