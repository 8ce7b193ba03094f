"""Hypothesis strategies for small random clusters: namespaces, endpoints, NetworkPolicies.

Small vocabularies on purpose, so that selectors often match, names collide and every feature
(selectors and expressions, ipBlock/except in IPv4 and IPv6, numbered/named/ranged ports, three
protocols, absent/empty rule lists, policyTypes present or defaulted) meets every other.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

NAMESPACES = ["x", "y", "z"]
LABEL_KEYS = ["pod", "tier"]
LABEL_VALUES = ["a", "b", "c"]
PORTS = [53, 80, 81, 443]
PORT_NAMES = ["http", "dns", "web"]
PROTOCOLS = ["TCP", "UDP", "SCTP"]
IPS = ["10.0.0.1", "10.0.1.2", "10.1.0.3", "192.168.0.4", "8.8.8.8", "fd00::1", "fd00:1::2"]
BLOCKS = [
    ("10.0.0.0/8", ["10.1.0.0/16", "10.0.1.0/24"]),
    ("10.0.0.0/16", ["10.0.0.1/32"]),
    ("0.0.0.0/0", ["10.0.0.0/8", "192.168.0.0/16"]),
    ("8.8.8.8/32", []),
    ("fd00::/16", ["fd00:1::/32"]),
    ("::/0", []),
]
PROBES = [(p, proto) for p in PORTS for proto in PROTOCOLS]

label_maps = st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=2)


@st.composite
def requirements(draw) -> dict[str, Any]:
    op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
    req: dict[str, Any] = {"key": draw(st.sampled_from(LABEL_KEYS + ["ns", "kubernetes.io/metadata.name"])),
                           "operator": op}
    if op in ("In", "NotIn"):
        req["values"] = draw(st.lists(st.sampled_from(LABEL_VALUES + NAMESPACES), min_size=1, max_size=2, unique=True))
    return req


@st.composite
def selectors(draw, namespace: bool = False) -> dict[str, Any]:
    sel: dict[str, Any] = {}
    if draw(st.booleans()):
        if namespace and draw(st.booleans()):
            sel["matchLabels"] = {"kubernetes.io/metadata.name": draw(st.sampled_from(NAMESPACES))}
        else:
            sel["matchLabels"] = draw(label_maps if not namespace else st.dictionaries(
                st.sampled_from(["ns", "team"]), st.sampled_from(LABEL_VALUES + NAMESPACES), max_size=1))
    if draw(st.integers(0, 3)) == 0:
        sel["matchExpressions"] = draw(st.lists(requirements(), min_size=1, max_size=2))
    return sel


@st.composite
def peers(draw) -> dict[str, Any]:
    shape = draw(st.sampled_from(["pod", "ns", "both", "ip"]))
    if shape == "ip":
        cidr, excepts = draw(st.sampled_from(BLOCKS))
        block: dict[str, Any] = {"cidr": cidr}
        chosen = draw(st.lists(st.sampled_from(excepts), unique=True)) if excepts else []
        if chosen:
            block["except"] = chosen
        return {"ipBlock": block}
    peer: dict[str, Any] = {}
    if shape in ("pod", "both"):
        peer["podSelector"] = draw(selectors())
    if shape in ("ns", "both"):
        peer["namespaceSelector"] = draw(selectors(namespace=True))
    return peer


@st.composite
def rule_ports(draw) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if draw(st.booleans()):
        entry["protocol"] = draw(st.sampled_from(PROTOCOLS))
    shape = draw(st.sampled_from(["number", "name", "range", "protocol-only"]))
    if shape == "number":
        entry["port"] = draw(st.sampled_from(PORTS))
    elif shape == "name":
        entry["port"] = draw(st.sampled_from(PORT_NAMES))
    elif shape == "range":
        lo = draw(st.sampled_from(PORTS))
        entry["port"] = lo
        entry["endPort"] = draw(st.sampled_from([p for p in PORTS if p >= lo] + [lo + 1000]))
    return entry


@st.composite
def rules(draw, peers_key: str) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    peer_shape = draw(st.sampled_from(["absent", "empty", "list"]))
    if peer_shape == "empty":
        rule[peers_key] = []
    elif peer_shape == "list":
        rule[peers_key] = draw(st.lists(peers(), min_size=1, max_size=3))
    port_shape = draw(st.sampled_from(["absent", "empty", "list", "list"]))
    if port_shape == "empty":
        rule["ports"] = []
    elif port_shape == "list":
        rule["ports"] = draw(st.lists(rule_ports(), min_size=1, max_size=3))
    return rule


@st.composite
def network_policies(draw, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": draw(selectors())}
    for key, peers_key in (("ingress", "from"), ("egress", "to")):
        shape = draw(st.sampled_from(["absent", "empty", "rules", "rules"]))
        if shape == "empty":
            spec[key] = []
        elif shape == "rules":
            spec[key] = draw(st.lists(rules(peers_key), min_size=1, max_size=3))
    types_shape = draw(st.sampled_from(["default", "ingress", "egress", "both"]))
    if types_shape != "default":
        spec["policyTypes"] = {"ingress": ["Ingress"], "egress": ["Egress"], "both": ["Ingress", "Egress"]}[types_shape]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": draw(st.sampled_from(NAMESPACES))}, "spec": spec}


@st.composite
def container_ports(draw) -> list[dict[str, Any]]:
    chosen = draw(st.lists(st.tuples(st.sampled_from(PORTS), st.sampled_from(PROTOCOLS)), unique=True, max_size=3))
    names = iter(draw(st.permutations(PORT_NAMES)))
    out = []
    for port, proto in chosen:
        entry: dict[str, Any] = {"containerPort": port, "protocol": proto}
        if draw(st.booleans()):
            entry["name"] = next(names)
        out.append(entry)
    return out


@st.composite
def endpoints(draw, name: str) -> dict[str, Any]:
    ns = draw(st.sampled_from(NAMESPACES))
    labels = draw(label_maps)
    template_spec = {"containers": [{"name": "c", "ports": draw(container_ports())}]}
    kind = draw(st.sampled_from(["Pod", "Pod", "Deployment", "CronJob"]))
    meta = {"name": name, "namespace": ns}
    if kind == "Pod":
        pod: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {**meta, "labels": labels},
                               "spec": template_spec}
        if draw(st.booleans()):
            pod["status"] = {"podIP": draw(st.sampled_from(IPS))}
        return pod
    template = {"metadata": {"labels": labels}, "spec": template_spec}
    if kind == "CronJob":
        return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
                "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": {"template": template}}


@st.composite
def namespace_manifests(draw) -> list[dict[str, Any]]:
    out = []
    for ns in NAMESPACES:
        if draw(st.booleans()):
            labels = draw(st.dictionaries(st.sampled_from(["ns", "team"]), st.sampled_from(LABEL_VALUES + NAMESPACES),
                                          max_size=2))
            out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
    return out


@st.composite
def worlds(draw, max_endpoints: int = 6, max_policies: int = 5) -> tuple[list[dict[str, Any]], list[str]]:
    """(manifests, external IPs)."""
    count = draw(st.integers(1, max_endpoints))
    objects = draw(namespace_manifests())
    objects += [draw(endpoints(f"e{i}")) for i in range(count)]
    objects += [draw(network_policies(f"p{i}")) for i in range(draw(st.integers(0, max_policies)))]
    externals = draw(st.lists(st.sampled_from(IPS), unique=True, max_size=2))
    return objects, externals
