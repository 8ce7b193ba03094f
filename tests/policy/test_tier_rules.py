"""The pack over cluster tier policies: every rule judges the effective connectivity with the tiers in it."""

from __future__ import annotations

from netguard import labels
from policy import manifests as m
from policy.pack_harness import by_policy, run

V2 = "policy.networking.k8s.io/v1alpha2"


def violations(objects, config=None):
    return by_policy(run(m.resources(objects), config))


def only(found: dict, policy: str) -> list:
    assert set(found) == {policy}, {k: [f.message for f in v] for k, v in found.items()}
    return found[policy]


def cnp(name: str, tier: str, priority: int, subject: dict, **rules) -> dict:
    return {"apiVersion": V2, "kind": "ClusterNetworkPolicy", "metadata": {"name": name},
            "spec": {"tier": tier, "priority": priority, "subject": subject, **rules}}


def ns(name: str) -> dict:
    return {"namespaces": {"matchLabels": {labels.NAMESPACE_NAME: name}}}


def pods(namespace: str, role: str) -> dict:
    return {"pods": {"namespaceSelector": {"matchLabels": {labels.NAMESPACE_NAME: namespace}},
                     "podSelector": {"matchLabels": {labels.ROLE: role}}}}


def tiered_stack() -> list[dict]:
    """The base stack with trust tiers on its namespaces and its flow policies in the flow layer."""
    tiers = {"ai-gateway": "untrusted", "ai-serving": "standard", "ai-training": "trusted"}
    stack = m.base_stack()
    for o in stack:
        if o["kind"] == "Namespace":
            o["metadata"]["labels"][labels.TRUST_TIER] = tiers[o["metadata"]["name"]]
        if o["kind"] == "NetworkPolicy" and o["metadata"]["name"].startswith(("from-", "to-")):
            o["metadata"]["labels"] = {labels.LAYER: "flow"}
    return stack


def test_the_tiered_base_stack_passes_every_rule():
    assert violations(tiered_stack()) == {}


def test_an_admin_accept_from_inference_to_training_fails_role_isolation():
    accept = cnp("open-training", "Admin", 50, ns("ai-training"), ingress=[
        {"name": "from-serving", "action": "Accept", "from": [pods("ai-serving", "inference")],
         "protocols": [{"tcp": {"destinationPort": {"number": 8080}}}]}])
    egress = cnp("serving-out", "Admin", 60, ns("ai-serving"), egress=[
        {"action": "Accept", "to": [pods("ai-training", "training")]}])
    found = violations(m.base_stack() + [accept, egress])
    assert set(found) == {"role-isolation"}, {k: [f.message for f in v] for k, v in found.items()}
    message = found["role-isolation"][0].message
    assert "inference ai-serving/llm can reach training ai-training/trainer (TCP 8080)" in message
    assert "ClusterNetworkPolicy open-training (Admin, priority 50) selects ai-training/trainer; rule 1 'from-serving' accepts" in message


def test_an_admin_deny_taking_the_low_ports_does_not_hide_a_path_on_the_ports_above():
    deny_low = cnp("deny-low", "Admin", 10, ns("ai-training"), ingress=[
        {"action": "Deny", "from": [ns("ai-serving")], "protocols": [{"tcp": {"destinationPort": {"range": {"start": 1, "end": 9000}}}}]}])
    accept = cnp("accept-all", "Admin", 20, ns("ai-training"), ingress=[
        {"action": "Accept", "from": [ns("ai-serving")]}])
    out = cnp("serving-out", "Admin", 30, ns("ai-serving"), egress=[{"action": "Accept", "to": [ns("ai-training")]}])
    found = violations(m.base_stack() + [deny_low, accept, out])
    assert "role-isolation" in found
    assert "9001-65535" in found["role-isolation"][0].message


def test_a_baseline_default_deny_counts_for_namespace_default_deny():
    stack = [o for o in m.base_stack() if not (o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == "ai-training")]
    assert "namespace-default-deny" in violations(stack)
    baseline = cnp("default-deny", "Baseline", 900, ns("ai-training"),
                   ingress=[{"action": "Deny", "from": [{"namespaces": {}}]}],
                   egress=[{"action": "Deny", "to": [{"namespaces": {}}, {"networks": ["0.0.0.0/0", "::/0"]}]}])
    assert violations(stack + [baseline]) == {}


def test_a_baseline_deny_that_leaves_the_internet_open_does_not_close_egress():
    stack = [o for o in m.base_stack() if not (o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == "ai-training")]
    baseline = cnp("default-deny", "Baseline", 900, ns("ai-training"),
                   ingress=[{"action": "Deny", "from": [{"namespaces": {}}]}],
                   egress=[{"action": "Deny", "to": [{"namespaces": {}}]}])
    found = only(violations(stack + [baseline]), "namespace-default-deny")
    assert [f.message.split(":")[1].strip() for f in found] == ["Egress is open"]


def test_an_admin_networks_accept_is_an_egress_destination_for_the_allowlist():
    accept = cnp("to-resolver", "Admin", 40, ns("ai-serving"), egress=[
        {"action": "Accept", "to": [{"networks": ["8.8.8.8/32"]}]}])
    found = only(violations(m.base_stack() + [accept]), "egress-allowlist")
    assert "8.8.8.8/32" in found[0].message
    approved = cnp("to-docs", "Admin", 40, ns("ai-serving"), egress=[
        {"action": "Accept", "to": [{"networks": ["203.0.113.0/24"]}]}])
    assert violations(m.base_stack() + [approved]) == {}


def test_no_allow_all_covers_tier_policies():
    everyone = cnp("everyone", "Admin", 40, ns("ai-serving"), ingress=[
        {"name": "all", "action": "Accept", "from": [{"namespaces": {}}]}])
    found = violations(m.base_stack() + [everyone])
    assert any("spec.ingress[0].from[0] accepts pods of every namespace" in f.message for f in found["no-allow-all"])
    internet = cnp("internet", "Admin", 41, ns("ai-serving"), egress=[
        {"action": "Accept", "to": [{"networks": ["0.0.0.0/1", "128.0.0.0/1"]}]}])
    found = violations(m.base_stack() + [internet])
    assert any("networks accepts most addresses" in f.message for f in found["no-allow-all"])
    deny = cnp("deny-all", "Admin", 42, ns("ai-serving"), ingress=[{"action": "Deny", "from": [{"namespaces": {}}]}])
    assert "no-allow-all" not in violations(m.base_stack() + [deny])


def test_a_malformed_tier_policy_is_a_violation_naming_the_field():
    broken = cnp("broken", "Admin", 40, ns("ai-serving"), ingress=[{"action": "Allow", "from": [{"namespaces": {}}]}])
    found = violations(m.base_stack() + [broken])
    assert any("spec.ingress[0].action" in f.message for f in found["no-allow-all"])


def test_a_hand_added_policy_from_a_lower_tier_into_a_higher_one_fails_trust_tier_guardrails():
    opened = [
        m.network_policy("ai-training", "allow-gateway", {
            "podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [m.peer("ai-gateway", "gateway")]}]}),
        m.network_policy("ai-gateway", "allow-out", {
            "podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [m.peer("ai-training", "training")]}]}),
    ]
    found = violations(tiered_stack() + opened)
    assert "trust-tier-guardrails" in found
    message = found["trust-tier-guardrails"][0].message
    assert ("Deployment ai-gateway/router (ai-gateway: untrusted) can reach Deployment ai-training/trainer "
            "(ai-training: trusted)") in message
    assert "NetworkPolicy ai-training/allow-gateway" in message
    allowed = {"trust-tier-guardrails": {"allowedPairs": [{"from": "ai-gateway/*", "to": "ai-training/trainer"}]}}
    assert "trust-tier-guardrails" not in violations(tiered_stack() + opened, allowed)


def test_an_admin_accept_from_a_lower_tier_is_no_declared_flow():
    accept = cnp("gateway-to-serving", "Admin", 50, ns("ai-serving"), ingress=[
        {"action": "Accept", "from": [pods("ai-gateway", "gateway")]}])
    found = violations(tiered_stack() + [accept])
    assert "trust-tier-guardrails" in found
    assert "rule 1 accepts ai-gateway/router" in found["trust-tier-guardrails"][0].message


def test_guardrails_that_deny_a_lower_tier_keep_a_hand_added_policy_closed():
    opened = m.network_policy("ai-training", "allow-gateway", {
        "podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [m.peer("ai-gateway", "gateway")]}]})
    out = m.network_policy("ai-gateway", "allow-out", {
        "podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [m.peer("ai-training", "training")]}]})
    guard = cnp("guard-training", "Admin", 120, ns("ai-training"), ingress=[
        {"name": "same-namespace", "action": "Pass", "from": [ns("ai-training")]},
        {"name": "lower-tiers", "action": "Deny", "from": [ns("ai-gateway"), ns("ai-serving")]}])
    assert violations(tiered_stack() + [opened, out, guard]) == {}
