"""AiWorkload: one AI workload with its own ServiceAccount, a restricted pod, and a Service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from .inventory import WorkloadSpec


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable read from a key of a Secret in the workload's namespace."""

    env: str
    secret: str
    key: str


@dataclass(frozen=True)
class AiWorkloadArgs:
    workload: WorkloadSpec
    pod_labels: dict[str, str]      # identity labels, from identity.pod_labels
    selector: dict[str, str]        # the immutable subset, from identity.selector
    secret_env: tuple[SecretEnv, ...] = ()


_CONTAINER_SECURITY = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def service_account(args: AiWorkloadArgs) -> dict:
    wl = args.workload
    return {
        "metadata": {"name": wl.name, "namespace": wl.namespace, "labels": args.pod_labels},
        "automount_service_account_token": wl.automount_service_account_token,
    }


def service(args: AiWorkloadArgs) -> dict:
    """A Service on the workload's ports; headless for a StatefulSet (stable per-pod names)."""
    wl = args.workload
    spec: dict = {
        "selector": args.selector,
        "ports": [{"name": p.name, "port": p.port, "targetPort": p.name, "protocol": p.protocol} for p in wl.ports],
    }
    if wl.kind == "StatefulSet":
        spec["clusterIP"] = "None"
    return {"metadata": {"name": wl.name, "namespace": wl.namespace, "labels": args.pod_labels}, "spec": spec}


def pod_template(args: AiWorkloadArgs) -> dict:
    wl = args.workload
    container: dict = {
        "name": wl.name,
        "image": wl.image,
        "securityContext": _CONTAINER_SECURITY,
        # A read-only root filesystem still needs somewhere to write scratch files.
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if wl.ports:
        container["ports"] = [{"name": p.name, "containerPort": p.port, "protocol": p.protocol} for p in wl.ports]
    if args.secret_env:
        container["env"] = [
            {"name": e.env, "valueFrom": {"secretKeyRef": {"name": e.secret, "key": e.key}}} for e in args.secret_env
        ]
    spec: dict = {
        "serviceAccountName": wl.name,
        "automountServiceAccountToken": wl.automount_service_account_token,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    if wl.kind in ("Job", "CronJob"):
        spec["restartPolicy"] = "OnFailure"
    return {"metadata": {"labels": args.pod_labels}, "spec": spec}


def workload_spec(args: AiWorkloadArgs) -> dict:
    """The spec of the Deployment, StatefulSet, Job or CronJob."""
    wl = args.workload
    template = pod_template(args)
    if wl.kind == "Deployment":
        return {"replicas": wl.replicas, "selector": {"matchLabels": args.selector}, "template": template}
    if wl.kind == "StatefulSet":
        return {"replicas": wl.replicas, "selector": {"matchLabels": args.selector},
                "serviceName": wl.name, "template": template}
    job = {"parallelism": wl.replicas, "completions": wl.replicas, "backoffLimit": 3, "template": template}
    if wl.kind == "Job":
        return job
    return {"schedule": wl.schedule, "concurrencyPolicy": "Forbid",
            "jobTemplate": {"metadata": {"labels": args.pod_labels}, "spec": job}}


WORKLOAD_TYPES = {
    "Deployment": k8s.apps.v1.Deployment,
    "StatefulSet": k8s.apps.v1.StatefulSet,
    "Job": k8s.batch.v1.Job,
    "CronJob": k8s.batch.v1.CronJob,
}


def has_service(workload: WorkloadSpec) -> bool:
    # A StatefulSet always gets its governing headless Service, even without ports.
    return bool(workload.ports) or workload.kind == "StatefulSet"


class AiWorkload(pulumi.ComponentResource):
    """ServiceAccount, workload and Service for one inventory workload, named `<namespace>/<name>`."""

    def __init__(self, name: str, args: AiWorkloadArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("netguard:index:AiWorkload", name, None, opts)
        wl = args.workload
        child = pulumi.ResourceOptions(parent=self)
        account = k8s.core.v1.ServiceAccount(name, **service_account(args), opts=child)
        self.workload = WORKLOAD_TYPES[wl.kind](
            name,
            metadata={"name": wl.name, "namespace": wl.namespace, "labels": args.pod_labels},
            spec=workload_spec(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        if has_service(wl):
            k8s.core.v1.Service(name, **service(args), opts=child)
        self.register_outputs({"name": wl.name, "namespace": wl.namespace, "kind": wl.kind})
