"""Every workload: its own ServiceAccount, identity labels, a restricted pod and a Service."""

from __future__ import annotations

import pytest

from netguard import labels
from resource_queries import (
    SERVICE, SERVICE_ACCOUNT, WORKLOAD_TYPES, object_named, of_type, pod_template,
)
from stack_harness import reference_platform, run_stack

REFERENCE_WORKLOADS = [(w["namespace"], w["name"]) for w in reference_platform()["workloads"]]


def _spec(namespace: str, name: str) -> dict:
    return next(w for w in reference_platform()["workloads"] if (w["namespace"], w["name"]) == (namespace, name))


def _workload(resources, namespace: str, name: str) -> dict:
    return object_named(resources, WORKLOAD_TYPES[_spec(namespace, name)["kind"]], namespace, name)


@pytest.mark.parametrize("namespace, name", REFERENCE_WORKLOADS)
def test_workload_runs_as_its_own_service_account_without_a_token(reference_run, namespace, name):
    account = object_named(reference_run.resources, SERVICE_ACCOUNT, namespace, name)
    pod = pod_template(_workload(reference_run.resources, namespace, name))["spec"]

    assert account["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == name and pod["automountServiceAccountToken"] is False


@pytest.mark.parametrize("namespace, name", REFERENCE_WORKLOADS)
def test_pod_template_carries_the_identity_labels(reference_run, namespace, name):
    spec = _spec(namespace, name)
    namespace_class = next(n for n in reference_platform()["namespaces"] if n["name"] == namespace)["dataClass"]

    pod_labels = pod_template(_workload(reference_run.resources, namespace, name))["metadata"]["labels"]

    assert pod_labels == {
        labels.APP_NAME: name,
        labels.ROLE: spec["role"],
        labels.DATA_CLASS: spec.get("dataClass", namespace_class),
        labels.APP_PART_OF: "ai-platform",
        labels.APP_MANAGED_BY: labels.MANAGED_BY,
    }


@pytest.mark.parametrize("namespace, name", REFERENCE_WORKLOADS)
def test_pod_runs_restricted_and_never_on_the_host_network(reference_run, namespace, name):
    pod = pod_template(_workload(reference_run.resources, namespace, name))["spec"]

    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert "hostNetwork" not in pod and "hostPID" not in pod and "hostIPC" not in pod
    for container in pod["containers"]:
        assert container["securityContext"] == {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        assert all("hostPort" not in p and p["name"] for p in container.get("ports", []))


@pytest.mark.parametrize("namespace, name", [(ns, n) for ns, n in REFERENCE_WORKLOADS if _spec(ns, n).get("ports")])
def test_service_selects_the_workload_on_its_named_ports(reference_run, namespace, name):
    spec = _spec(namespace, name)
    service = object_named(reference_run.resources, SERVICE, namespace, name)

    assert service["spec"]["selector"] == {labels.APP_NAME: name, labels.ROLE: spec["role"]}
    assert service["spec"]["ports"] == [
        {"name": p["name"], "port": p["port"], "targetPort": p["name"], "protocol": p["protocol"]} for p in spec["ports"]
    ]


def test_statefulset_is_governed_by_a_headless_service(reference_run):
    service = object_named(reference_run.resources, SERVICE, "ai-data", "vector-db")
    statefulset = object_named(reference_run.resources, WORKLOAD_TYPES["StatefulSet"], "ai-data", "vector-db")

    assert service["spec"]["clusterIP"] == "None"
    assert statefulset["spec"]["serviceName"] == "vector-db"
    assert statefulset["spec"]["selector"] == {"matchLabels": {labels.APP_NAME: "vector-db", labels.ROLE: "vector-store"}}


def test_deployment_service_is_a_normal_cluster_ip(reference_run):
    assert "clusterIP" not in object_named(reference_run.resources, SERVICE, "ai-serving", "llm-server")["spec"]


def test_workload_without_ports_has_no_service(reference_run):
    services = {(s.props["metadata"]["namespace"], s.props["metadata"]["name"]) for s in of_type(reference_run.resources, SERVICE)}
    assert ("ai-ingest", "embed-backfill") not in services and ("ai-training", "finetune") not in services


def test_cronjob_runs_on_its_schedule_without_overlap(reference_run):
    cron = object_named(reference_run.resources, WORKLOAD_TYPES["CronJob"], "ai-ingest", "embed-backfill")

    assert cron["spec"]["schedule"] == "0 2 * * *" and cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert pod_template(cron)["spec"]["restartPolicy"] == "OnFailure"


def test_deployment_replicas_come_from_the_inventory(reference_run):
    assert object_named(reference_run.resources, WORKLOAD_TYPES["Deployment"], "ai-serving", "llm-server")["spec"]["replicas"] == 2


def test_service_account_token_is_mounted_when_the_inventory_asks(reference_inventory):
    reference_inventory["workloads"][0]["automountServiceAccountToken"] = True

    resources = run_stack(reference_inventory)

    assert object_named(resources, SERVICE_ACCOUNT, "ai-ingest", "chunker")["automountServiceAccountToken"] is True
    pod = pod_template(object_named(resources, WORKLOAD_TYPES["Deployment"], "ai-ingest", "chunker"))["spec"]
    assert pod["automountServiceAccountToken"] is True
