"""Properties of the Cilium layer over random small clusters (hypothesis): the grouped whole matrix
equals the per-pair path, with NetworkPolicies, Cilium allows and denies, external IPs and names;
a deny never lets more through than the same cluster without it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netpol_world import world

PODS = ["x/a", "x/b", "y/a", "y/c"]
EXTERNALS = ["93.184.216.34", "10.0.9.9", "2001:db8::1", "models.example.com", "a.b.example.com"]
PROBES = [(80, "TCP"), (81, "UDP"), (443, "TCP")]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

selectors = st.sampled_from([{}, {"matchLabels": {"pod": "a"}}, {"matchLabels": {"k8s:pod": "b"}},
                             {"matchLabels": {"io.kubernetes.pod.namespace": "y"}},
                             {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["a", "c"]}]}])
ports = st.sampled_from([None, [{"ports": [{"port": "80", "protocol": "TCP"}]}],
                         [{"ports": [{"port": "80", "endPort": 443}]}], [{"ports": [{"port": "serve-81-udp", "protocol": "UDP"}]}],
                         [{"ports": [{"port": "443", "protocol": "TCP"}], "rules": {"http": [{}]}}]])


def peer(direction: str, deny: bool = False):
    prefix = "from" if direction == "ingress" else "to"
    options = [
        st.builds(lambda s: {f"{prefix}Endpoints": [s]}, selectors),
        st.sampled_from([{f"{prefix}Entities": [e]} for e in ("world", "world-ipv4", "cluster", "all", "host")]),
        st.sampled_from([{f"{prefix}CIDR": ["0.0.0.0/0"]}, {f"{prefix}CIDR": ["10.0.0.0/8", "::/0"]},
                         {f"{prefix}CIDRSet": [{"cidr": "0.0.0.0/0", "except": ["93.184.216.0/24"]}]}]),
        st.just({}),
    ]
    if direction == "egress" and not deny:
        options.append(st.sampled_from([{"toFQDNs": [{"matchPattern": "*.example.com"}]},
                                        {"toFQDNs": [{"matchPattern": "**.example.com"}]},
                                        {"toFQDNs": [{"matchName": "models.example.com"}]}]))
    return st.one_of(options)


def rule(direction: str, deny: bool):
    def build(p, ps):
        r = dict(p)
        if ps is not None:
            r["toPorts"] = [dict(x, rules=None) if deny else x for x in ps]
            r["toPorts"] = [{k: v for k, v in x.items() if v is not None} for x in r["toPorts"]]
        return r
    port_choices = ports.filter(lambda ps: not deny or ps is None or "rules" not in ps[0])
    return st.builds(build, peer(direction, deny), port_choices)


@st.composite
def cilium_policies(draw, i: int):
    spec = {"endpointSelector": draw(selectors)}
    for key, direction, deny in (("ingress", "ingress", False), ("egress", "egress", False),
                                 ("ingressDeny", "ingress", True), ("egressDeny", "egress", True)):
        if draw(st.booleans()):
            spec[key] = draw(st.lists(rule(direction, deny), min_size=1, max_size=2))
    if draw(st.integers(0, 3)) == 0:
        spec["enableDefaultDeny"] = {"ingress": draw(st.booleans()), "egress": draw(st.booleans())}
    if draw(st.booleans()):
        return {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
                "metadata": {"name": f"c{i}"}, "spec": spec}
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": f"c{i}", "namespace": draw(st.sampled_from(["x", "y"]))}, "spec": spec}


network_policies = st.sampled_from([
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np", "namespace": "x"},
     "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}], "egress": [{}],
              "policyTypes": ["Ingress", "Egress"]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np", "namespace": "y"},
     "spec": {"podSelector": {"matchLabels": {"pod": "a"}}, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
              "policyTypes": ["Egress"]}},
])


@st.composite
def clusters(draw):
    count = draw(st.integers(1, 3))
    objects = [draw(cilium_policies(i)) for i in range(count)]
    if draw(st.booleans()):
        objects.append(draw(network_policies))
    return objects


@SETTINGS
@given(clusters())
def test_the_grouped_matrix_equals_the_per_pair_path(objects):
    analyzer = world(PODS, objects, externals=EXTERNALS)
    ids = [e.id for e in analyzer.cluster.endpoints]
    for port, protocol in PROBES:
        flows = {(s, d) for s, d, _, _ in analyzer.matrix([(port, protocol)])}
        for s in ids:
            for d in ids:
                if s != d:
                    assert analyzer.allowed(s, d, port, protocol) == ((s, d) in flows), (s, d, port, protocol)


def _without_denies(objects):
    out = []
    for o in objects:
        if o["kind"].startswith("Cilium"):
            spec = {k: v for k, v in o["spec"].items() if k not in ("ingressDeny", "egressDeny")}
            if not any(k in spec for k in ("ingress", "egress")):
                # keep the default deny the deny section set, so only the deny's own effect is removed
                spec["enableDefaultDeny"] = {
                    "ingress": o["spec"].get("enableDefaultDeny", {}).get("ingress", "ingressDeny" in o["spec"]),
                    "egress": o["spec"].get("enableDefaultDeny", {}).get("egress", "egressDeny" in o["spec"]),
                }
            o = {**o, "spec": spec}
        out.append(o)
    return out


@SETTINGS
@given(clusters())
def test_a_deny_never_lets_more_through(objects):
    with_denies = set(world(PODS, objects, externals=EXTERNALS).matrix(PROBES))
    without = set(world(PODS, _without_denies(objects), externals=EXTERNALS).matrix(PROBES))
    assert with_denies <= without
