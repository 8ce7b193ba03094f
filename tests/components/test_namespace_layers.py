"""Every namespace: identity, Pod Security `restricted`, a default-deny baseline, DNS, and scraping."""

from __future__ import annotations

import pytest

from netguard import labels
from resource_queries import NAMESPACE, NETWORK_POLICY, object_named, of_type, policies
from stack_harness import reference_platform, run_stack

REFERENCE_NAMESPACES = [ns["name"] for ns in reference_platform()["namespaces"]]


@pytest.mark.parametrize("namespace", REFERENCE_NAMESPACES)
def test_namespace_enforces_restricted_pod_security_and_carries_its_tiers(reference_run, namespace):
    spec = next(n for n in reference_platform()["namespaces"] if n["name"] == namespace)
    ns = object_named(reference_run.resources, NAMESPACE, None, namespace)

    assert ns["metadata"]["labels"] == {
        **spec["labels"],
        labels.TRUST_TIER: spec["trustTier"],
        labels.DATA_CLASS: spec["dataClass"],
        labels.APP_PART_OF: "ai-platform",
        labels.APP_MANAGED_BY: labels.MANAGED_BY,
        labels.PSA_ENFORCE: "restricted",
        labels.PSA_ENFORCE_VERSION: "latest",
        labels.PSA_AUDIT: "restricted",
        labels.PSA_WARN: "restricted",
        "istio-injection": "enabled",  # the dev stack's mesh: Istio, sidecar mode
    }


@pytest.mark.parametrize("namespace", REFERENCE_NAMESPACES)
def test_namespace_denies_everything_by_default(reference_run, namespace):
    [baseline] = policies(reference_run.resources, namespace=namespace, layer="baseline")

    assert baseline["metadata"]["name"] == "netguard-baseline-deny-all"
    assert baseline["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


DOMAIN_WORKLOADS = {("ai-training", "finetune")}  # the dev stack's domain egress (cni: cilium)


@pytest.mark.parametrize("namespace", REFERENCE_NAMESPACES)
def test_namespace_may_reach_cluster_dns_and_nothing_else(reference_run, namespace):
    dns = object_named(reference_run.resources, NETWORK_POLICY, namespace, "netguard-platform-dns")

    assert dns["metadata"]["labels"][labels.LAYER] == "platform"
    # On Cilium, workloads with domains get DNS only from their CNP's `rules.dns` rule: an
    # L3/L4-only allow on 53 would make Cilium's DNS proxy admit every name for them.
    with_domains = sorted(w for (ns, w) in DOMAIN_WORKLOADS if ns == namespace)
    expected_pods = ({"matchExpressions": [{"key": labels.APP_NAME, "operator": "NotIn", "values": with_domains}]}
                     if with_domains else {})
    assert dns["spec"] == {
        "podSelector": expected_pods,
        "policyTypes": ["Egress"],
        "egress": [{
            "to": [{
                "namespaceSelector": {"matchLabels": {labels.NAMESPACE_NAME: "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        }],
    }


def test_metrics_ports_are_open_to_the_monitoring_namespace_only(reference_run):
    metrics = [p for p in policies(reference_run.resources, layer="platform")
               if p["metadata"]["name"].startswith("netguard-metrics-")]
    scraped = {(p["metadata"]["namespace"], p["spec"]["podSelector"]["matchLabels"][labels.APP_NAME]) for p in metrics}

    assert scraped == {(w["namespace"], w["name"]) for w in reference_platform()["workloads"] if w.get("metricsPort")}
    llm = object_named(reference_run.resources, NETWORK_POLICY, "ai-serving", "netguard-metrics-llm-server")
    assert llm["spec"] == {
        "podSelector": {"matchLabels": {labels.APP_NAME: "llm-server", labels.ROLE: "inference"}},
        "policyTypes": ["Ingress"],
        "ingress": [{
            "from": [{"namespaceSelector": {"matchLabels": {labels.NAMESPACE_NAME: "monitoring"}}}],
            "ports": [{"port": 9090, "protocol": "TCP"}],
        }],
    }


def test_without_a_monitoring_namespace_no_metrics_port_is_open(reference_inventory):
    del reference_inventory["platform"]["monitoringNamespace"]

    resources = run_stack(reference_inventory)

    assert [p["metadata"]["name"] for p in policies(resources, layer="platform")] == ["netguard-platform-dns"] * 6


def test_cluster_dns_location_comes_from_the_inventory(reference_inventory):
    reference_inventory["platform"]["dns"] = {"namespace": "dns-system", "podLabels": {"app": "coredns"}}

    resources = run_stack(reference_inventory)

    peer = object_named(resources, NETWORK_POLICY, "ai-data", "netguard-platform-dns")["spec"]["egress"][0]["to"][0]
    assert peer == {"namespaceSelector": {"matchLabels": {labels.NAMESPACE_NAME: "dns-system"}},
                    "podSelector": {"matchLabels": {"app": "coredns"}}}


def test_dns_defaults_to_kube_dns_in_kube_system(reference_inventory):
    reference_inventory["platform"] = {"cni": "cilium"}  # the CNI enforces the declared domain

    resources = run_stack(reference_inventory)

    peer = object_named(resources, NETWORK_POLICY, "ai-data", "netguard-platform-dns")["spec"]["egress"][0]["to"][0]
    assert peer["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert peer["namespaceSelector"] == {"matchLabels": {labels.NAMESPACE_NAME: "kube-system"}}


def test_every_network_policy_carries_a_known_layer(reference_run):
    layers = [r.props["metadata"]["labels"].get(labels.LAYER) for r in of_type(reference_run.resources, NETWORK_POLICY)]
    assert layers and set(layers) <= set(labels.LAYERS)
