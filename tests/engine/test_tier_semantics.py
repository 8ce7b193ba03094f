"""Tier policies: validation (one-line typed errors), same-priority ambiguity, nodes and domain peers."""

from __future__ import annotations

import pytest

from netguard.analysis import Analyzer
from netguard.errors import NetguardInputError
from netguard.loader import build_cluster
from netguard.model import Cluster, Endpoint
from netguard.ports import PortSet
from netguard.tiers.evaluate import TierAmbiguityError

V2 = "policy.networking.k8s.io/v1alpha2"
V1 = "policy.networking.k8s.io/v1alpha1"


def cnp(name="p", tier="Admin", priority=10, **spec):
    body = {"tier": tier, "priority": priority, "subject": {"namespaces": {}}, **spec}
    body["subject"] = spec.get("subject", {"namespaces": {}})
    return {"apiVersion": V2, "kind": "ClusterNetworkPolicy", "metadata": {"name": name}, "spec": body}


def pod(ns, name, ip=None, labels=None):
    p = {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
         "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80, "name": "web"}]}]}}
    if ip:
        p["status"] = {"podIP": ip}
    return p


def load(*objects, externals=()):
    return Analyzer(build_cluster([("m.yaml", o) for o in objects], externals))


def error(*objects) -> NetguardInputError:
    with pytest.raises(NetguardInputError) as caught:
        load(*objects)
    return caught.value


ANY = [{"namespaces": {}}]
BAD = [
    (cnp(egres=[]), "spec.egres", "unknown field"),
    (cnp(tier="Middle"), "spec.tier", "expected Admin or Baseline"),
    (cnp(priority=1001), "spec.priority", "outside 0-1000"),
    (cnp(priority="5"), "spec.priority", "expected a number"),
    ({**cnp(), "spec": {"tier": "Admin", "priority": 1}}, "spec.subject", "needs a subject"),
    (cnp(subject={"namespaces": {}, "pods": {"podSelector": {}}}), "spec.subject", "exactly one of"),
    (cnp(ingress=[{"action": "Allow", "from": ANY}]), "spec.ingress[0].action", "unknown action 'Allow'"),
    (cnp(ingress=[{"action": "Deny"}]), "spec.ingress[0].from", "at least one peer"),
    (cnp(ingress=[{"action": "Deny", "from": []}]), "spec.ingress[0].from", "at least 1"),
    (cnp(ingress=[{"action": "Deny", "from": [{"networks": ["10.0.0.0/8"]}]}]), "spec.ingress[0].from[0].networks",
     "unknown field of a peer"),
    (cnp(egress=[{"action": "Deny", "to": [{"networks": ["10.0.0.0/33"]}]}]), "spec.egress[0].to[0].networks[0]",
     "not a valid"),
    (cnp(egress=[{"action": "Deny", "to": [{"domainNames": ["example.com"]}]}]), "spec.egress[0].action",
     "only supported in Accept"),
    (cnp(ingress=[{"action": "Deny", "from": ANY, "protocols": [{"icmp": {}}]}]), "spec.ingress[0].protocols[0].icmp",
     "unknown field"),
    (cnp(ingress=[{"action": "Deny", "from": ANY, "protocols": [{"tcp": {"destinationPort": {"range": {"start": 9, "end": 9}}}}]}]),
     "spec.ingress[0].protocols[0].tcp.destinationPort.range", "less than end"),
    (cnp(ingress=[{"action": "Deny", "from": ANY, "protocols": [{"tcp": {}}]}]),
     "spec.ingress[0].protocols[0].tcp.destinationPort", "missing"),
    (cnp(ingress=[{"action": "Deny", "from": ANY}] * 26), "spec.ingress", "at most 25"),
    ({"apiVersion": V1, "kind": "BaselineAdminNetworkPolicy", "metadata": {"name": "other"},
      "spec": {"subject": {"namespaces": {}}}}, "metadata.name", "must be named 'default'"),
    ({"apiVersion": V1, "kind": "BaselineAdminNetworkPolicy", "metadata": {"name": "default"},
      "spec": {"subject": {"namespaces": {}}, "ingress": [{"action": "Pass", "from": ANY}]}},
     "spec.ingress[0].action", "unknown action 'Pass'"),
    ({"apiVersion": V1, "kind": "AdminNetworkPolicy", "metadata": {"name": "a"},
      "spec": {"priority": 1, "subject": {"namespaces": {}}, "ingress": [{"action": "Allow", "from": ANY,
                                                                          "ports": [{"portNumber": {"port": 80}, "namedPort": "web"}]}]}},
     "spec.ingress[0].ports[0]", "exactly one of"),
    ({"apiVersion": V1, "kind": "AdminNetworkPolicy", "metadata": {"name": "a"},
      "spec": {"priority": 1, "subject": {"pods": {"podSelector": {}, "selector": {}}}}}, "spec.subject.pods.selector",
     "unknown field"),
    ({"apiVersion": "policy.networking.k8s.io/v1alpha3", "kind": "ClusterNetworkPolicy", "metadata": {"name": "a"}},
     "apiVersion", "not a version the engine reads"),
]


@pytest.mark.parametrize("manifest, field, problem", BAD)
def test_a_bad_tier_policy_is_one_line_naming_the_field(manifest, field, problem):
    e = error(manifest)
    assert e.field == field and problem in e.problem, str(e)
    assert "\n" not in str(e)


def test_another_products_cluster_network_policy_is_not_read():
    antrea = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "a"}, "spec": {}}
    assert load(antrea).cluster.tier_policies == ()


def test_a_v1alpha1_baseline_and_a_v1alpha2_baseline_together_are_an_error():
    banp = {"apiVersion": V1, "kind": "BaselineAdminNetworkPolicy", "metadata": {"name": "default"},
            "spec": {"subject": {"namespaces": {}}}}
    assert "cannot be ordered" in error(banp, cnp(tier="Baseline")).problem


def anp(name, priority, **spec):
    return {"apiVersion": V1, "kind": "AdminNetworkPolicy", "metadata": {"name": name},
            "spec": {"priority": priority, "subject": {"namespaces": {}}, **spec}}


def test_admin_policies_of_two_api_versions_that_decide_one_connection_differently_are_an_error_naming_both():
    deny = cnp("new", priority=5, ingress=[{"name": "no", "action": "Deny", "from": ANY}])
    accept = anp("old", 50, ingress=[{"name": "yes", "action": "Allow", "from": ANY}])
    analyzer = load(pod("x", "a"), pod("y", "b"), deny, accept)
    for ask in (lambda: analyzer.allowed("x/a", "y/b", 80, "TCP"), lambda: analyzer.matrix([(80, "TCP")])):
        with pytest.raises(TierAmbiguityError) as caught:
            ask()
        assert "AdminNetworkPolicy old (Admin, priority 50)" in str(caught.value)
        assert "ClusterNetworkPolicy new (Admin, priority 5)" in str(caught.value)
        assert "v1alpha1" in str(caught.value) and "v1alpha2" in str(caught.value)


def test_admin_policies_of_two_api_versions_that_agree_or_decide_apart_have_one_outcome():
    in_y = {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "y"}}}
    deny = cnp("new", priority=5, ingress=[{"action": "Deny", "from": ANY}], subject=in_y)
    also = anp("old", 50, ingress=[{"action": "Deny", "from": ANY}], subject=in_y)
    out = anp("out", 60, egress=[{"action": "Allow", "to": ANY}])  # the egress side: no clash with an ingress Deny
    analyzer = load(pod("x", "a"), pod("y", "b"), deny, also, out)
    assert not analyzer.allowed("x/a", "y/b", 80, "TCP") and analyzer.allowed("y/b", "x/a", 80, "TCP")
    assert set(analyzer.matrix([(80, "TCP")])) == {("y/b", "x/a", 80, "TCP")}


def test_same_priority_policies_that_decide_one_connection_differently_are_an_error_naming_both():
    accept = cnp("a", ingress=[{"name": "in", "action": "Accept", "from": ANY}])
    deny = cnp("b", ingress=[{"name": "out", "action": "Deny", "from": ANY}])
    analyzer = load(pod("x", "a"), pod("y", "b"), accept, deny)
    for ask in (lambda: analyzer.allowed("x/a", "y/b", 80, "TCP"), lambda: analyzer.matrix([(80, "TCP")])):
        with pytest.raises(TierAmbiguityError) as caught:
            ask()
        assert "ClusterNetworkPolicy a (Admin, priority 10)" in str(caught.value)
        assert "ClusterNetworkPolicy b (Admin, priority 10)" in str(caught.value)


def test_same_priority_policies_that_agree_or_never_meet_are_no_error():
    def ns(name):
        return {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": name}}}

    a = cnp("a", ingress=[{"action": "Deny", "from": [ns("x")]}], subject=ns("y"))
    b = cnp("b", ingress=[{"action": "Accept", "from": ANY}], subject=ns("z"))
    c = cnp("c", ingress=[{"action": "Deny", "from": ANY}], subject=ns("y"))
    analyzer = load(pod("x", "a"), pod("y", "b"), pod("z", "c"), a, b, c)
    assert not analyzer.allowed("x/a", "y/b", 80, "TCP")
    assert set(analyzer.matrix([(80, "TCP")])) == {
        ("x/a", "z/c", 80, "TCP"), ("y/b", "z/c", 80, "TCP"), ("y/b", "x/a", 80, "TCP"), ("z/c", "x/a", 80, "TCP"),
    }


def test_networks_match_pod_ips_too():
    deny = cnp(egress=[{"action": "Deny", "to": [{"networks": ["10.0.0.0/24"]}]}])
    analyzer = load(pod("x", "a", "10.0.1.1"), pod("y", "b", "10.0.0.5"), pod("y", "c"), deny, externals=["10.0.0.9"])
    assert not analyzer.allowed("x/a", "y/b", 80, "TCP")
    assert not analyzer.allowed("x/a", "external/10.0.0.9", 80, "TCP")
    assert analyzer.allowed("x/a", "y/c", 80, "TCP")  # no IP known: no network matches it


def test_a_nodes_peer_matches_nothing_and_explain_says_the_engine_cannot_evaluate_it():
    policy = cnp(egress=[{"name": "to-nodes", "action": "Accept", "to": [{"nodes": {}}]},
                         {"name": "rest", "action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}]}])
    analyzer = load(pod("x", "a", "10.0.1.1"), policy, externals=["192.168.0.10"])
    explanation = analyzer.explain("x/a", "external/192.168.0.10", 80, "TCP")
    assert not explanation.allowed  # an Accept we cannot evaluate never allows
    assert "rule 1 'to-nodes' has a nodes peer the engine cannot evaluate" in explanation.to_text()


def test_domain_names_match_only_external_endpoints_given_by_name():
    accept = cnp(egress=[{"action": "Accept", "to": [{"domainNames": ["*.example.com", "api.test.io"]}]},
                         {"action": "Deny", "to": [{"networks": ["0.0.0.0/0", "::/0"]}]}])
    base = build_cluster([("m.yaml", o) for o in (pod("x", "a", "10.0.1.1"), accept)], ["93.184.216.34"])
    names = tuple(Endpoint(f"external/{n}", "external", n, "External", external=True)
                  for n in ("www.example.com", "example.com", "api.test.io"))
    analyzer = Analyzer(Cluster(base.endpoints + names, base.namespaces, base.policies, base.tier_policies))
    assert analyzer.allowed("x/a", "external/www.example.com", 443, "TCP")
    assert analyzer.allowed("x/a", "external/api.test.io", 443, "TCP")
    # not matched by the names, and the Deny of every IPv4 and IPv6 address covers wherever it resolves
    assert not analyzer.allowed("x/a", "external/example.com", 443, "TCP")
    assert not analyzer.allowed("x/a", "external/93.184.216.34", 443, "TCP")
    flows = set(analyzer.matrix([(443, "TCP")]))
    assert ("x/a", "external/www.example.com", 443, "TCP") in flows
    assert ("x/a", "external/93.184.216.34", 443, "TCP") not in flows


def test_a_port_set_difference_keeps_exactly_the_ports_not_taken():
    assert (PortSet.of([(1, 10), (20, 30)]) - PortSet.of([(5, 22)])).spans == ((1, 4), (23, 30))
    assert (PortSet.everything() - PortSet.everything()).is_empty()


def test_an_absent_selector_of_a_pods_peer_is_the_empty_selector_as_the_go_types_decode_it():
    anp = {"apiVersion": V1, "kind": "AdminNetworkPolicy", "metadata": {"name": "a"},
           "spec": {"priority": 1, "subject": {"pods": {"podSelector": {"matchLabels": {"app": "b"}}}},
                    "ingress": [{"action": "Deny", "from": [{"pods": {"namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "x"}}}}]}]}}
    analyzer = load(pod("x", "a"), pod("y", "b", labels={"app": "b"}), pod("z", "c"), anp)
    assert not analyzer.allowed("x/a", "y/b", 80, "TCP")  # every pod of namespace x
    assert analyzer.allowed("z/c", "y/b", 80, "TCP")


def test_a_named_port_beside_a_networks_peer_matches_the_pods_that_declare_it():
    policy = cnp(egress=[{"action": "Deny", "to": [{"networks": ["10.0.0.0/8"]}, {"namespaces": {}}],
                          "protocols": [{"destinationNamedPort": "web"}]}])
    analyzer = load(pod("x", "a", "10.0.0.1"), pod("y", "b", "10.0.0.2"), policy, externals=["10.0.0.9"])
    assert not analyzer.allowed("x/a", "y/b", 80, "TCP")
    assert analyzer.allowed("x/a", "external/10.0.0.9", 80, "TCP")  # an address has no named port


def test_explain_names_the_tier_decision_and_the_pass():
    deny = cnp("deny-restricted", priority=40, ingress=[
        {"name": "pass-own", "action": "Pass", "from": [{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "y"}}}]},
        {"name": "deny-untrusted", "action": "Deny", "from": ANY}])
    np = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "own", "namespace": "y"},
          "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}}
    analyzer = load(pod("x", "a"), pod("y", "b"), pod("y", "c"), deny, np)
    denied = analyzer.explain("x/a", "y/b", 80, "TCP")
    assert not denied.allowed
    assert ("ClusterNetworkPolicy deny-restricted (Admin, priority 40) selects y/b; rule 2 'deny-untrusted' "
            "denies x/a on 80/TCP") in denied.to_text()
    assert denied.to_dict()["ingress"]["tiers"] == [
        {"policy": "ClusterNetworkPolicy/deny-restricted", "rule": 2, "name": "deny-untrusted", "action": "Deny"}]
    passed = analyzer.explain("y/c", "y/b", 80, "TCP")
    text = passed.to_text()
    assert passed.allowed and "passed to NetworkPolicies by ClusterNetworkPolicy deny-restricted (Admin, priority 40) rule 1 'pass-own'" in text
    assert "NetworkPolicy y/own selects y/b; rule 1 admits y/c" in text
