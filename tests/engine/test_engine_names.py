"""External endpoints given by name (--external NAME): each product's wildcard rules, and address
rules that match a name only when they cover a whole address family (allow) or both (deny)."""

from __future__ import annotations

import pytest

from netguard.domains import (
    cilium_name_matches, cilium_pattern_error, cilium_pattern_matches, cluster_domain_matches, is_dns_name,
)
from netpol_world import allowed_pairs, labels, policy, world

# (pattern, name, matches) from Cilium's matchPattern rules (pkg/fqdn/matchpattern, 1.19)
CILIUM_PATTERNS = [
    ("*.example.com", "a.example.com", True),
    ("*.example.com", "A.Example.COM.", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "a.b.example.com", False),
    ("**.example.com", "a.example.com", True),
    ("**.example.com", "a.b.example.com", True),
    ("***.example.com", "a.b.c.example.com", True),
    ("**.example.com", "example.com", False),
    ("**.example.com", "badexample.com", False),
    ("*example.com", "example.com", True),
    ("*example.com", "myexample.com", True),
    ("*example.com", "a.example.com", False),
    ("sub*.example.com", "sub.example.com", True),
    ("sub*.example.com", "subdomain.example.com", True),
    ("sub*.example.com", "www.example.com", False),
    ("api.*.example.com", "api.eu.example.com", True),
    ("api.*.example.com", "api.eu.west.example.com", False),
    ("*", "anything.at.all", True),
    ("**.", "x.y", True),
    ("example.com", "example.com", True),
    ("example.com", "www.example.com", False),
    ("models.example.com.", "models.example.com", True),
]


@pytest.mark.parametrize("pattern, name, expected", CILIUM_PATTERNS)
def test_cilium_match_pattern(pattern, name, expected):
    assert cilium_pattern_matches(pattern, name) is expected


@pytest.mark.parametrize("match_name, name, expected", [
    ("models.example.com", "models.example.com", True),
    ("Models.Example.com.", "models.example.com", True),
    ("models.example.com", "a.models.example.com", False),
    ("*.example.com", "a.example.com", False),  # matchName has no wildcard: the star is literal
])
def test_cilium_match_name_is_exact_and_case_insensitive(match_name, name, expected):
    assert cilium_name_matches(match_name, name) is expected


@pytest.mark.parametrize("pattern, name, expected", [
    ("kubernetes.io", "kubernetes.io", True),
    ("kubernetes.io", "www.kubernetes.io", False),
    ("blog.kubernetes.io", "www.kubernetes.io", False),
    ("*.kubernetes.io", "www.kubernetes.io", True),
    ("*.kubernetes.io", "latest.blog.kubernetes.io", True),  # one or more labels, unlike Cilium's *
    ("*.kubernetes.io", "kubernetes.io", False),
    ("*.kubernetes.io", "my-kubernetes.io", False),
    ("KUBERNETES.io.", "kubernetes.io", True),
])
def test_cluster_network_policy_domain_names(pattern, name, expected):
    assert cluster_domain_matches(pattern, name) is expected


def test_cilium_pattern_validation_names_the_bad_characters():
    assert "only letters" in cilium_pattern_error("example.com/path")
    assert cilium_pattern_error("**.example.com") is None


@pytest.mark.parametrize("text, valid", [
    ("models.example.com", True), ("localhost", True), ("_srv.example.com", True),
    ("-a.example.com", False), ("a..b", False), ("a b", False), ("10.0.0", False), ("x" * 64 + ".com", False),
])
def test_what_counts_as_a_dns_name(text, valid):
    assert is_dns_name(text) is valid


# --- address rules and names ------------------------------------------------------------------
NAME = "external/models.example.com"


def egress(name, *blocks, ports=None):
    rule = {"to": [{"ipBlock": b} for b in blocks]}
    if ports:
        rule["ports"] = ports
    return policy(name, "x", labels(pod="a"), types=["Egress"], egress=[rule])


def name_reachable(*policies) -> tuple[bool, bool]:
    """(per-pair, whole matrix) verdict of x/a -> the name on 443/TCP."""
    analyzer = world(["x/a"], policies, externals=["models.example.com"])
    return analyzer.allowed("x/a", NAME, 443, "TCP"), ("x/a", NAME) in allowed_pairs(analyzer, 443)


@pytest.mark.parametrize("blocks, expected", [
    ([{"cidr": "0.0.0.0/0"}], True),
    ([{"cidr": "::/0"}], True),
    ([{"cidr": "0.0.0.0/1"}, {"cidr": "128.0.0.0/1"}], True),  # together every IPv4 address
    ([{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}], False),  # a narrower range: ask with IPs
    ([{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}, {"cidr": "10.0.0.0/8"}], True),
    ([{"cidr": "93.184.216.0/24"}], False),
    ([{"cidr": "0.0.0.0/1"}], False),
])
def test_an_allow_matches_a_name_only_when_it_admits_a_whole_family(blocks, expected):
    assert name_reachable(egress("out", *blocks)) == (expected, expected)


def test_an_egress_rule_without_peers_admits_every_name_and_ports_still_apply():
    p = policy("out", "x", labels(pod="a"), types=["Egress"], egress=[{"ports": [{"port": 443}]}])
    assert name_reachable(p) == (True, True)
    analyzer = world(["x/a"], [p], externals=["models.example.com"])
    assert not analyzer.allowed("x/a", NAME, 80, "TCP")


def test_an_isolated_egress_without_any_such_rule_denies_the_name():
    assert name_reachable(egress("out", {"cidr": "10.0.0.0/8"})) == (False, False)


def test_explain_says_which_rule_matched_the_name_and_why():
    analyzer = world(["x/a"], [egress("out", {"cidr": "0.0.0.0/0"})], externals=["models.example.com"])
    text = analyzer.explain("x/a", NAME, 443, "TCP").to_text()
    assert "x/out" in text
    assert "models.example.com matched any DNS name (0.0.0.0/0 admits every IPv4 address" in text


def test_names_are_never_pods_and_pod_selectors_never_match_them():
    p = policy("out", "x", labels(pod="a"), types=["Egress"],
               egress=[{"to": [{"namespaceSelector": {}, "podSelector": {}}]}])
    assert name_reachable(p) == (False, False)


def tier_deny(*networks):
    return {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": "deny-out"},
            "spec": {"tier": "Admin", "priority": 10, "subject": {"namespaces": {}},
                     "egress": [{"action": "Deny", "to": [{"networks": list(networks)}]}]}}


@pytest.mark.parametrize("networks, reachable", [
    (["0.0.0.0/0"], True),  # the name may resolve to an IPv6 address
    (["::/0"], True),
    (["0.0.0.0/0", "::/0"], False),  # every address of both families
])
def test_a_deny_matches_a_name_only_when_it_covers_both_families(networks, reachable):
    assert name_reachable(tier_deny(*networks)) == (reachable, reachable)
