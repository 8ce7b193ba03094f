"""Hypothesis strategies for random clusters with Istio: namespaces in or out of the mesh
(sidecar, ambient), pods under a few service accounts, PeerAuthentications and
AuthorizationPolicies drawn from every field the engine models and some it does not (L7).
Built on the NetworkPolicy worlds, so that both enforcement points meet."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from world_strategies import LABEL_KEYS, LABEL_VALUES, NAMESPACES, PORTS, worlds

ACCOUNTS = ["default", "a", "b"]
MESH_NAMESPACES = NAMESPACES + ["istio-system"]
PATTERNS = ["cluster.local/ns/x/sa/a", "cluster.local/ns/y/sa/default", "cluster.local/ns/x/*",
            "*/sa/b", "*", "cluster.local/ns/z/sa/a"]
NAMESPACE_PATTERNS = ["x", "y", "z", "*", "x*", "*y"]
CIDRS = ["10.0.0.0/8", "10.0.0.1", "192.168.0.0/16", "8.8.8.8/32", "fd00::/16", "0.0.0.0/0"]
MESH_LABELS = [{}, {"istio-injection": "enabled"}, {"istio.io/dataplane-mode": "ambient"},
               {"istio-injection": "disabled"}, {"istio.io/rev": "canary"}]
POD_MESH_LABELS = [{}, {}, {"sidecar.istio.io/inject": "false"}, {"sidecar.istio.io/inject": "true"},
                   {"istio.io/dataplane-mode": "none"}]
# Annotations that opt out of injection or take inbound ports out of the proxy (PORTS: 53, 80, 81, 443).
POD_MESH_ANNOTATIONS = [{}, {}, {"sidecar.istio.io/inject": "Off"}, {"sidecar.istio.io/inject": "yes"},
                        {"traffic.sidecar.istio.io/excludeInboundPorts": "80"},
                        {"traffic.sidecar.istio.io/includeInboundPorts": "443, 53"},
                        {"traffic.sidecar.istio.io/includeInboundPorts": ""},
                        {"ambient.istio.io/bypass-inbound-capture": "true"}]
API = "security.istio.io/v1"


def _values(draw, pool, key):
    return {key: draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))}


@st.composite
def sources(draw) -> dict[str, Any]:
    source: dict[str, Any] = {}
    for key, pool in (("principals", PATTERNS), ("notPrincipals", PATTERNS), ("namespaces", NAMESPACE_PATTERNS),
                      ("notNamespaces", NAMESPACE_PATTERNS), ("ipBlocks", CIDRS), ("notIpBlocks", CIDRS),
                      ("requestPrincipals", ["issuer/sub"])):
        if draw(st.integers(0, 4)) == 0:
            source.update(_values(draw, pool, key))
    if not source:
        if draw(st.booleans()):
            source.update(_values(draw, ["x/a", "b", "y/default"], "serviceAccounts"))
        else:
            source.update(_values(draw, PATTERNS, "principals"))
    return {"source": source}


@st.composite
def operations(draw) -> dict[str, Any]:
    op: dict[str, Any] = {}
    if draw(st.booleans()):
        op.update(_values(draw, [str(p) for p in PORTS], "ports"))
    if draw(st.integers(0, 3)) == 0:
        op.update(_values(draw, [str(p) for p in PORTS], "notPorts"))
    if draw(st.integers(0, 4)) == 0 or not op:
        op.update(_values(draw, ["GET", "POST"], "methods"))
    return {"operation": op}


@st.composite
def conditions(draw) -> dict[str, Any]:
    key = draw(st.sampled_from(["source.ip", "source.namespace", "source.principal", "destination.port",
                                "request.headers[x-user]"]))
    pool = {"source.ip": CIDRS, "source.namespace": NAMESPACE_PATTERNS, "source.principal": PATTERNS,
            "destination.port": [str(p) for p in PORTS], "request.headers[x-user]": ["alice"]}[key]
    field = draw(st.sampled_from(["values", "notValues"]))
    return {"key": key, **_values(draw, pool, field)}


@st.composite
def mesh_rules(draw) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    if draw(st.booleans()):
        rule["from"] = draw(st.lists(sources(), min_size=1, max_size=2))
    if draw(st.booleans()):
        rule["to"] = draw(st.lists(operations(), min_size=1, max_size=2))
    if draw(st.integers(0, 3)) == 0:
        rule["when"] = draw(st.lists(conditions(), min_size=1, max_size=2))
    return rule


def _selector(draw) -> dict[str, Any]:
    if draw(st.booleans()):
        return {}
    key = draw(st.sampled_from(LABEL_KEYS))
    return {"selector": {"matchLabels": {key: draw(st.sampled_from(LABEL_VALUES))}}}


@st.composite
def authorization_policies(draw, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = _selector(draw)
    action = draw(st.sampled_from(["ALLOW", "ALLOW", "DENY", "DENY", "CUSTOM", "AUDIT", None]))
    if action is not None:
        spec["action"] = action
    if action == "CUSTOM":
        spec["provider"] = {"name": "ext-authz"}
    if draw(st.integers(0, 5)) > 0:
        spec["rules"] = draw(st.lists(mesh_rules(), min_size=0, max_size=3))
    metadata: dict[str, Any] = {"name": name, "namespace": draw(st.sampled_from(MESH_NAMESPACES))}
    if draw(st.integers(0, 9)) == 0:
        metadata["annotations"] = {"istio.io/dry-run": "true"}
    return {"apiVersion": API, "kind": "AuthorizationPolicy", "metadata": metadata, "spec": spec}


@st.composite
def peer_authentications(draw, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = _selector(draw)
    mode = draw(st.sampled_from(["STRICT", "PERMISSIVE", "DISABLE", "UNSET", None]))
    if mode is not None:
        spec["mtls"] = {"mode": mode}
    if spec.get("selector") and draw(st.booleans()):
        spec["portLevelMtls"] = {str(draw(st.sampled_from(PORTS))): {"mode": draw(st.sampled_from(
            ["STRICT", "PERMISSIVE", "DISABLE", "UNSET"]))}}
    namespace = draw(st.sampled_from(MESH_NAMESPACES))
    return {"apiVersion": API, "kind": "PeerAuthentication", "metadata": {"name": name, "namespace": namespace},
            "spec": spec}


def _template(o: dict[str, Any]) -> dict[str, Any]:
    if o["kind"] == "Pod":
        return o
    if o["kind"] == "CronJob":
        return o["spec"]["jobTemplate"]["spec"]["template"]
    return o["spec"]["template"]


@st.composite
def mesh_worlds(draw, max_endpoints: int = 6, max_policies: int = 3, max_mesh_policies: int = 4):
    """(manifests, external IPs): NetworkPolicy worlds with mesh labels, accounts and Istio policies."""
    objects, externals = draw(worlds(max_endpoints, max_policies))
    declared = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
    for o in objects:
        if o["kind"] == "Namespace":
            o["metadata"]["labels"] = {**o["metadata"].get("labels", {}), **draw(st.sampled_from(MESH_LABELS))}
    for ns in NAMESPACES:
        if ns not in declared and draw(st.booleans()):
            objects.append({"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": ns, "labels": draw(st.sampled_from(MESH_LABELS))}})
    for o in objects:
        if o["kind"] in ("Pod", "Deployment", "CronJob"):
            template = _template(o)
            template.setdefault("metadata", {}).setdefault("labels", {}).update(draw(st.sampled_from(POD_MESH_LABELS)))
            template["metadata"].setdefault("annotations", {}).update(draw(st.sampled_from(POD_MESH_ANNOTATIONS)))
            account = draw(st.sampled_from(ACCOUNTS + [None]))
            if account is not None:
                template["spec"]["serviceAccountName"] = account
    objects += [draw(authorization_policies(f"ap{i}")) for i in range(draw(st.integers(0, max_mesh_policies)))]
    objects += [draw(peer_authentications(f"pa{i}")) for i in range(draw(st.integers(0, 2)))]
    return objects, externals



