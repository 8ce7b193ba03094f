"""Cluster tier policies meet the same unknowns as NetworkPolicies: the pack reads them the way that allows more.

An undeclared namespace has unknown labels and a pod has an unknown IP. A tier rule that may match
counts for an Accept, a Deny counts only where it surely matches, and a Pass that may match counts
as whichever of "handed down" and "not matched" allows more. Each failing stack below passed the
pack before; its twin declares the namespace (or the pod networks), so that its labels are known.
"""

from __future__ import annotations

from netguard import labels
from policy import manifests as m
from policy.pack_harness import by_policy, run

V2 = "policy.networking.k8s.io/v1alpha2"
STACK_RULES = ("namespace-default-deny", "role-isolation", "egress-allowlist", "trust-tier-guardrails")


def violations(objects, config=None):
    return by_policy(run(m.resources(objects), config))


def messages(found: dict, rule: str) -> str:
    return " | ".join(f.message for f in found.get(rule, []))


def cnp(name: str, tier: str, priority: int, subject: dict, **rules) -> dict:
    return {"apiVersion": V2, "kind": "ClusterNetworkPolicy", "metadata": {"name": name},
            "spec": {"tier": tier, "priority": priority, "subject": subject, **rules}}


def ns(name: str) -> dict:
    return {"namespaces": {"matchLabels": {labels.NAMESPACE_NAME: name}}}


def not_in(key: str, *values: str) -> dict:
    return {"namespaces": {"matchExpressions": [{"key": key, "operator": "NotIn", "values": list(values)}]}}


def team(value: str) -> dict:
    return {"namespaces": {"matchLabels": {"team": value}}}


def lab(declared: bool, name: str = "ai-lab", role: str = "inference") -> list[dict]:
    """A namespace with a workload, isolated by NetworkPolicies; declared or only named by its objects."""
    objects = [m.default_deny(name), m.dns_egress(name), m.deployment(name, "notebook", role)]
    return objects + ([m.namespace(name)] if declared else [])


def lab_to_training() -> dict:
    """The lab's egress to training, accepted by the Admin tier: only training's ingress stands in the way."""
    return cnp("lab-out", "Admin", 5, ns("ai-lab"), egress=[{"action": "Accept", "to": [ns("ai-training")]}])


def into_training(*rules: dict) -> list[dict]:
    """Admin policies on training's ingress, one per rule, at priorities 10, 20, ..."""
    return [cnp(f"training-{i}", "Admin", 10 * i, ns("ai-training"), ingress=[rule])
            for i, rule in enumerate(rules, start=1)]


def reaches(found: dict, source: str) -> bool:
    return f"{source} can reach training ai-training/trainer" in messages(found, "role-isolation")


# --- Accept: a peer that may match counts -------------------------------------------------

def test_an_admin_accept_from_namespaces_an_undeclared_one_may_match_reaches_training():
    accept = into_training({"action": "Accept", "from": [team("research")]})
    found = violations(m.base_stack() + lab(declared=False) + [lab_to_training(), *accept])
    assert reaches(found, "inference ai-lab/notebook"), found
    assert violations(m.base_stack() + lab(declared=True) + [lab_to_training(), *accept]) == {}


def test_an_admin_accept_to_networks_over_the_pod_network_reaches_training():
    # Only egress peers name networks; by default (no podCidrs) pods may have any address.
    out = cnp("serving-out", "Admin", 5, ns("ai-serving"), egress=[{"action": "Accept", "to": [{"networks": ["203.0.113.0/24"]}]}])
    accept = into_training({"action": "Accept", "from": [ns("ai-serving")]})
    stack = m.base_stack() + [out, *accept]
    assert reaches(violations(stack), "inference ai-serving/llm")
    known = {rule: {"podCidrs": ["10.244.0.0/16"], "serviceCidrs": ["10.96.0.0/12"]} for rule in STACK_RULES}
    assert violations(stack, known) == {}  # 203.0.113.0/24 holds no pod: only outside addresses


def test_an_admin_accept_whose_subject_may_select_an_undeclared_namespace_opens_it():
    serving_out = cnp("serving-out", "Admin", 5, ns("ai-serving"), egress=[{"action": "Accept", "to": [ns("ml-train")]}])
    accept = cnp("ml-in", "Admin", 10, team("ml"), ingress=[{"action": "Accept", "from": [ns("ai-serving")]}])
    stack = m.base_stack() + [serving_out, accept]
    found = violations(stack + lab(declared=False, name="ml-train", role="training"))
    assert "inference ai-serving/llm can reach training ml-train/notebook" in messages(found, "role-isolation"), found
    assert violations(stack + lab(declared=True, name="ml-train", role="training")) == {}


# --- Deny: only a sure match counts ---------------------------------------------------------

def test_an_admin_deny_that_may_miss_an_undeclared_namespace_does_not_close_training():
    rules = into_training({"action": "Deny", "from": [not_in("team", "research")]},
                          {"action": "Accept", "from": [ns("ai-lab")]})
    found = violations(m.base_stack() + lab(declared=False) + [lab_to_training(), *rules])
    assert reaches(found, "inference ai-lab/notebook"), found
    assert violations(m.base_stack() + lab(declared=True) + [lab_to_training(), *rules]) == {}


def test_an_admin_deny_of_networks_denies_no_pod():
    # Pod IPs are unknown at preview: a networks Deny may miss every pod (sound before tier widening too).
    def serving_out(deny_to: dict) -> dict:
        return cnp("serving-out", "Admin", 5, ns("ai-serving"), egress=[
            {"action": "Deny", "to": [deny_to]}, {"action": "Accept", "to": [ns("ai-training")]}])
    accept = into_training({"action": "Accept", "from": [ns("ai-serving")]})
    found = violations(m.base_stack() + [serving_out({"networks": ["0.0.0.0/0", "::/0"]}), *accept])
    assert reaches(found, "inference ai-serving/llm")
    assert "role-isolation" not in violations(m.base_stack() + [serving_out({"namespaces": {}}), *accept])


def test_a_baseline_default_deny_whose_subject_may_miss_an_undeclared_namespace_does_not_isolate_it():
    baseline = cnp("default-deny", "Baseline", 900, not_in("env", "dev"),
                   ingress=[{"action": "Deny", "from": [{"namespaces": {}}]}],
                   egress=[{"action": "Deny", "to": [{"namespaces": {}}, {"networks": ["0.0.0.0/0", "::/0"]}]}])
    workload = m.deployment("ai-lab", "notebook", "inference")
    found = violations(m.base_stack() + [workload, baseline])
    assert "namespace ai-lab: Ingress is open" in messages(found, "namespace-default-deny"), found
    assert violations(m.base_stack() + [m.namespace("ai-lab"), workload, baseline]) == {}


def test_a_baseline_default_deny_selecting_no_deployment_pod_leaves_it_open():
    # Subject pods meet the witness pods: a Deployment's pods always carry pod-template-hash.
    stack = [o for o in m.base_stack() if not (o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == "ai-training")]
    baseline = cnp("default-deny", "Baseline", 900, {"pods": {
        "namespaceSelector": {}, "podSelector": {"matchExpressions": [{"key": "pod-template-hash", "operator": "DoesNotExist"}]}}},
        ingress=[{"action": "Deny", "from": [{"namespaces": {}}]}])
    assert "ai-training/trainer" in messages(violations(stack + [baseline]), "namespace-default-deny")


# --- Pass: neither allow nor deny ------------------------------------------------------------

def test_a_pass_that_may_miss_does_not_hide_a_later_accept():
    rules = into_training({"action": "Pass", "from": [not_in("team", "research")]},
                          {"action": "Accept", "from": [ns("ai-lab")]})
    found = violations(m.base_stack() + lab(declared=False) + [lab_to_training(), *rules])
    assert reaches(found, "inference ai-lab/notebook"), found
    assert violations(m.base_stack() + lab(declared=True) + [lab_to_training(), *rules]) == {}


def test_a_pass_that_may_match_hands_a_later_deny_down_to_the_network_policies():
    from_lab = m.network_policy("ai-training", "from-lab", {  # the namespace owner's own allowance
        "podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [m.peer("ai-lab", "inference")]}]})
    rules = into_training({"action": "Pass", "from": [team("research")]},
                          {"action": "Deny", "from": [{"namespaces": {}}]})
    found = violations(m.base_stack() + lab(declared=False) + [lab_to_training(), from_lab, *rules])
    assert reaches(found, "inference ai-lab/notebook"), found
    assert violations(m.base_stack() + lab(declared=True) + [lab_to_training(), from_lab, *rules]) == {}


def test_a_pass_that_may_miss_before_an_accept_and_a_deny_counts_as_accepting():
    rules = into_training({"action": "Pass", "from": [not_in("team", "research")]},
                          {"action": "Accept", "from": [ns("ai-lab")], "protocols": [{"tcp": {"destinationPort": {"number": 8080}}}]},
                          {"action": "Deny", "from": [{"namespaces": {}}]})
    found = violations(m.base_stack() + lab(declared=False) + [lab_to_training(), *rules])
    assert reaches(found, "inference ai-lab/notebook"), found
    assert violations(m.base_stack() + lab(declared=True) + [lab_to_training(), *rules]) == {}
