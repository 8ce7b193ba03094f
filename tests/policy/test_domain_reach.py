"""egress-allowlist's stack half for names: a domain the stack's domain rules name is reachable only
by the workloads whose own domain rules name it."""

from __future__ import annotations

from policy import manifests as m
from policy.pack_harness import by_policy, run

RULE = "egress-allowlist"


def fqdn_policy(ns, role, name):
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": f"domains-{role}", "namespace": ns},
            "spec": {"endpointSelector": {"matchLabels": {"netguard.io/role": role}},
                     "egress": [{"toFQDNs": [{"matchName": name}],
                                 "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]}}


def internet(ns, role):
    return m.network_policy(ns, f"internet-{role}", {
        "podSelector": {"matchLabels": {"netguard.io/role": role}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443, "protocol": "TCP"}]}]})


OPEN = {RULE: {"allowedEgressCidrs": ["0.0.0.0/0", "::/0"], "allowedEgressDomains": ["models.example.com"]},
        "no-allow-all": {"exceptions": ["*/internet-*"]}}


def found(objects):
    return [f.message for f in by_policy(run(m.resources(objects), OPEN)).get(RULE, [])]


def test_the_workload_that_declares_the_domain_passes():
    assert found(m.base_stack() + [fqdn_policy("ai-training", "training", "models.example.com")]) == []


def test_another_workload_reaching_the_name_through_an_open_address_rule_fails():
    messages = found(m.base_stack() + [fqdn_policy("ai-training", "training", "models.example.com"),
                                       internet("ai-serving", "inference")])
    assert len(messages) == 1
    assert "ai-serving/llm" in messages[0] and "can reach models.example.com (443/TCP)" in messages[0]
    assert "0.0.0.0/0 admits every IPv4 address" in messages[0]


def test_no_domain_rule_in_the_stack_no_name_to_ask():
    assert found(m.base_stack() + [internet("ai-serving", "inference")]) == []
