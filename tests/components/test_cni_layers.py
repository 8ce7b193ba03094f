"""Domain egress and connection logging through the cluster's CNI, under Pulumi's mock runtime."""

from __future__ import annotations

import copy

import pytest
import yaml

from netguard import labels
from resource_queries import object_named, of_type
from stack_harness import reference_platform, run_stack, run_stack_failure

CNP = "kubernetes:cilium.io/v2:CiliumNetworkPolicy"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"


@pytest.fixture(scope="module")
def cilium_run():
    return run_stack(reference_platform())


def test_the_reference_stack_runs_cilium_with_logging():
    platform = reference_platform()["platform"]
    assert platform["cni"] == "cilium" and platform["logging"]["dataClasses"] == ["confidential", "restricted"]


def test_a_declared_domain_becomes_a_cilium_policy_with_fqdn_and_a_restricted_dns_rule(cilium_run):
    policy = object_named(cilium_run, CNP, "ai-training", "netguard-domains-finetune")
    assert policy["metadata"]["labels"][labels.LAYER] == "egress"
    spec = policy["spec"]
    assert spec["endpointSelector"] == {"matchLabels": {labels.APP_NAME: "finetune", labels.ROLE: "training"}}
    dns, fqdn = spec["egress"]
    assert dns["toEndpoints"] == [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                                   "k8s:k8s-app": "kube-dns"}}]
    assert dns["toPorts"][0]["rules"]["dns"] == [{"matchName": "models.example.com"},
                                                 {"matchPattern": "**.cluster.local"}]
    assert fqdn == {"toFQDNs": [{"matchName": "models.example.com"}],
                    "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}


def test_a_wildcard_domain_is_a_match_pattern():
    platform = reference_platform()
    platform["egress"][1]["domains"].append({"domain": "*.hub.example.com", "ports": [{"port": 443}]})
    policy = object_named(run_stack(platform), CNP, "ai-training", "netguard-domains-finetune")
    assert {"toFQDNs": [{"matchPattern": "*.hub.example.com"}],
            "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]} in policy["spec"]["egress"]


def test_logging_is_a_hubble_exporter_config_on_the_chosen_namespaces(cilium_run):
    config = object_named(cilium_run, CONFIG_MAP, "kube-system", "cilium-flowlog-config")
    assert config["metadata"]["labels"][labels.LAYER] == "logging"
    (flow_log,) = yaml.safe_load(config["data"]["flowlogs.yaml"])["flowLogs"]
    namespaces = {f.get("source_pod", f.get("destination_pod"))[0] for f in flow_log["includeFilters"]}
    assert namespaces == {"ai-data/", "ai-training/", "ai-serving/"}  # confidential and restricted
    assert all(f["verdict"] == ["FORWARDED", "DROPPED"] for f in flow_log["includeFilters"])


def test_no_logging_asked_no_exporter():
    platform = reference_platform()
    del platform["platform"]["logging"]
    assert not [r for r in of_type(run_stack(platform), CONFIG_MAP) if r.props["metadata"]["name"] == "cilium-flowlog-config"]


@pytest.mark.parametrize("cni", ["generic", "calico"])
def test_domains_on_a_cni_that_cannot_enforce_them_are_an_inventory_error(cni):
    platform = reference_platform()
    platform["platform"]["cni"] = cni
    platform["platform"].pop("logging") if cni == "generic" else None
    failure = run_stack_failure(platform)
    assert (f"netguard:platform.egress[1].domains[0]: domain 'models.example.com' cannot be enforced on "
            f"platform.cni '{cni}'") in str(failure.error)
    assert "choose platform.cni cilium | antrea | ovn-kubernetes" in str(failure.error)


def test_cilium_logging_needs_the_fallback_accepted():
    platform = reference_platform()
    platform["platform"]["logging"]["acceptFallback"] = False
    failure = run_stack_failure(platform)
    assert "netguard:platform.platform.logging: Cilium has no per-policy log switch" in str(failure.error)
    assert "acceptFallback: true" in str(failure.error)


def test_logging_on_the_generic_cni_is_an_error():
    platform = copy.deepcopy(reference_platform())
    platform["platform"]["cni"] = "generic"
    platform["egress"] = [e for e in platform["egress"] if "domains" not in e]
    failure = run_stack_failure(platform)
    assert "netguard:platform.platform.logging: platform.cni 'generic' has no connection logging" in str(failure.error)


def test_an_unknown_cni_names_the_choices():
    platform = reference_platform()
    platform["platform"]["cni"] = "flannel"
    failure = run_stack_failure(platform)
    assert "netguard:platform.platform.cni" in str(failure.error) and "cilium" in str(failure.error)


@pytest.mark.parametrize("cni", ["antrea", "ovn-kubernetes"])
def test_domains_on_a_cni_whose_rules_are_not_built_yet_are_an_inventory_error(cni):
    platform = reference_platform()
    platform["platform"]["cni"] = cni
    del platform["platform"]["logging"]
    message = str(run_stack_failure(platform).error)
    assert f"netguard:platform.egress[1].domains[0]: domain 'models.example.com': netguard does not build {cni}'s" in message


@pytest.mark.parametrize("cni", ["antrea", "ovn-kubernetes", "calico"])
def test_logging_on_a_cni_whose_switch_is_not_built_yet_is_an_inventory_error(cni):
    platform = reference_platform()
    platform["platform"]["cni"] = cni
    platform["egress"] = [e for e in platform["egress"] if "domains" not in e]
    message = str(run_stack_failure(platform).error)
    assert f"netguard:platform.platform.logging: netguard does not build {cni}'s connection logging yet" in message


@pytest.mark.parametrize("cni", ["antrea", "ovn-kubernetes", "calico", "generic"])
def test_every_cni_without_domains_or_logging_builds_the_platform(cni):
    platform = reference_platform()
    platform["platform"]["cni"] = cni
    del platform["platform"]["logging"]
    platform["egress"] = [e for e in platform["egress"] if "domains" not in e]
    resources = run_stack(platform)
    assert not of_type(resources, CNP) and of_type(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
