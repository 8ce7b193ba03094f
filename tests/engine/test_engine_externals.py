"""External endpoints (--external IP): outside the cluster, no labels, matched only by ipBlocks."""

from __future__ import annotations

from netpol_world import allowed_pairs, labels, policy, world

PODS = ["x/a", "y/a"]
EXT = "external/8.8.8.8"
PRIVATE = "external/10.0.9.9"


def flows(policies, port=80, protocol="TCP"):
    return allowed_pairs(world(PODS, policies, externals=["8.8.8.8", "10.0.9.9"]), port, protocol)


def test_externals_are_never_isolated_and_reach_everyone_without_policies():
    analyzer = world(PODS, externals=["8.8.8.8"])
    assert not analyzer.isolated(EXT, "Ingress") and not analyzer.isolated(EXT, "Egress")
    assert {(EXT, "x/a"), ("x/a", EXT)} <= allowed_pairs(analyzer, 80)


def test_a_rule_without_from_admits_external_addresses():
    assert (EXT, "x/a") in flows([policy("allow-any", "x", ingress=[{}])])


def test_selectors_never_match_external_addresses():
    every_pod = policy("all-pods", "x", ingress=[{"from": [{"namespaceSelector": {}, "podSelector": {}}]}])
    assert (EXT, "x/a") not in flows([every_pod])
    assert ("y/a", "x/a") in flows([every_pod])
    no_pod_labels = policy("no-app", "x", ingress=[{"from": [{"namespaceSelector": {},
        "podSelector": {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}}]}])
    assert (EXT, "x/a") not in flows([no_pod_labels])


def test_ip_blocks_match_external_addresses_and_except_carves_them_out():
    p = policy("from-internet", "x", ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}])
    allowed = flows([p])
    assert (EXT, "x/a") in allowed
    assert (PRIVATE, "x/a") not in allowed


def test_egress_allowlist_to_public_addresses_only():
    p = policy("egress-public", "x", labels(pod="a"), types=["Egress"],
               egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}], "ports": [{"port": 443}]}])
    assert ("x/a", EXT) in flows([p], port=443)
    assert ("x/a", PRIVATE) not in flows([p], port=443)
    assert ("x/a", "y/a") not in flows([p], port=443)  # y/a has IP 10.0.2.1, inside the except
    assert ("x/a", EXT) not in flows([p], port=80)


def test_explain_names_the_ip_block_rule():
    p = policy("from-internet", "x", ingress=[{"from": [{"ipBlock": {"cidr": "8.8.8.0/24"}}]}])
    explanation = world(PODS, [p], externals=["8.8.8.8"]).explain(EXT, "x/a", 80, "TCP")
    assert explanation.allowed
    assert explanation.ingress.admitting == (("x/from-internet", 1, "from IPs in 8.8.8.0/24 on any port"),)
    assert "egress of external/8.8.8.8: allowed, not isolated" in explanation.to_text()


def test_explain_says_an_external_side_is_outside_the_cluster():
    explanation = world(PODS, externals=["8.8.8.8"]).explain("x/a", EXT, 443, "TCP")
    text = explanation.to_text()
    assert ("ingress of external/8.8.8.8: allowed, not isolated "
            "(outside the cluster: no NetworkPolicy applies to it)") in text
    assert "egress of x/a: allowed, not isolated (no NetworkPolicy with policy type Egress selects it)" in text
