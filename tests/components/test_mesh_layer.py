"""The Istio mesh layer of the components, under Pulumi's mock runtime, read back by the engine.

With `mesh: {provider: istio, mode: sidecar|ambient}` every AI namespace is in the mesh with STRICT
mTLS and an allow-nothing policy, each flow admits exactly its sources' principals on its ports,
and the engine over the rendered stack finds exactly the declared flows, in every layer.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from components.inventory import parse_inventory
from netguard import labels
from resource_queries import NAMESPACE, of_type, policies
from stack_harness import run_stack_full

AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
PEER_AUTH = "kubernetes:security.istio.io/v1:PeerAuthentication"


def with_mesh(inventory: dict, **mesh) -> dict:
    inventory["platform"]["mesh"] = {"provider": "istio", **mesh}
    return inventory


def reach(resources, tmp_path, *extra: str, foreign: tuple = ()) -> set:
    manifests = [r.props for r in resources if r.type.startswith("kubernetes:") and not r.type.endswith(":Secret")]
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump_all(manifests + list(foreign)))
    done = subprocess.run([sys.executable, "-m", "netguard.cli", "reach", str(tmp_path), *extra],
                          capture_output=True, text=True, check=True)
    return {(a["from"], a["to"], a["port"], a["protocol"]) for a in json.loads(done.stdout)["allowed"]}


@pytest.fixture(scope="module")
def sidecar_run(request):
    from stack_harness import reference_platform
    return run_stack_full(with_mesh(reference_platform(), mode="sidecar"))


def by_name(resources, type_, namespace, name) -> dict:
    found = [r.props for r in of_type(resources, type_)
             if r.props["metadata"]["namespace"] == namespace and r.props["metadata"]["name"] == name]
    assert len(found) == 1, f"{type_} {namespace}/{name}: {len(found)} found"
    return found[0]


def test_every_ai_namespace_is_injected_strict_and_allows_nothing_by_default(sidecar_run, reference_inventory):
    names = [n["name"] for n in reference_inventory["namespaces"]]
    for ns in of_type(sidecar_run.resources, NAMESPACE):
        assert ns.props["metadata"]["labels"]["istio-injection"] == "enabled"
    for name in names:
        pa = by_name(sidecar_run.resources, PEER_AUTH, name, "netguard-mesh-mtls-strict")
        assert pa["spec"] == {"mtls": {"mode": "STRICT"}} and pa["apiVersion"] == "security.istio.io/v1"
        assert by_name(sidecar_run.resources, AUTHZ, name, "netguard-mesh-allow-nothing")["spec"] == {}


def test_each_flow_admits_exactly_its_sources_principals_on_its_container_ports(sidecar_run):
    role_flow = by_name(sidecar_run.resources, AUTHZ, "ai-data", "netguard-mesh-in.ai-ingest.role.preprocessing.to.vector-db")
    assert role_flow["spec"] == {
        "selector": {"matchLabels": {labels.APP_NAME: "vector-db", labels.ROLE: "vector-store"}},
        "action": "ALLOW",
        "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/ai-ingest/sa/chunker",
                                                        "cluster.local/ns/ai-ingest/sa/embed-backfill"]}}],
                   "to": [{"operation": {"ports": ["6334"]}}]}],
    }


def test_every_mesh_object_carries_the_mesh_layer(sidecar_run):
    objects = of_type(sidecar_run.resources, AUTHZ) + of_type(sidecar_run.resources, PEER_AUTH)
    assert objects and {o.props["metadata"]["labels"][labels.LAYER] for o in objects} == {labels.LAYER_MESH}


def test_metrics_are_admitted_by_namespace_unless_the_scraper_is_named(sidecar_run, reference_inventory):
    by_ns = by_name(sidecar_run.resources, AUTHZ, "ai-serving", "netguard-mesh-metrics-llm-server")
    assert by_ns["spec"]["rules"][0] == {"from": [{"source": {"namespaces": ["monitoring"]}}],
                                         "to": [{"operation": {"ports": ["9090"]}}]}
    named = run_stack_full(with_mesh(reference_inventory, scraperServiceAccount="prometheus"))
    by_sa = by_name(named.resources, AUTHZ, "ai-serving", "netguard-mesh-metrics-llm-server")
    assert by_sa["spec"]["rules"][0]["from"] == [{"source": {"principals": ["cluster.local/ns/monitoring/sa/prometheus"]}}]


def test_outputs_say_whether_encryption_in_transit_is_enforced(sidecar_run, reference_inventory):
    assert sidecar_run.outputs["encryptionInTransit"]["enforced"] is True
    del reference_inventory["platform"]["mesh"]
    plain = run_stack_full(reference_inventory)
    assert plain.outputs["encryptionInTransit"]["enforced"] is False
    assert "not encrypted" in plain.outputs["encryptionInTransit"]["reason"]
    assert not of_type(plain.resources, AUTHZ) and not of_type(plain.resources, PEER_AUTH)
    assert "istio-injection" not in of_type(plain.resources, NAMESPACE)[0].props["metadata"]["labels"]


@pytest.mark.parametrize("layer", ["all", "mesh", "datapath"])
def test_the_engine_finds_exactly_the_declared_flows_in_every_layer(sidecar_run, reference_inventory, tmp_path, layer):
    declared = set(parse_inventory(reference_inventory).declared_connections())
    assert reach(sidecar_run.resources, tmp_path, "--layer", layer) == declared


def test_a_foreign_deny_closes_a_flow_and_a_foreign_allow_opens_nothing_the_datapath_denies(sidecar_run, reference_inventory,
                                                                                          tmp_path):
    declared = set(parse_inventory(reference_inventory).declared_connections())
    deny = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "no-gateway", "namespace": "ai-serving"},
            "spec": {"action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["ai-gateway"]}}]}]}}
    allow_all = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                 "metadata": {"name": "allow-all", "namespace": "istio-system"}, "spec": {"rules": [{}]}}
    assert reach(sidecar_run.resources, tmp_path, foreign=(deny,)) == {
        f for f in declared if not (f[0].startswith("ai-gateway/") and f[1].startswith("ai-serving/"))}
    assert reach(sidecar_run.resources, tmp_path, foreign=(allow_all,)) == declared


def test_ambient_mode_labels_namespaces_and_opens_hbone_beside_each_flow_only(reference_inventory, tmp_path):
    run = run_stack_full(with_mesh(reference_inventory, mode="ambient"))
    for ns in of_type(run.resources, NAMESPACE):
        assert ns.props["metadata"]["labels"]["istio.io/dataplane-mode"] == "ambient"
        assert "istio-injection" not in ns.props["metadata"]["labels"]
    for policy in policies(run.resources, layer="flow"):
        rule = (policy["spec"].get("ingress") or policy["spec"].get("egress"))[0]
        assert {"port": 15008, "protocol": "TCP"} in rule["ports"]
    for policy in policies(run.resources, layer="baseline") + policies(run.resources, layer="egress"):
        assert "15008" not in json.dumps(policy)
    declared = set(parse_inventory(reference_inventory).declared_connections())
    assert reach(run.resources, tmp_path) == declared
    assert reach(run.resources, tmp_path, "--probe", "15008/TCP", "--layer", "all") == set()
