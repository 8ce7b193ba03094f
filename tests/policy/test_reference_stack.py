"""The pack over what the real stack program registers under Pulumi's mock runtime."""

from __future__ import annotations

import copy

from stack_harness import run_stack

from policy.pack_harness import Resource, by_policy, run


def pack_findings(platform: dict) -> dict:
    registered = run_stack(platform, render_dir="rendered")
    return by_policy(run(Resource(r.type, r.name, r.props, r.urn or "", r.parent) for r in registered))


def test_the_reference_stack_passes_every_rule(reference_run):
    resources = [Resource(r.type, r.name, r.props, r.urn or "", r.parent) for r in reference_run.resources]
    assert by_policy(run(resources)) == {}


def test_a_declared_flow_from_inference_to_training_is_caught(reference_inventory):
    platform = copy.deepcopy(reference_inventory)
    platform["flows"].append({"from": {"namespace": "ai-serving", "workload": "llm-server"},
                              "to": {"namespace": "ai-training", "workload": "model-registry"},
                              "ports": ["http"]})
    assert pack_findings(platform) == {}  # model-registry is not training: allowed

    platform["workloads"].append({"name": "eval", "namespace": "ai-training", "role": "training",
                                  "kind": "Deployment", "image": "registry.example.com/ai/eval:1",
                                  "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]})
    platform["flows"].append({"from": {"namespace": "ai-serving", "workload": "llm-server"},
                              "to": {"namespace": "ai-training", "workload": "eval"}, "ports": ["http"]})
    found = pack_findings(platform)
    assert set(found) == {"role-isolation"}
    assert found["role-isolation"][0].message.startswith(
        "inference ai-serving/llm-server can reach training ai-training/eval (TCP 8080)")


def test_an_inventory_that_opens_the_internet_is_caught(reference_inventory):
    platform = copy.deepcopy(reference_inventory)
    platform["egress"][0]["cidrs"].append({"cidr": "0.0.0.0/0", "allowInternet": True,
                                           "ports": [{"port": 443, "protocol": "TCP"}]})
    found = pack_findings(platform)
    assert set(found) == {"egress-allowlist"}
    assert any("0.0.0.0/0" in f.message for f in found["egress-allowlist"])
