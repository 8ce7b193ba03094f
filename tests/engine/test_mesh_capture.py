"""Who the injection webhook leaves out, and which inbound ports the proxies leave uncaptured.

Facts from istio pkg/kube/inject `injectRequired` (label before annotation, lower-cased, y/yes/true/on
inject, empty keeps the namespace's default, anything else opts out) and istio/api
annotation/annotations.yaml (includeInboundPorts `*` or a list, empty = none; excludeInboundPorts;
ambient.istio.io/bypass-inbound-capture: inbound traffic is not captured by ztunnel).
"""

from __future__ import annotations

import pytest

from mesh_world import AMBIENT_NS, SIDECAR_NS, analyzer, authz, namespace, peer_auth, pod
from netguard.errors import NetguardInputError
from netguard.mesh.model import HBONE_PORT

STRICT_EVERYWHERE = peer_auth("istio-system", "default", {"mtls": {"mode": "STRICT"}})
ALLOW_NOTHING = authz("app", "allow-nothing", {})


def server(labels: dict | None = None, annotations: dict | None = None, ports=(8080, 9090)) -> dict:
    p = pod("app", "server", "server", labels={"app": "server", **(labels or {})}, ports=ports)
    if annotations is not None:
        p["metadata"]["annotations"] = annotations
    return p


def world(dst: dict, ns_labels=SIDECAR_NS, *more: dict):
    return analyzer(namespace("app", ns_labels), namespace("plain"), pod("plain", "legacy"),
                    namespace("meshed", ns_labels), pod("meshed", "client", "client"), dst, *more)


INJECT = "sidecar.istio.io/inject"


@pytest.mark.parametrize("where", ["labels", "annotations"])
@pytest.mark.parametrize("value", ["no", "False", "false", "OFF", "n", "disabled"])
def test_any_value_but_yes_true_on_opts_the_pod_out(where, value):
    dst = server(**{where: {INJECT: value}})
    a = world(dst)
    assert a.mesh.dataplane(a.cluster.endpoint("app/server")) is None


@pytest.mark.parametrize("value", ["y", "Yes", "TRUE", "on", ""])
def test_yes_true_on_or_empty_keep_the_namespace_injection(value):
    a = world(server(annotations={INJECT: value}))
    assert a.mesh.dataplane(a.cluster.endpoint("app/server")) == "sidecar"


def test_the_label_wins_over_the_annotation():
    a = world(server(labels={INJECT: "true"}, annotations={INJECT: "false"}))
    assert a.mesh.dataplane(a.cluster.endpoint("app/server")) == "sidecar"
    a = world(server(labels={INJECT: "no"}, annotations={INJECT: "true"}))
    assert a.mesh.dataplane(a.cluster.endpoint("app/server")) is None


def test_an_annotation_alone_does_not_call_the_webhook_in_an_unlabelled_namespace():
    # The webhook's objectSelector matches the label; the annotation is read only once it is called.
    a = world(server(annotations={INJECT: "true"}), {})
    assert a.mesh.dataplane(a.cluster.endpoint("app/server")) is None
    a = world(server(labels={INJECT: "true"}), {})
    assert a.mesh.dataplane(a.cluster.endpoint("app/server")) == "sidecar"


def reached(a, port: int) -> set[str]:
    return {s for s in ("plain/legacy", "meshed/client") if a.allowed(s, "app/server", port, "TCP")}


def test_an_excluded_inbound_port_takes_plaintext_and_no_policy():
    dst = server(annotations={"traffic.sidecar.istio.io/excludeInboundPorts": "8080"})
    a = world(dst, SIDECAR_NS, STRICT_EVERYWHERE, ALLOW_NOTHING)
    assert reached(a, 8080) == {"plain/legacy", "meshed/client"}
    assert reached(a, 9090) == set()
    verdict = a.mesh_verdict("plain/legacy", "app/server", 8080, "TCP")
    assert not verdict.applies and not verdict.encrypted
    assert "traffic.sidecar.istio.io/excludeInboundPorts" in verdict.reason


@pytest.mark.parametrize("include,bypassed,captured", [
    ("9090", {8080}, {9090}), ("", {8080, 9090}, set()), ("*", set(), {8080, 9090}), (" 8080 , 9090", set(), {8080, 9090}),
])
def test_include_inbound_ports_captures_only_the_listed_ports(include, bypassed, captured):
    dst = server(annotations={"traffic.sidecar.istio.io/includeInboundPorts": include})
    a = world(dst, SIDECAR_NS, STRICT_EVERYWHERE, ALLOW_NOTHING)
    assert {p for p in (8080, 9090) if reached(a, p)} == bypassed
    assert {p for p in (8080, 9090) if not reached(a, p)} == captured
    flows = {(f[0], f[2]) for f in a.matrix([(8080, "TCP"), (9090, "TCP")]) if f[1] == "app/server"}
    assert flows == {(s, p) for s in ("plain/legacy", "meshed/client") for p in bypassed}


def test_ambient_bypass_inbound_capture_leaves_every_port_outside_ztunnel():
    dst = server(annotations={"ambient.istio.io/bypass-inbound-capture": "true"})
    a = world(dst, AMBIENT_NS, STRICT_EVERYWHERE, ALLOW_NOTHING)
    assert reached(a, 8080) == reached(a, 9090) == {"plain/legacy", "meshed/client"}
    # No tunnel into it: the datapath sees the real port, not ztunnel's HBONE port.
    assert a.datapath_port("meshed/client", "app/server", 8080, "TCP") == 8080
    off = world(server(annotations={"ambient.istio.io/bypass-inbound-capture": "false"}), AMBIENT_NS,
                STRICT_EVERYWHERE, ALLOW_NOTHING)
    assert reached(off, 8080) == set()
    assert off.datapath_port("meshed/client", "app/server", 8080, "TCP") == HBONE_PORT


def test_sidecar_port_annotations_mean_nothing_to_ztunnel():
    dst = server(annotations={"traffic.sidecar.istio.io/excludeInboundPorts": "8080"})
    assert reached(world(dst, AMBIENT_NS, STRICT_EVERYWHERE, ALLOW_NOTHING), 8080) == set()


@pytest.mark.parametrize("key,value", [("traffic.sidecar.istio.io/excludeInboundPorts", "http"),
                                       ("traffic.sidecar.istio.io/excludeInboundPorts", "*"),
                                       ("traffic.sidecar.istio.io/includeInboundPorts", "70000"),
                                       ("sidecar.istio.io/inject", True)])
def test_a_malformed_mesh_annotation_is_an_error_naming_it(key, value):
    with pytest.raises(NetguardInputError) as error:
        world(server(annotations={key: value}))
    assert f"metadata.annotations.{key}" in error.value.field


def test_other_annotations_are_not_read():
    a = world(server(annotations={"checksum/config": 3, "prometheus.io/scrape": "true"}))
    assert dict(a.cluster.endpoint("app/server").annotations) == {}
