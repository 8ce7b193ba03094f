"""Values unknown at preview never crash a rule and never let a mandatory rule pass in silence."""

from __future__ import annotations

from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from policy import manifests as m
from policy.pack_harness import by_policy, run

RELAXED = {name: {"failOnUnknown": False} for name in
           ("namespace-default-deny", "no-allow-all", "egress-allowlist", "role-isolation",
            "trust-tier-guardrails", "workload-identity", "namespace-pod-security")}


def test_an_unknown_egress_block_cannot_be_verified_at_preview():
    policy = m.network_policy("ai-serving", "to-store", {
        "podSelector": {}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": UNKNOWN_STRING_VALUE}}]}]})
    found = by_policy(run(m.resources(m.base_stack() + [policy])))
    assert set(found) == {"no-allow-all", "egress-allowlist", "role-isolation", "namespace-default-deny",
                          "trust-tier-guardrails"}
    for items in found.values():
        assert all("cannot be verified at preview because spec.egress[0].to[0].ipBlock.cidr is unknown"
                   in f.message for f in items)
    assert by_policy(run(m.resources(m.base_stack() + [policy]), RELAXED)) == {}


def test_an_unknown_pod_selector_of_the_default_deny_fails_closed():
    deny = m.default_deny("ai-serving")
    deny["spec"]["podSelector"] = UNKNOWN_STRING_VALUE
    stack = [o for o in m.base_stack() if not (o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "default-deny"
                                               and o["metadata"]["namespace"] == "ai-serving")] + [deny]
    found = by_policy(run(m.resources(stack)))
    messages = [f.message for f in found["namespace-default-deny"]]
    assert any("NetworkPolicy ai-serving/default-deny: cannot be verified at preview" in x for x in messages)


def test_an_unknown_service_account_is_not_verified_but_an_unknown_image_does_not_matter():
    unknown_account = m.deployment("ai-serving", "llm2", "inference", serviceAccountName=UNKNOWN_STRING_VALUE)
    found = by_policy(run(m.resources(m.base_stack() + [unknown_account])))
    assert set(found) == {"workload-identity"}
    assert "spec.template.spec.serviceAccountName is unknown" in found["workload-identity"][0].message

    unknown_image = m.deployment("ai-serving", "llm3", "inference")
    unknown_image["spec"]["template"]["spec"]["containers"][0]["image"] = UNKNOWN_STRING_VALUE
    assert by_policy(run(m.resources(m.base_stack() + [unknown_image]))) == {}


def test_unknown_host_network_and_container_lists_fail_closed():
    host = m.cron_job("ai-training", "nightly", "training", hostNetwork=UNKNOWN_BOOLEAN_VALUE)
    containers = m.deployment("ai-serving", "llm4", "inference", containers=UNKNOWN_ARRAY_VALUE)
    found = by_policy(run(m.resources(m.base_stack() + [host, containers])))
    messages = " | ".join(f.message for f in found["workload-identity"])
    assert "spec.jobTemplate.spec.template.spec.hostNetwork is unknown" in messages
    assert "spec.template.spec.containers is unknown" in messages


def test_an_unknown_namespace_label_cannot_be_verified():
    ns = m.namespace("ai-serving")
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = UNKNOWN_STRING_VALUE
    stack = [o for o in m.base_stack() if not (o["kind"] == "Namespace" and o["metadata"]["name"] == "ai-serving")] + [ns]
    found = by_policy(run(m.resources(stack)))
    # Namespace labels decide namespaceSelectors, so role isolation cannot be proven either; nor can
    # the mesh's injection label.
    assert set(found) == {"namespace-pod-security", "role-isolation", "trust-tier-guardrails", "encryption-in-transit"}
    assert all("cannot be verified at preview" in items[0].message for items in found.values())
