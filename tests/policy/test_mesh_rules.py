"""The mesh rules: encryption-in-transit, mesh-principals, mesh-declared; a passing and a failing stack each."""

from __future__ import annotations

from policy import manifests as m
from policy.pack_harness import by_policy, run

API = "security.istio.io/v1"


def violations(objects, config=None):
    return by_policy(run(m.resources(objects), config))


def only(found: dict, policy: str) -> list:
    assert set(found) == {policy}, {k: [f.message for f in v] for k, v in found.items()}
    return found[policy]


def peer_auth(ns, name, spec):
    return {"apiVersion": API, "kind": "PeerAuthentication", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def authz(ns, name, spec):
    return {"apiVersion": API, "kind": "AuthorizationPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def unmeshed(stack, ns):
    return [m.namespace(ns, mesh=False) if o["kind"] == "Namespace" and o["metadata"]["name"] == ns else o
            for o in stack]


def test_a_namespace_outside_the_mesh_is_caught_and_can_be_exempted():
    stack = unmeshed(m.base_stack(), "ai-training")
    found = only(violations(stack), "encryption-in-transit")
    assert any("Deployment ai-training/trainer is not in the mesh" in f.message for f in found)
    assert any("any new pod without labels is not in the mesh" in f.message for f in found)
    assert violations(stack, {"encryption-in-transit": {"exemptNamespaces": ["ai-train*"]}}) == {}


def test_a_permissive_namespace_is_caught_with_the_policy_that_weakens_it():
    stack = m.base_stack() + [peer_auth("ai-serving", "default", {"mtls": {"mode": "PERMISSIVE"}})]
    found = only(violations(stack), "encryption-in-transit")
    assert all("mTLS is PERMISSIVE on every port (PeerAuthentication ai-serving/default)" in f.message for f in found)


def test_a_workload_selector_or_a_port_exception_that_weakens_strict_is_caught():
    selector = {"matchLabels": {"app.kubernetes.io/name": "llm"}}
    by_workload = peer_auth("ai-serving", "llm", {"selector": selector, "mtls": {"mode": "DISABLE"}})
    found = only(violations(m.base_stack() + [by_workload]), "encryption-in-transit")
    assert [f.message.split(":")[0] for f in found] == ["Deployment ai-serving/llm"]
    by_port = peer_auth("ai-serving", "llm", {"selector": selector, "portLevelMtls": {"8080": {"mode": "PERMISSIVE"}}})
    found = only(violations(m.base_stack() + [by_port]), "encryption-in-transit")
    assert "mTLS is PERMISSIVE on port 8080 (PeerAuthentication ai-serving/llm)" in found[0].message


def test_without_any_mesh_only_the_advisory_rule_speaks():
    stack = [o for o in m.base_stack() if o["kind"] != "PeerAuthentication"]
    for ns in ("ai-gateway", "ai-serving", "ai-training"):
        stack = unmeshed(stack, ns)
    found = only(violations(stack), "mesh-declared")
    assert "encryption in transit is not enforced" in found[0].message


def test_an_allow_by_namespace_for_ai_workloads_is_caught_and_by_principal_passes():
    selector = {"matchLabels": {"netguard.io/role": "inference"}}
    by_ns = authz("ai-serving", "from-gateway", {"selector": selector, "rules": [
        {"from": [{"source": {"namespaces": ["ai-gateway"]}}]}]})
    found = only(violations(m.base_stack() + [by_ns]), "mesh-principals")
    assert "AuthorizationPolicy ai-serving/from-gateway rule 1 admits ai-serving/llm by namespaces" in found[0].message
    by_principal = authz("ai-serving", "from-gateway", {"selector": selector, "rules": [
        {"from": [{"source": {"principals": ["cluster.local/ns/ai-gateway/sa/router"]}}]}]})
    assert violations(m.base_stack() + [by_principal]) == {}


def test_an_allow_without_from_or_mixing_a_namespace_source_is_caught_unless_exempt():
    no_from = authz("ai-serving", "any", {"rules": [{"to": [{"operation": {"ports": ["8080"]}}]}]})
    found = only(violations(m.base_stack() + [no_from]), "mesh-principals")
    assert "by any source (no from)" in found[0].message
    mixed = authz("ai-serving", "mixed", {"rules": [{"from": [
        {"source": {"principals": ["cluster.local/ns/ai-gateway/sa/router"]}},
        {"source": {"ipBlocks": ["10.0.0.0/8"]}}]}]})
    assert "ipBlocks" in only(violations(m.base_stack() + [mixed]), "mesh-principals")[0].message
    assert violations(m.base_stack() + [mixed], {"mesh-principals": {"exemptPolicies": ["ai-serving/mix*"]}}) == {}


def test_deny_policies_and_policies_selecting_no_ai_workload_are_not_judged():
    deny = authz("ai-serving", "deny-notebooks", {"action": "DENY", "rules": [
        {"from": [{"source": {"namespaces": ["ai-notebooks"]}}]}]})
    other = authz("ai-serving", "sidecar-only", {"selector": {"matchLabels": {"app": "nothing-here"}},
                                                 "rules": [{"from": [{"source": {"namespaces": ["x"]}}]}]})
    assert violations(m.base_stack() + [deny, other]) == {}


def test_a_target_ref_allow_by_namespace_fails_closed_naming_the_exemption_and_by_principal_passes():
    refs = [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "waypoint"}]
    by_namespace = authz("ai-serving", "waypoint-in", {"targetRefs": refs, "rules": [
        {"from": [{"source": {"namespaces": ["ai-gateway"]}}]}]})
    message = only(violations(m.base_stack() + [by_namespace]), "mesh-principals")[0].message
    assert "ai-serving/waypoint-in" in message and "targetRefs" in message and "exemptPolicies" in message
    config = {"mesh-principals": {"exemptPolicies": ["ai-serving/waypoint-in"]}}
    assert violations(m.base_stack() + [by_namespace], config) == {}
    by_principal = authz("ai-serving", "waypoint-in", {"targetRefs": refs, "rules": [
        {"from": [{"source": {"principals": ["cluster.local/ns/ai-gateway/sa/router"]}}]}]})
    assert violations(m.base_stack() + [by_principal]) == {}


def test_an_unknown_mesh_annotation_fails_closed_and_an_unknown_other_annotation_does_not_matter():
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    def annotated(key):
        d = m.deployment("ai-serving", "llm2", "inference")
        d["spec"]["template"]["metadata"]["annotations"] = {key: UNKNOWN_STRING_VALUE}
        return d

    found = violations(m.base_stack() + [annotated("sidecar.istio.io/inject")])
    assert any("spec.template.metadata.annotations.sidecar.istio.io/inject is unknown" in f.message
               for fs in found.values() for f in fs), found
    assert violations(m.base_stack() + [annotated("checksum/config")]) == {}


def test_a_canary_that_opts_out_of_injection_is_caught():
    rollout = m.deployment("ai-serving", "llm2", "inference")
    rollout.update({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout"})
    rollout["spec"]["strategy"] = {"canary": {"canaryMetadata": {"annotations": {"sidecar.istio.io/inject": "off"}}}}
    assert "not in the mesh" in " ".join(f.message for f in violations(m.base_stack() + [rollout]).get(
        "encryption-in-transit", []))
