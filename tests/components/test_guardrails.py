"""AiGuardrails, proven with the engine over what the stack renders: the declared flows still work, and
the undeclared paths the tiers close stay closed whatever a namespace owner adds or deletes.
"""

from __future__ import annotations

import pytest

from components.guardrails import NO_GUARDRAILS, PRIORITIES, rank
from components.inventory import parse_inventory
from netguard.analysis import Analyzer
from netguard.loader import build_cluster
from stack_harness import reference_platform, run_stack_full

METADATA = "169.254.169.254"
KUBE_DNS = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
            "spec": {"containers": [{"name": "dns", "ports": [{"containerPort": 53, "protocol": "UDP"},
                                                              {"containerPort": 53, "protocol": "TCP"}]}]}}


def _platform(api: str) -> dict:
    platform = reference_platform()
    platform.setdefault("platform", {})["clusterPolicyApi"] = api
    return platform


@pytest.fixture(scope="module", params=["v1alpha2", "v1alpha1"])
def rendered(request):
    run = run_stack_full(_platform(request.param))
    manifests = [r.props for r in run.resources if r.type.startswith("kubernetes:") and not r.type.endswith(":Secret")]
    return request.param, run, manifests


def _analyzer(manifests, externals=()) -> Analyzer:
    return Analyzer(build_cluster([("stack", m) for m in manifests], externals))


def _probes(analyzer: Analyzer):
    return analyzer.declared_probes()


def _allow_all(namespace: str) -> dict:
    """What a namespace owner might add by hand: everything in, everything out."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "owner-allow-all", "namespace": namespace},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}}


def _declared() -> set:
    return set(parse_inventory(reference_platform()).declared_connections())


def test_the_guardrails_are_the_chosen_api_with_the_guardrail_layer(rendered):
    api, run, manifests = rendered
    tiers = [m for m in manifests if m["apiVersion"].startswith("policy.networking.k8s.io/")]
    kinds = {m["kind"] for m in tiers}
    assert kinds == ({"ClusterNetworkPolicy"} if api == "v1alpha2" else {"AdminNetworkPolicy", "BaselineAdminNetworkPolicy"})
    assert all(m["metadata"]["labels"]["netguard.io/layer"] == "guardrail" for m in tiers)
    assert run.outputs["guardrails"]["api"] == api and len(run.outputs["guardrails"]["policies"]) == len(tiers)


def test_every_declared_flow_still_works_and_nothing_else_does(rendered):
    _, _, manifests = rendered
    analyzer = _analyzer(manifests)
    assert set(analyzer.matrix(_probes(analyzer))) == _declared()


def test_deleting_every_baseline_network_policy_leaves_the_namespaces_closed(rendered):
    _, _, manifests = rendered
    kept = [m for m in manifests if m["metadata"].get("name") != "netguard-baseline-deny-all"]
    assert len(kept) < len(manifests)
    analyzer = _analyzer(kept)
    assert set(analyzer.matrix(_probes(analyzer))) == _declared()


def test_a_permissive_network_policy_added_by_hand_never_opens_an_undeclared_path_from_a_lower_tier(rendered):
    _, _, manifests = rendered
    inventory = parse_inventory(reference_platform())
    namespaces = {ns.name: ns for ns in inventory.namespaces}
    analyzer = _analyzer(manifests + [_allow_all(n) for n in namespaces])
    declared = _declared()
    closed = 0
    for src, dst, port, protocol in analyzer.matrix(_probes(analyzer)):
        s_ns, d_ns = src.split("/")[0], dst.split("/")[0]
        if s_ns == d_ns or s_ns not in namespaces or d_ns not in namespaces:
            continue
        lower = rank(namespaces[s_ns])[0] < rank(namespaces[d_ns])[0] or rank(namespaces[s_ns])[1] < rank(namespaces[d_ns])[1]
        down = rank(namespaces[d_ns])[1] < rank(namespaces[s_ns])[1]
        if lower or down:
            assert (src, dst, port, protocol) in declared, f"{src} -> {dst} on {port}/{protocol}"
    for s in namespaces.values():  # the property is not vacuous: such pairs exist in the reference
        closed += sum(1 for d in namespaces.values() if rank(s)[0] < rank(d)[0])
    assert closed


def test_dns_always_works_and_the_metadata_endpoint_never_does(rendered):
    _, _, manifests = rendered
    stripped = [m for m in manifests if m["kind"] != "NetworkPolicy"]  # every NetworkPolicy deleted
    opened = manifests + [_allow_all(ns.name) for ns in parse_inventory(reference_platform()).namespaces]
    for objects in (stripped, opened):
        analyzer = _analyzer(objects + [KUBE_DNS], externals=[METADATA])
        pods = [e.id for e in analyzer.cluster.endpoints if not e.external and e.namespace.startswith("ai-")]
        for pod in pods:
            assert analyzer.allowed(pod, "kube-system/coredns", 53, "UDP")
            assert analyzer.allowed(pod, "kube-system/coredns", 53, "TCP")
            assert not analyzer.allowed(pod, "kube-system/coredns", 80, "TCP") or objects is opened
            for port, protocol in ((80, "TCP"), (443, "TCP"), (53, "UDP")):
                assert not analyzer.allowed(pod, f"external/{METADATA}", port, protocol)


def test_explain_names_the_guardrail_that_denies():
    run = run_stack_full(_platform("v1alpha2"))
    manifests = [r.props for r in run.resources if r.type.startswith("kubernetes:") and not r.type.endswith(":Secret")]
    analyzer = _analyzer(manifests + [_allow_all("ai-notebooks"), _allow_all("ai-training")])
    text = analyzer.explain("ai-notebooks/jupyter", "ai-training/finetune", 80, "TCP").to_text()
    assert "ClusterNetworkPolicy netguard-guardrail-ai-training (Admin, priority 120)" in text
    assert "'lower-tiers-and-classes' denies" in text


def test_none_emits_no_guardrails_and_says_so():
    run = run_stack_full(_platform("none"))
    assert not [r for r in run.resources if "policy.networking.k8s.io" in r.type]
    guardrails = next(r for r in run.resources if r.type == "netguard:index:AiGuardrails")
    assert guardrails is not None and run.outputs["guardrails"] == {"api": "none", "policies": []}


def test_priorities_are_documented_unique_and_leave_room():
    assert list(PRIORITIES.values()) == sorted(set(PRIORITIES.values()))
    assert min(PRIORITIES.values()) >= 100 and PRIORITIES["default-deny"] <= 900
    assert NO_GUARDRAILS.startswith("clusterPolicyApi is none")


def test_too_many_declared_flows_into_one_workload_is_an_inventory_error_before_anything_exists():
    from stack_harness import run_stack_failure

    platform = {
        "namespaces": [{"name": "ai-src", "trustTier": "standard", "dataClass": "internal"},
                       {"name": "ai-dst", "trustTier": "trusted", "dataClass": "internal"}],
        "workloads": [{"name": "db", "namespace": "ai-dst", "role": "vector-store", "image": "r.example/db:1",
                       "ports": [{"name": "http", "port": 80}]}]
        + [{"name": f"app{i}", "namespace": "ai-src", "role": "inference", "image": "r.example/app:1"}
           for i in range(26)],
        "flows": [{"from": {"namespace": "ai-src", "workload": f"app{i}"},
                   "to": {"namespace": "ai-dst", "workload": "db"}, "ports": ["http"]} for i in range(26)],
    }
    failure = run_stack_failure(platform)
    assert "netguard-guardrail-flows-to-ai-dst-db would need 26 ingress rules" in str(failure.error)
    assert not [r for r in failure.resources if r.type.startswith("kubernetes:")]
    platform["platform"] = {"clusterPolicyApi": "none"}
    assert run_stack_full(platform).outputs["guardrails"]["api"] == "none"
