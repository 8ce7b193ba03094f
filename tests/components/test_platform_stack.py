"""The whole stack: its shape, stable names, the provider, the vector-store key, and the harness."""

from __future__ import annotations

import random as stdlib_random
from collections import Counter

import pulumi
import pulumi_kubernetes as k8s
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from components.inventory import parse_inventory
from components.platform import AiPlatform, AiPlatformArgs
from resource_queries import SECRET, env_of, kubernetes, object_named, of_type, workload_objects
from stack_harness import reference_platform, run_stack, run_stack_full, run_under_mocks

KEY_ENV = "AI_DATA_VECTOR_DB_API_KEY"
KEY_SECRET = "netguard-key.ai-data.vector-db"


def test_reference_stack_builds_every_kind_it_declares(reference_run):
    counts = Counter(r.type for r in reference_run.resources)

    assert counts == {
        "pulumi:providers:kubernetes": 1,
        "netguard:index:AiPlatform": 1,
        "netguard:index:AiNamespace": 6, "kubernetes:core/v1:Namespace": 6,
        "netguard:index:AiWorkload": 9, "kubernetes:core/v1:ServiceAccount": 9,
        "kubernetes:apps/v1:Deployment": 4, "kubernetes:apps/v1:StatefulSet": 3,
        "kubernetes:batch/v1:Job": 1, "kubernetes:batch/v1:CronJob": 1,
        "kubernetes:core/v1:Service": 7,
        "netguard:index:AiFlow": 8, "netguard:index:AiEgressAllowlist": 1,
        "kubernetes:networking.k8s.io/v1:NetworkPolicy": 6 + 11 + 16 + 1,
        "netguard:index:AiVectorStoreKey": 1, "random:index/randomPassword:RandomPassword": 1,
        "kubernetes:core/v1:Secret": 4,
        # DNS, metadata, declared flows into 4 workloads and out of 6 sources, one per namespace,
        # the Baseline default-deny (components/guardrails.py)
        "netguard:index:AiGuardrails": 1,
        "kubernetes:policy.networking.k8s.io/v1alpha2:ClusterNetworkPolicy": 2 + 4 + 6 + 6 + 1,
        "netguard:index:AiDomainEgress": 1, "kubernetes:cilium.io/v2:CiliumNetworkPolicy": 1,
        "netguard:index:AiConnectionLogging": 1, "kubernetes:core/v1:ConfigMap": 1,
        # the Istio layer (mesh: {provider: istio, mode: sidecar}): per namespace STRICT and allow-nothing,
        # one ALLOW per flow and per metrics target
        "kubernetes:security.istio.io/v1:PeerAuthentication": 6,
        "kubernetes:security.istio.io/v1:AuthorizationPolicy": 6 + 8 + 5,
    }


def test_outputs_summarise_namespaces_workloads_and_policies_per_layer(reference_run):
    outputs = reference_run.outputs

    assert outputs["policies"] == {"baseline": 6, "platform": 11, "flow": 16, "egress": 2, "logging": 1,
                                   "mesh": 12 + 8 + 5}
    assert outputs["namespaces"] == sorted(ns["name"] for ns in reference_platform()["namespaces"])
    assert "ai-data/vector-db" in outputs["workloads"] and len(outputs["workloads"]) == 9


def test_components_parent_their_children(reference_run):
    by_urn = {r.urn: r for r in reference_run.resources}
    parent_type = {r.urn: by_urn[r.parent].type if r.parent in by_urn else None for r in reference_run.resources}

    for r in reference_run.resources:
        if r.type == "kubernetes:core/v1:Namespace":
            assert parent_type[r.urn] == "netguard:index:AiNamespace"
        if r.type in ("kubernetes:core/v1:ServiceAccount", "kubernetes:apps/v1:Deployment"):
            assert parent_type[r.urn] == "netguard:index:AiWorkload"
        if r.type.startswith("netguard:index:Ai") and r.type != "netguard:index:AiPlatform":
            assert parent_type[r.urn] == "netguard:index:AiPlatform"


def test_logical_names_come_from_the_inventory(reference_run):
    names = {(r.type, r.name) for r in reference_run.resources}

    assert ("netguard:index:AiWorkload", "ai-data/vector-db") in names
    assert ("kubernetes:apps/v1:StatefulSet", "ai-data/vector-db") in names
    assert ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "ai-data/baseline") in names
    assert ("netguard:index:AiFlow", "ai-gateway/api-gateway->ai-serving/llm-server") in names
    assert ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "ai-ingest/role=preprocessing->ai-data/vector-db/ingress") in names
    assert len({r.urn for r in reference_run.resources}) == len(reference_run.resources)


def _snapshot(inventory: dict) -> dict[str, dict]:
    return {r.urn: r.props for r in run_stack(inventory)}


@pytest.fixture(scope="module")
def reference_snapshot() -> dict[str, dict]:
    return _snapshot(reference_platform())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_reordering_the_inventory_changes_no_name_and_no_object(reference_snapshot, seed):
    shuffled = reference_platform()
    rng = stdlib_random.Random(seed)
    for section in ("namespaces", "workloads", "flows", "egress"):
        rng.shuffle(shuffled[section])
    for workload in shuffled["workloads"]:
        rng.shuffle(workload.get("ports", []))

    snapshot = _snapshot(shuffled)

    assert snapshot.keys() == reference_snapshot.keys()
    # Objects are equal except for lists whose order follows the inventory's (ports of a workload).
    for urn, props in reference_snapshot.items():
        assert _without_port_order(snapshot[urn]) == _without_port_order(props), urn


def _without_port_order(value):
    if isinstance(value, dict):
        return {k: _without_port_order(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_without_port_order(v) for v in value]
        return sorted(items, key=repr) if all(isinstance(v, dict) and ("port" in v or "containerPort" in v) for v in value) else items
    return value


def test_the_explicit_provider_reaches_every_kubernetes_resource(reference_run):
    [provider] = of_type(reference_run.resources, "pulumi:providers:kubernetes")

    assert provider.props == {"renderYamlToDirectory": "rendered"}
    for r in kubernetes(reference_run.resources):
        assert r.provider == f"{provider.urn}::{provider.name}_id", r.urn


def test_a_provider_given_to_the_platform_reaches_its_children():
    inventory = parse_inventory(reference_platform())

    def program() -> None:
        custom = k8s.Provider("other-cluster", kubeconfig="~/.kube/other")
        AiPlatform("ai-platform", AiPlatformArgs(inventory), pulumi.ResourceOptions(provider=custom))

    resources = run_under_mocks(program, {}).resources

    children = kubernetes(resources)
    assert children and all("pulumi:providers:kubernetes::other-cluster" in r.provider for r in children)
    [password] = of_type(resources, "random:index/randomPassword:RandomPassword")
    assert password.provider is None  # a Kubernetes provider is not offered to another package


def test_without_a_render_dir_the_provider_uses_the_ambient_kubeconfig(reference_inventory):
    [provider] = of_type(run_stack(reference_inventory), "pulumi:providers:kubernetes")
    assert provider.props == {}


def test_the_vector_store_key_is_random_and_kept_in_its_namespace(reference_run):
    [password] = of_type(reference_run.resources, "random:index/randomPassword:RandomPassword")
    secret = object_named(reference_run.resources, SECRET, "ai-data", KEY_SECRET)

    assert password.name == "ai-data/vector-db/api-key" and password.props["length"] >= 32
    assert secret["type"] == "Opaque"
    assert secret["stringData"] == {"api-key": "mock-password-ai-data/vector-db/api-key"}


def test_the_key_is_copied_only_into_namespaces_where_a_consumer_runs(reference_run):
    namespaces = {r.props["metadata"]["namespace"] for r in of_type(reference_run.resources, SECRET)}
    assert namespaces == {"ai-data", "ai-ingest", "ai-serving", "ai-notebooks"}


def test_the_key_is_mounted_only_by_the_store_and_its_declared_consumers(reference_run):
    readers = {
        f"{w['metadata']['namespace']}/{w['metadata']['name']}"
        for w in workload_objects(reference_run.resources) if any(e["name"] == KEY_ENV for e in env_of(w))
    }
    # A role flow (preprocessing in ai-ingest) counts for every workload of that role.
    assert readers == {"ai-data/vector-db", "ai-ingest/chunker", "ai-ingest/embed-backfill",
                       "ai-serving/llm-server", "ai-notebooks/jupyter"}


def test_every_mounted_key_names_a_secret_in_the_pods_own_namespace(reference_run):
    secrets = {(r.props["metadata"]["namespace"], r.props["metadata"]["name"]) for r in of_type(reference_run.resources, SECRET)}
    for workload in workload_objects(reference_run.resources):
        for env in env_of(workload):
            ref = env["valueFrom"]["secretKeyRef"]
            assert (workload["metadata"]["namespace"], ref["name"]) in secrets and ref["key"] == "api-key"


def test_dropping_a_flow_to_the_store_takes_the_key_away(reference_inventory):
    reference_inventory["flows"] = [f for f in reference_inventory["flows"] if f["from"].get("workload") != "jupyter"
                                    or f["to"]["workload"] != "vector-db"]

    resources = run_stack(reference_inventory)

    jupyter = next(w for w in workload_objects(resources) if w["metadata"]["name"] == "jupyter")
    assert env_of(jupyter) == []
    assert "ai-notebooks" not in {r.props["metadata"]["namespace"] for r in of_type(resources, SECRET)}


def test_the_harness_isolates_runs_in_one_process(reference_inventory):
    small = {"namespaces": [{"name": "solo", "trustTier": "standard", "dataClass": "public"}]}

    first = run_stack_full(small, render_dir="out-a")
    full = run_stack_full(reference_inventory)
    again = run_stack_full(small)

    assert Counter(r.type for r in first.resources) == Counter(r.type for r in again.resources)
    assert len(full.resources) > len(first.resources)
    assert of_type(first.resources, "pulumi:providers:kubernetes")[0].props == {"renderYamlToDirectory": "out-a"}
    assert of_type(again.resources, "pulumi:providers:kubernetes")[0].props == {}
    assert again.outputs["namespaces"] == ["solo"] and again.outputs["workloads"] == []


def test_key_env_name_is_a_valid_variable_name_when_the_namespace_starts_with_a_digit(reference_inventory):
    # Namespaces may start with a digit; environment variable names may not (the API server rejects them).
    for item in reference_inventory["namespaces"] + reference_inventory["workloads"] + reference_inventory["egress"]:
        for key in ("name", "namespace"):
            if item.get(key) == "ai-data":
                item[key] = "1-data"
    for flow in reference_inventory["flows"]:
        for end in (flow["from"], flow["to"]):
            if end["namespace"] == "ai-data":
                end["namespace"] = "1-data"

    resources = run_stack(reference_inventory)

    store = object_named(resources, "kubernetes:apps/v1:StatefulSet", "1-data", "vector-db")
    assert [e["name"] for e in env_of(store)] == ["_1_DATA_VECTOR_DB_API_KEY"]
