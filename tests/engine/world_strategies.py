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


# --- cluster tiers (ClusterNetworkPolicy v1alpha2, AdminNetworkPolicy/BaselineAdminNetworkPolicy v1alpha1) ---
TIER_NETWORKS = ["10.0.0.0/8", "10.0.0.1/32", "0.0.0.0/0", "8.8.8.8/32", "fd00::/16", "::/0"]


@st.composite
def tier_peers(draw, direction: str) -> dict[str, Any]:
    shapes = ["namespaces", "pods"] + (["networks", "networks", "nodes"] if direction == "egress" else [])
    shape = draw(st.sampled_from(shapes))
    if shape == "namespaces":
        return {"namespaces": draw(selectors(namespace=True))}
    if shape == "pods":
        return {"pods": {"namespaceSelector": draw(selectors(namespace=True)), "podSelector": draw(selectors())}}
    if shape == "nodes":
        return {"nodes": {}}
    return {"networks": draw(st.lists(st.sampled_from(TIER_NETWORKS), min_size=1, max_size=2, unique=True))}


@st.composite
def tier_ports(draw, api: str, named: bool) -> dict[str, Any]:
    shape = draw(st.sampled_from(["number", "range"] + (["name"] if named else [])))
    protocol = draw(st.sampled_from(PROTOCOLS))
    lo = draw(st.sampled_from(PORTS))
    if shape == "name":
        name = draw(st.sampled_from(PORT_NAMES))
        return {"destinationNamedPort": name} if api == "v1alpha2" else {"namedPort": name}
    if api == "v1alpha2":
        value = {"number": lo} if shape == "number" else {"range": {"start": lo, "end": lo + draw(st.sampled_from([1, 400]))}}
        return {protocol.lower(): {"destinationPort": value}}
    if shape == "number":
        return {"portNumber": {"protocol": protocol, "port": lo}}
    return {"portRange": {"protocol": protocol, "start": lo, "end": lo + draw(st.sampled_from([0, 1, 400]))}}


@st.composite
def tier_rules(draw, direction: str, api: str, actions: tuple[str, ...]) -> dict[str, Any]:
    peers = draw(st.lists(tier_peers(direction), min_size=1, max_size=2))
    rule: dict[str, Any] = {"action": draw(st.sampled_from(actions)),
                            ("from" if direction == "ingress" else "to"): peers}
    if draw(st.booleans()):
        named = not any("networks" in p or "nodes" in p for p in peers)
        key = "protocols" if api == "v1alpha2" else "ports"
        rule[key] = draw(st.lists(tier_ports(api, named), min_size=1, max_size=2))
    if draw(st.booleans()):
        rule["name"] = f"r{draw(st.integers(0, 9))}"
    return rule


@st.composite
def tier_policies(draw, name: str, api: str, tier: str, priority: int, actions: tuple[str, ...] = ()) -> dict[str, Any]:
    if not actions:
        actions = ("Accept", "Deny", "Pass") if tier == "Admin" else ("Accept", "Deny")
    if api == "v1alpha1":
        actions = tuple("Allow" if a == "Accept" else a for a in actions)
    if draw(st.booleans()):
        subject: dict[str, Any] = {"namespaces": draw(selectors(namespace=True))}
    else:
        subject = {"pods": {"namespaceSelector": draw(selectors(namespace=True)), "podSelector": draw(selectors())}}
    spec: dict[str, Any] = {"subject": subject}
    for direction in ("ingress", "egress"):
        if draw(st.booleans()):
            spec[direction] = draw(st.lists(tier_rules(direction, api, actions), min_size=1, max_size=3))
    if api == "v1alpha2":
        return {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
                "metadata": {"name": name}, "spec": {"tier": tier, "priority": priority, **spec}}
    if tier == "Admin":
        return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
                "metadata": {"name": name}, "spec": {"priority": priority, **spec}}
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
            "metadata": {"name": "default"}, "spec": spec}


@st.composite
def tiered_worlds(draw, max_endpoints: int = 6, max_policies: int = 4, max_tier_policies: int = 4):
    """(manifests, external IPs) with tier policies of one API version; priorities are unique."""
    objects, externals = draw(worlds(max_endpoints, max_policies))
    api = draw(st.sampled_from(["v1alpha2", "v1alpha1"]))
    priorities = draw(st.lists(st.integers(0, 1000), unique=True, min_size=max_tier_policies, max_size=max_tier_policies))
    count = draw(st.integers(1, max_tier_policies))
    tiers = []
    baseline_done = False
    for i in range(count):
        tier = draw(st.sampled_from(["Admin", "Admin", "Baseline"]))
        if tier == "Baseline" and api == "v1alpha1":
            if baseline_done:
                tier = "Admin"
            baseline_done = True
        tiers.append(draw(tier_policies(f"t{i}", api, tier, priorities[i])))
    return objects + tiers, externals
