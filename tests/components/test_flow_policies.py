"""Each declared flow opens exactly one direction: ingress on the destination, egress on the source.
External egress is an ipBlock allowlist; domains never widen a NetworkPolicy.
"""

from __future__ import annotations

import pytest

from netguard import labels
from resource_queries import NETWORK_POLICY, object_named, policies
from stack_harness import reference_platform, run_stack

REFERENCE = reference_platform()


def _spec(namespace: str, name: str) -> dict:
    return next(w for w in REFERENCE["workloads"] if (w["namespace"], w["name"]) == (namespace, name))


def _identity(namespace: str, name: str) -> dict:
    return {labels.APP_NAME: name, labels.ROLE: _spec(namespace, name)["role"]}


def _flow_id(flow: dict) -> str:
    src = flow["from"]
    return f"{src['namespace']}/{src.get('workload') or 'role=' + src['role']}->{flow['to']['namespace']}/{flow['to']['workload']}"


@pytest.mark.parametrize("flow", REFERENCE["flows"], ids=_flow_id)
def test_flow_gives_an_ingress_and_an_egress_policy_with_exact_selectors_and_ports(reference_run, flow):
    src, dst = flow["from"], flow["to"]
    slug = src.get("workload") or f"role.{src['role']}"
    source_pods = _identity(src["namespace"], src["workload"]) if "workload" in src else {labels.ROLE: src["role"]}
    dst_pods = _identity(dst["namespace"], dst["workload"])
    dst_ports = {p["name"]: p for p in _spec(dst["namespace"], dst["workload"])["ports"]}
    ports = [{"port": dst_ports[n]["port"], "protocol": dst_ports[n]["protocol"]} for n in flow["ports"]]

    ingress = object_named(reference_run.resources, NETWORK_POLICY, dst["namespace"],
                           f"netguard-in.{src['namespace']}.{slug}.to.{dst['workload']}")
    egress = object_named(reference_run.resources, NETWORK_POLICY, src["namespace"],
                          f"netguard-out.{slug}.to.{dst['namespace']}.{dst['workload']}")

    assert ingress["metadata"]["labels"][labels.LAYER] == egress["metadata"]["labels"][labels.LAYER] == "flow"
    assert ingress["spec"] == {
        "podSelector": {"matchLabels": dst_pods},
        "policyTypes": ["Ingress"],
        "ingress": [{
            "from": [{
                "namespaceSelector": {"matchLabels": {labels.NAMESPACE_NAME: src["namespace"]}},
                "podSelector": {"matchLabels": source_pods},
            }],
            "ports": ports,
        }],
    }
    assert egress["spec"] == {
        "podSelector": {"matchLabels": source_pods},
        "policyTypes": ["Egress"],
        "egress": [{
            "to": [{
                "namespaceSelector": {"matchLabels": {labels.NAMESPACE_NAME: dst["namespace"]}},
                "podSelector": {"matchLabels": dst_pods},
            }],
            "ports": ports,
        }],
    }


def test_there_are_exactly_two_flow_policies_per_flow(reference_run):
    assert len(policies(reference_run.resources, layer="flow")) == 2 * len(REFERENCE["flows"])


def _rules(policy: dict) -> list[dict]:
    return policy["spec"].get("ingress", []) + policy["spec"].get("egress", [])


def _peers(rule: dict) -> list[dict]:
    return rule.get("from", rule.get("to"))


def test_no_policy_rule_has_an_empty_peer_list(reference_run):
    for policy in policies(reference_run.resources):
        for rule in _rules(policy):
            assert _peers(rule), f"{policy['metadata']['name']}: an empty peer list admits everyone"
            assert rule.get("ports"), f"{policy['metadata']['name']}: a rule without ports admits every port"


def test_no_flow_policy_selects_every_pod(reference_run):
    for policy in policies(reference_run.resources, layer="flow") + policies(reference_run.resources, layer="egress"):
        assert policy["spec"]["podSelector"].get("matchLabels")
        for rule in _rules(policy):
            for peer in _peers(rule):
                assert "ipBlock" in peer or peer["podSelector"].get("matchLabels")


def test_no_policy_opens_the_internet(reference_run):
    for policy in policies(reference_run.resources):
        for rule in _rules(policy):
            for peer in _peers(rule):
                assert peer.get("ipBlock", {}).get("cidr") not in ("0.0.0.0/0", "::/0")


def _allowed_pairs(resources) -> set[tuple[str, str]]:
    """(source namespace, destination namespace) of every flow-layer ingress policy."""
    pairs = set()
    for policy in policies(resources, layer="flow"):
        for rule in policy["spec"].get("ingress", []):
            for peer in rule["from"]:
                pairs.add((peer["namespaceSelector"]["matchLabels"][labels.NAMESPACE_NAME], policy["metadata"]["namespace"]))
    return pairs


def test_training_and_inference_are_isolated_both_ways(reference_run):
    pairs = _allowed_pairs(reference_run.resources)
    assert ("ai-training", "ai-serving") not in pairs and ("ai-serving", "ai-training") not in pairs


@pytest.mark.parametrize("namespace", ["ai-gateway", "ai-notebooks", "ai-serving"])
def test_gateway_notebook_and_inference_never_reach_training(reference_run, namespace):
    assert (namespace, "ai-training") not in _allowed_pairs(reference_run.resources)


def test_a_flow_is_never_implied_in_the_other_direction(reference_run):
    gateway_in = [p for p in policies(reference_run.resources, namespace="ai-gateway", layer="flow") if "ingress" in p["spec"]]
    sources = {peer["namespaceSelector"]["matchLabels"][labels.NAMESPACE_NAME]
               for p in gateway_in for rule in p["spec"]["ingress"] for peer in rule["from"]}
    assert sources == {"ai-notebooks"}  # the gateway calls serving; serving never calls back


def test_udp_ports_keep_their_protocol(reference_inventory):
    server = next(w for w in reference_inventory["workloads"] if w["name"] == "llm-server")
    server["ports"].append({"name": "quic", "port": 8443, "protocol": "UDP"})
    next(f for f in reference_inventory["flows"] if f["to"]["workload"] == "llm-server")["ports"] = ["http", "quic"]

    resources = run_stack(reference_inventory)

    ingress = object_named(resources, NETWORK_POLICY, "ai-serving", "netguard-in.ai-gateway.api-gateway.to.llm-server")
    assert ingress["spec"]["ingress"][0]["ports"] == [{"port": 8000, "protocol": "TCP"}, {"port": 8443, "protocol": "UDP"}]


def test_egress_allowlist_is_an_ipblock_per_cidr_with_its_ports(reference_run):
    policy = object_named(reference_run.resources, NETWORK_POLICY, "ai-ingest", "netguard-egress-chunker")

    assert policy["metadata"]["labels"][labels.LAYER] == "egress"
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {labels.APP_NAME: "chunker", labels.ROLE: "preprocessing"}},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443, "protocol": "TCP"}]}],
    }


def test_domains_are_exported_and_never_widen_a_network_policy(reference_run):
    assert reference_run.outputs["egressDomains"] == [
        {"workload": "ai-training/finetune", "domain": "models.example.com", "ports": ["443/TCP"]}]
    assert policies(reference_run.resources, namespace="ai-training", layer="egress") == []
    # the domain reaches the cluster's CNI only (a CiliumNetworkPolicy: test_cni_layers.py)
    assert "models.example.com" not in repr(policies(reference_run.resources))


def test_allowed_internet_still_excludes_private_and_metadata_ranges(reference_inventory):
    reference_inventory["egress"].append({"namespace": "ai-serving", "workload": "llm-server", "cidrs": [
        {"cidr": "0.0.0.0/0", "ports": [{"port": 443}], "allowInternet": True},
        {"cidr": "::/0", "ports": [{"port": 443}], "allowInternet": True},
    ]})

    resources = run_stack(reference_inventory)

    rules = object_named(resources, NETWORK_POLICY, "ai-serving", "netguard-egress-llm-server")["spec"]["egress"]
    v4, v6 = (rule["to"][0]["ipBlock"] for rule in rules)
    assert v4["cidr"] == "0.0.0.0/0" and {"10.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"} <= set(v4["except"])
    assert v6["cidr"] == "::/0" and {"fc00::/7", "fe80::/10"} <= set(v6["except"])


def test_a_flow_from_a_workload_to_itself_lets_its_replicas_reach_each_other_on_its_ports(reference_inventory):
    # Distributed training and clustered stores talk replica to replica; under default-deny that is a flow
    # like any other: declared, one port, the workload's own selector on both sides.
    reference_inventory["flows"].append({"from": {"namespace": "ai-data", "workload": "feature-store"},
                                         "to": {"namespace": "ai-data", "workload": "feature-store"}, "ports": ["grpc"]})

    resources = run_stack(reference_inventory)

    own = {labels.APP_NAME: "feature-store", labels.ROLE: "feature-store"}
    ingress = object_named(resources, NETWORK_POLICY, "ai-data", "netguard-in.ai-data.feature-store.to.feature-store")
    egress = object_named(resources, NETWORK_POLICY, "ai-data", "netguard-out.feature-store.to.ai-data.feature-store")
    assert ingress["spec"]["podSelector"]["matchLabels"] == own == egress["spec"]["podSelector"]["matchLabels"]
    assert ingress["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == own
    assert ingress["spec"]["ingress"][0]["ports"] == egress["spec"]["egress"][0]["ports"] == [{"port": 6566, "protocol": "TCP"}]
