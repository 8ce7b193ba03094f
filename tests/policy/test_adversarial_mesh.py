"""An attacker's review of the Istio mesh rules (encryption-in-transit, mesh-principals).

Runs once the mesh rules are in the pack (issue 11); until then it is skipped. Each open bypass is
`xfail(strict=True)`, its reason naming the mechanism, so that closing it turns the test red.
Istio facts: the injection webhook reads `sidecar.istio.io/inject` from the pod's label or
annotation, lower-cased, and injects only for y/yes/true/on (any other non-empty value opts out);
`traffic.sidecar.istio.io/excludeInboundPorts`/`includeInboundPorts` and ambient's
`ambient.istio.io/bypass-inbound-capture` take inbound ports out of the proxy, so plaintext and
unauthorized connections reach them whatever PeerAuthentication says.
"""

from __future__ import annotations

import pytest

pytest.importorskip("rules.encryption_in_transit")

from policy import manifests as m  # noqa: E402
from policy.pack_harness import by_policy, run  # noqa: E402

ISTIO = "security.istio.io/v1"


def meshed(stack: list) -> list:
    """The stack with every namespace in the sidecar mesh and mesh-wide STRICT mTLS."""
    for obj in stack:
        if obj["kind"] == "Namespace":
            obj["metadata"]["labels"].setdefault("istio-injection", "enabled")
    if not any(o["kind"] == "PeerAuthentication" for o in stack):
        stack.append({"apiVersion": ISTIO, "kind": "PeerAuthentication",
                      "metadata": {"name": "default", "namespace": "istio-system"},
                      "spec": {"mtls": {"mode": "STRICT"}}})
    return stack


def violations(objects, config=None):
    return by_policy(run(m.resources(objects), config))


def messages(found: dict, rule: str) -> str:
    return " | ".join(f.message for f in found.get(rule, []))


def trainer_template(stack: list) -> dict:
    return next(o for o in stack if o["kind"] == "Deployment" and o["metadata"]["name"] == "trainer")["spec"]["template"]


def with_trainer_metadata(where: str, key: str, value: str, stack=None) -> list:
    stack = stack or meshed(m.base_stack())
    trainer_template(stack)["metadata"].setdefault(where, {})[key] = value
    return stack


def test_the_meshed_base_stack_passes():
    assert violations(meshed(m.base_stack())) == {}


# --- injection opt-outs the pack reads as "in the mesh" ---------------------------------------

@pytest.mark.parametrize("where,value", [("labels", "no"), ("labels", "False"), ("annotations", "false"),
                                         ("annotations", "off")])
def test_every_injection_opt_out_spelling_leaves_the_pod_outside_the_mesh(where, value):
    assert violations(with_trainer_metadata(where, "sidecar.istio.io/inject", "yes")) == {}
    found = violations(with_trainer_metadata(where, "sidecar.istio.io/inject", value))
    assert "ai-training/trainer is not in the mesh" in messages(found, "encryption-in-transit")


# --- inbound ports taken out of the proxy -------------------------------------------------------

def ambient(stack: list, namespace: str) -> list:
    for obj in stack:
        if obj["kind"] == "Namespace" and obj["metadata"]["name"] == namespace:
            obj["metadata"]["labels"].pop("istio-injection", None)
            obj["metadata"]["labels"]["istio.io/dataplane-mode"] = "ambient"
    return stack


@pytest.mark.parametrize("key,value,dataplane", [
    ("traffic.sidecar.istio.io/excludeInboundPorts", "8080", "sidecar"),
    ("traffic.sidecar.istio.io/includeInboundPorts", "", "sidecar"),
    ("ambient.istio.io/bypass-inbound-capture", "true", "ambient"),
])
def test_inbound_ports_outside_the_proxy_accept_plaintext(key, value, dataplane):
    stack = meshed(m.base_stack())
    if dataplane == "ambient":
        stack = ambient(stack, "ai-training")
    assert violations(stack) == {}
    outbound_only = "traffic.sidecar.istio.io/excludeOutboundPorts" if dataplane == "sidecar" else "ambient.istio.io/bypass-dns-capture"
    assert "encryption-in-transit" not in violations(with_trainer_metadata("annotations", outbound_only, "5432", stack))
    found = violations(with_trainer_metadata("annotations", key, value, stack))
    assert "ai-training/trainer" in messages(found, "encryption-in-transit")


# --- mesh-principals: a principal pattern is no named workload ----------------------------------

def allow_to_training(source: dict, **spec) -> dict:
    return {"apiVersion": ISTIO, "kind": "AuthorizationPolicy", "metadata": {"name": "in", "namespace": "ai-training"},
            "spec": {**spec, "rules": [{"from": [{"source": source}]}]}}


TRAINING = {"matchLabels": {"netguard.io/role": "training"}}


@pytest.mark.parametrize("pattern", ["*", "cluster.local/*", "cluster.local/ns/ai-serving/sa/*", "*/sa/default"])
def test_a_principal_pattern_admits_more_than_named_workloads(pattern):
    exact = allow_to_training({"principals": ["cluster.local/ns/ai-serving/sa/llm"]}, selector=TRAINING)
    assert violations(meshed(m.base_stack()) + [exact]) == {}
    found = violations(meshed(m.base_stack()) + [allow_to_training({"principals": [pattern]}, selector=TRAINING)])
    assert "not by workload identity" in messages(found, "mesh-principals")
    when = allow_to_training({}, selector=TRAINING)
    when["spec"]["rules"] = [{"when": [{"key": "source.principal", "values": [pattern]}]}]
    assert "not by workload identity" in messages(violations(meshed(m.base_stack()) + [when]), "mesh-principals")


def test_a_target_ref_allow_by_namespace_is_not_passed_in_silence():
    by_namespace = allow_to_training({"namespaces": ["ai-serving"]},
                                     targetRefs=[{"group": "", "kind": "Service", "name": "trainer"}])
    assert "mesh-principals" in violations(meshed(m.base_stack()) + [by_namespace])
