"""Cases of the upstream Kubernetes e2e network-policy suite, as truth tables.

Each case mirrors one ``f.It`` of test/e2e/network/netpol/network_policy.go: the same pods, the same
policies, the same expected reachability written as upstream writes it (a default for every pair,
then overrides). Policy "updates" and "deletions" are expressed as the policy set before and after.
"""

from __future__ import annotations

import pytest

from netpol_world import (
    Reachability, allowed_pairs, labels, ns_name, pod_ip, policy, world,
)

ALL = ["x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"]


def check(pods, policies, port, protocol, reachability: Reachability) -> None:
    assert allowed_pairs(world(pods, policies), port, protocol) == reachability.allowed()


# --- ingress and egress default-deny ------------------------------------------------------------

@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_default_deny_ingress(protocol):
    pods = ["x/a", "x/b", "y/a", "y/b"]
    r = Reachability(pods).expect_peer(False, to_ns="x")
    check(pods, [policy("deny-ingress", "x", ingress=[])], 80, protocol, r)


def test_default_deny_ingress_without_ingress_field():
    pods = ["x/a", "x/b", "y/a", "y/b"]
    r = Reachability(pods).expect_peer(False, to_ns="x")
    check(pods, [policy("deny-ingress", "x")], 80, "TCP", r)


def test_default_deny_all():
    pods = ["x/a", "x/b", "y/a"]
    p = policy("deny-all", "x", ingress=[], egress=[], types=["Ingress", "Egress"])
    r = Reachability(pods).expect_peer(False, to_ns="x").expect_peer(False, from_ns="x")
    check(pods, [p], 80, "TCP", r)


def test_without_policy_types_an_empty_egress_list_does_not_isolate_egress():
    # SetDefaults_NetworkPolicy adds Egress only when len(spec.egress) != 0: `egress: []` is no rule.
    pods = ["x/a", "x/b", "y/a"]
    p = policy("deny-all", "x", ingress=[], egress=[])
    r = Reachability(pods).expect_peer(False, to_ns="x")
    check(pods, [p], 80, "TCP", r)


def test_without_policy_types_egress_rules_isolate_egress():
    pods = ["x/a", "x/b", "y/a"]
    p = policy("egress-to-y", "x", ingress=[], egress=[{"to": [{"namespaceSelector": {}}], "ports": [{"port": 81}]}])
    r = Reachability(pods).expect_peer(False, to_ns="x").expect_peer(False, from_ns="x")
    check(pods, [p], 80, "TCP", r)


# --- pod and namespace selectors ----------------------------------------------------------------

def test_allow_from_pods_within_namespace_by_pod_selector():
    pods = ["x/a", "x/b", "x/c", "y/a"]
    p = policy("x-a-allows-x-b", "x", labels(pod="a"), ingress=[{"from": [{"podSelector": labels(pod="b")}]}])
    r = Reachability(pods).expect_all_ingress("x/a", False).expect("x/b", "x/a", True)
    check(pods, [p], 80, "TCP", r)


def test_allow_ingress_for_a_target_over_default_deny():
    pods = ["x/a", "x/b", "y/a"]
    deny = policy("deny-all", "x", ingress=[])
    allow = policy("allow-all-to-a", "x", labels(pod="a"),
                   ingress=[{"from": [{"podSelector": {}, "namespaceSelector": {}}]}])
    r = Reachability(pods).expect_all_ingress("x/a", True).expect_all_ingress("x/b", False)
    check(pods, [deny, allow], 80, "TCP", r)


def test_allow_ingress_from_all_namespaces():
    pods = ["x/a", "x/b", "y/a", "z/a"]
    p = policy("allow-from-another-ns", "x", labels(pod="a"),
               ingress=[{"from": [{"namespaceSelector": {"matchLabels": {}}}]}])
    check(pods, [p], 80, "TCP", Reachability(pods))


@pytest.mark.parametrize("namespace_selector", [
    ns_name("y"),
    {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["y"]}]},
    {"matchLabels": {"ns": "y"}},
])
def test_allow_only_from_other_namespace_by_namespace_selector(namespace_selector):
    pods = ["x/a", "x/b", "y/a", "z/a"]
    p = policy("allow-client-a-via-ns-selector", "x", labels(pod="a"),
               ingress=[{"from": [{"namespaceSelector": namespace_selector}]}])
    r = Reachability(pods).expect_peer(False, from_ns="x", to_ns="x", to_pod="a")
    r.expect_peer(False, from_ns="z", to_ns="x", to_pod="a")
    check(pods, [p], 80, "TCP", r)


def test_pod_selector_with_match_expressions():
    pods = ["x/a", "x/b", "y/a"]
    sel = {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["b"]}]}
    p = policy("x-a-allows-x-b", "x", labels(pod="a"), ingress=[{"from": [{"podSelector": sel}]}])
    r = Reachability(pods).expect_all_ingress("x/a", False).expect("x/b", "x/a", True)
    check(pods, [p], 80, "TCP", r)


NOT_X = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["x"]}]}


def test_pod_selector_or_namespace_selector_in_separate_peers():
    pods = ["x/a", "x/b", "x/c", "y/a"]
    p = policy("allow-ns-y-match-selector", "x", labels(pod="a"),
               ingress=[{"from": [{"namespaceSelector": NOT_X}, {"podSelector": labels(pod="b")}]}])
    r = Reachability(pods).expect("x/a", "x/a", False).expect("x/c", "x/a", False)
    check(pods, [p], 80, "TCP", r)


def test_pod_selector_and_namespace_selector_in_one_peer():
    pods = ["x/a", "x/b", "y/a", "y/b", "z/b"]
    p = policy("allow-ns-y-podselector-and-nsselector", "x", labels(pod="a"),
               ingress=[{"from": [{"namespaceSelector": NOT_X, "podSelector": labels(pod="b")}]}])
    r = Reachability(pods).expect_all_ingress("x/a", False)
    r.expect("y/b", "x/a", True).expect("z/b", "x/a", True)
    check(pods, [p], 80, "TCP", r)


def test_multiple_pod_selectors_and_namespace_selectors():
    pods = ["x/a", "x/b", "y/a", "y/b", "y/c"]
    pod_in = {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["b", "c"]}]}
    p = policy("allow-ns-y-z-pod-b-c", "x", labels(pod="a"),
               ingress=[{"from": [{"namespaceSelector": NOT_X, "podSelector": pod_in}]}])
    r = Reachability(pods).expect_peer(False, from_ns="x", to_ns="x", to_pod="a").expect("y/a", "x/a", False)
    check(pods, [p], 80, "TCP", r)


def test_any_of_several_pod_selectors():
    pods = ["x/a", "x/b", "x/c"]
    p = policy("allow-ns-x-pod-b-c", "x", labels(pod="a"),
               ingress=[{"from": [{"podSelector": labels(pod="b")}, {"podSelector": labels(pod="c")}]}])
    r = Reachability(pods).expect_all_ingress("x/a", False).expect("x/b", "x/a", True).expect("x/c", "x/a", True)
    check(pods, [p], 80, "TCP", r)


@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_only_from_a_pod_in_another_namespace(protocol):
    pods = ["x/a", "x/b", "y/a", "y/b", "z/a"]
    p = policy("allow-ns-y-pod-a", "x", labels(pod="a"),
               ingress=[{"from": [{"namespaceSelector": ns_name("y"), "podSelector": labels(pod="a")}]}])
    r = Reachability(pods).expect_all_ingress("x/a", False).expect("y/a", "x/a", True)
    check(pods, [p], 80, protocol, r)


def test_deny_ingress_from_other_namespaces_with_empty_pod_selector_peer():
    pods = ["x/a", "x/b", "y/a", "z/a"]
    p = policy("deny-empty-policy", "x", ingress=[{"from": [{"podSelector": {"matchLabels": {}}}]}])
    r = Reachability(pods).expect_peer(False, from_ns="y", to_ns="x").expect_peer(False, from_ns="z", to_ns="x")
    check(pods, [p], 80, "TCP", r)


# --- ports, named ports, endPort, protocols -----------------------------------------------------

@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_ports_only_81_from_namespace_y(protocol):
    pods = ["x/a", "x/b", "y/a", "y/b", "z/a"]
    p = policy("allow-81", "x", labels(pod="a"),
               ingress=[{"from": [{"namespaceSelector": ns_name("y")}], "ports": [{"port": 81, "protocol": protocol}]}])
    allow81 = Reachability(pods).expect_peer(False, from_ns="x", to_ns="x", to_pod="a")
    allow81.expect_peer(False, from_ns="z", to_ns="x", to_pod="a")
    check(pods, [p], 81, protocol, allow81)
    check(pods, [p], 80, protocol, Reachability(pods).expect_all_ingress("x/a", False))


def test_stacked_policies_with_overlapping_pod_selectors_union_their_ports():
    pods = ["x/a", "x/b", "y/a", "y/b", "z/a"]
    rule = {"from": [{"namespaceSelector": ns_name("y")}]}
    p81 = policy("allow-81", "x", labels(pod="a"), ingress=[{**rule, "ports": [{"port": 81, "protocol": "TCP"}]}])
    p80 = policy("allow-80", "x", labels(pod="a"), ingress=[{**rule, "ports": [{"port": 80, "protocol": "TCP"}]}])
    allow = Reachability(pods).expect_peer(False, from_ns="x", to_ns="x", to_pod="a")
    allow.expect_peer(False, from_ns="z", to_ns="x", to_pod="a")
    deny = Reachability(pods).expect_all_ingress("x/a", False)
    check(pods, [p81], 81, "TCP", allow)
    check(pods, [p81], 80, "TCP", deny)
    check(pods, [p81, p80], 80, "TCP", allow)  # the update: a second policy unblocks 80


def test_allow_all_policy():
    pods = ["x/a", "x/b", "y/a"]
    p = policy("allow-all", "x", ingress=[{}])
    for port in (80, 81):
        check(pods, [p], port, "TCP", Reachability(pods))


def test_ingress_on_one_named_port():
    pods = ["x/a", "x/b", "y/a"]
    p = policy("allow-all", "x", ingress=[{"ports": [{"port": "serve-81-tcp"}]}])
    check(pods, [p], 81, "TCP", Reachability(pods))
    check(pods, [p], 80, "TCP", Reachability(pods).expect_peer(False, to_ns="x"))


def test_ingress_from_namespace_on_one_named_port():
    pods = ["x/a", "x/b", "y/a", "z/a"]
    p = policy("allow-80", "x", labels(pod="a"), ingress=[{
        "from": [{"namespaceSelector": ns_name("y")}], "ports": [{"port": "serve-80-tcp", "protocol": "TCP"}]}])
    r = Reachability(pods).expect_peer(False, from_ns="x", to_ns="x", to_pod="a")
    r.expect_peer(False, from_ns="z", to_ns="x", to_pod="a")
    check(pods, [p], 80, "TCP", r)
    check(pods, [p], 81, "TCP", Reachability(pods).expect_all_ingress("x/a", False))


def test_egress_on_one_named_port():
    pods = ["x/a", "y/a"]
    p = policy("allow-egress", "x", egress=[{"ports": [{"port": "serve-80-tcp"}]}], types=["Egress"])
    check(pods, [p], 80, "TCP", Reachability(pods))
    check(pods, [p], 81, "TCP", Reachability(pods).expect_peer(False, from_ns="x"))


def test_named_port_with_the_wrong_protocol_matches_nothing():
    pods = ["x/a", "y/a"]
    p = policy("allow-udp-name", "x", ingress=[{"ports": [{"port": "serve-80-tcp", "protocol": "UDP"}]}])
    check(pods, [p], 80, "TCP", Reachability(pods).expect_peer(False, to_ns="x"))
    check(pods, [p], 80, "UDP", Reachability(pods).expect_peer(False, to_ns="x"))


def test_end_port_range_admits_inside_and_denies_outside():
    pods = ["x/a", "y/a"]
    p = policy("allow-range", "x", ingress=[{"ports": [{"port": 79, "endPort": 80, "protocol": "TCP"}]}])
    check(pods, [p], 80, "TCP", Reachability(pods))
    check(pods, [p], 81, "TCP", Reachability(pods).expect_peer(False, to_ns="x"))


def test_ingress_any_port_on_one_protocol():
    pods = ["x/a", "y/a"]
    p = policy("allow-ingress-by-proto", "x", labels(pod="a"), ingress=[{"ports": [{"protocol": "TCP"}]}])
    check(pods, [p], 80, "TCP", Reachability(pods))
    check(pods, [p], 80, "UDP", Reachability(pods).expect_peer(False, to_ns="x", to_pod="a"))


def test_sctp_is_not_mistaken_for_tcp():
    pods = ["x/a", "y/a"]
    deny = policy("deny-ingress", "x", ingress=[])
    sctp = policy("allow-only-sctp-81", "x", labels(pod="a"), ingress=[{"ports": [{"port": 81, "protocol": "SCTP"}]}])
    check(pods, [deny, sctp], 81, "TCP", Reachability(pods).expect_peer(False, to_ns="x"))


def test_a_policy_allowing_sctp_still_isolates_for_tcp():
    pods = ["x/a", "y/a"]
    sctp = policy("allow-only-sctp-80", "x", labels(pod="a"), ingress=[{"ports": [{"port": 80, "protocol": "SCTP"}]}])
    check(pods, [sctp], 81, "TCP", Reachability(pods).expect_all_ingress("x/a", False))


def test_udp_only_policy_does_not_allow_tcp():
    pods = ["x/a", "y/a"]
    udp = policy("allow-only-udp-81", "x", labels(pod="a"), ingress=[{"ports": [{"port": 81, "protocol": "UDP"}]}])
    check(pods, [udp], 81, "TCP", Reachability(pods).expect_all_ingress("x/a", False))
    check(pods, [udp], 81, "UDP", Reachability(pods))


# --- updates, deletions, precedence -------------------------------------------------------------

def test_updated_policy_from_allow_all_to_deny_all():
    pods = ["x/a", "y/a"]
    before = policy("allow-all-mutate-to-deny-all", "x", ingress=[{}])
    after = policy("allow-all-mutate-to-deny-all", "x", ingress=[])
    check(pods, [before], 81, "TCP", Reachability(pods))
    check(pods, [after], 81, "TCP", Reachability(pods).expect_peer(False, to_ns="x"))


def test_ingress_from_updated_namespace_labels():
    pods = ["x/a", "y/a"]
    p = policy("allow-client-a-via-ns-selector", "x", labels(pod="a"),
               ingress=[{"from": [{"namespaceSelector": labels(ns2="updated")}]}])
    check(pods, [p], 80, "TCP", Reachability(pods).expect_all_ingress("x/a", False))
    relabelled = world(pods, [p], namespace_labels={"y": {"ns2": "updated"}})
    r = Reachability(pods).expect_all_ingress("x/a", False).expect_peer(True, from_ns="y")
    assert allowed_pairs(relabelled, 80) == r.allowed()


def test_ingress_from_updated_pod_labels():
    pods = ["x/a", "x/b"]
    p = policy("allow-client-a-via-pod-selector", "x", labels(pod="a"),
               ingress=[{"from": [{"podSelector": labels(pod="b", pod2="updated")}]}])
    check(pods, [p], 80, "TCP", Reachability(pods).expect_all_ingress("x/a", False))
    relabelled = world(pods, [p], pod_labels={"x/b": {"pod": "b", "pod2": "updated"}})
    r = Reachability(pods).expect_all_ingress("x/a", False).expect("x/b", "x/a", True)
    assert allowed_pairs(relabelled, 80) == r.allowed()


def test_deny_ingress_to_updated_pod():
    pods = ["x/a", "y/a"]
    p = policy("deny-ingress-via-label-selector", "x", labels(target="isolated"), ingress=[])
    check(pods, [p], 80, "TCP", Reachability(pods))
    relabelled = world(pods, [p], pod_labels={"x/a": {"pod": "a", "target": "isolated"}})
    assert allowed_pairs(relabelled, 80) == Reachability(pods).expect_all_ingress("x/a", False).allowed()


def test_multiple_ingress_policies_allow_all_takes_precedence():
    pods = ["x/a", "y/a"]
    only80 = policy("allow-ingress-port-80", "x", ingress=[{"ports": [{"port": 80}]}])
    allow_all = policy("allow-ingress", "x", ingress=[{}])
    check(pods, [only80], 81, "TCP", Reachability(pods).expect_peer(False, to_ns="x"))
    check(pods, [only80, allow_all], 81, "TCP", Reachability(pods))


def test_multiple_egress_policies_allow_all_takes_precedence():
    pods = ["x/a", "y/a"]
    only80 = policy("allow-egress-port-80", "x", egress=[{"ports": [{"port": 80}]}], types=["Egress"])
    allow_all = policy("allow-egress", "x", egress=[{}], types=["Egress"])
    check(pods, [only80], 81, "TCP", Reachability(pods).expect_peer(False, from_ns="x"))
    check(pods, [only80, allow_all], 81, "TCP", Reachability(pods))


def test_policies_stop_applying_once_deleted():
    pods = ["x/a", "y/a"]
    deny = policy("deny-all", "x", ingress=[], egress=[], types=["Ingress", "Egress"])
    check(pods, [deny], 80, "TCP", Reachability(pods).expect_peer(False, from_ns="x").expect_peer(False, to_ns="x"))
    check(pods, [], 80, "TCP", Reachability(pods))


# --- egress ---------------------------------------------------------------------------------------

def test_deny_egress_from_pods_by_pod_selector():
    pods = ["x/a", "x/b", "y/a"]
    p = policy("deny-egress-pod-a", "x", labels(pod="a"), egress=[], types=["Egress"])
    check(pods, [p], 80, "TCP", Reachability(pods).expect_all_egress("x/a", False))


def test_deny_egress_from_all_pods_in_a_namespace():
    pods = ["x/a", "x/b", "y/a"]
    p = policy("deny-egress-ns-x", "x", egress=[], types=["Egress"])
    check(pods, [p], 80, "TCP", Reachability(pods).expect_peer(False, from_ns="x"))


def test_ingress_and_egress_together():
    pods = ["x/a", "x/b", "x/c", "y/a"]
    p = policy("allow-client-a-via-pod-selector", "x", labels(pod="a"),
               ingress=[{"from": [{"podSelector": labels(pod="b")}]}],
               egress=[{"ports": [{"port": 80}]}], types=["Egress", "Ingress"])
    r80 = Reachability(pods).expect_all_ingress("x/a", False).expect("x/b", "x/a", True)
    check(pods, [p], 80, "TCP", r80)
    r81 = Reachability(pods).expect_all_ingress("x/a", False).expect_all_egress("x/a", False)
    r81.expect("x/b", "x/a", True)
    check(pods, [p], 81, "TCP", r81)


def test_egress_denied_on_the_client_even_if_the_server_allows():
    pods = ["x/a", "y/a", "y/b"]
    egress = policy("allow-to-ns-y-pod-a", "x", labels(pod="a"), types=["Egress"],
                    egress=[{"to": [{"namespaceSelector": ns_name("y"), "podSelector": labels(pod="a")}]}])
    from_xa = [{"from": [{"namespaceSelector": ns_name("x"), "podSelector": labels(pod="a")}]}]
    in_a = policy("allow-from-xa-on-ya", "y", labels(pod="a"), ingress=from_xa)
    in_b = policy("allow-from-xa-on-yb", "y", labels(pod="b"), ingress=from_xa)
    r = Reachability(pods).expect_peer(False, from_ns="x", from_pod="a")
    r.expect_peer(False, to_ns="y", to_pod="a").expect_peer(True, from_ns="x", from_pod="a", to_ns="y", to_pod="a")
    r.expect_peer(False, to_ns="y", to_pod="b")
    check(pods, [egress, in_a, in_b], 80, "TCP", r)


def test_egress_to_a_server_in_another_namespace_by_pod_and_namespace_selector():
    pods = ["x/a", "y/a", "y/b"]
    p = policy("allow-to-ns-y-pod-a", "x", labels(pod="a"), types=["Egress"],
               egress=[{"to": [{"namespaceSelector": ns_name("y"), "podSelector": labels(pod="a")}]}])
    r = Reachability(pods).expect_all_egress("x/a", False).expect("x/a", "y/a", True)
    check(pods, [p], 80, "TCP", r)


def test_egress_namespace_selector_not_in():
    pods = ["x/a", "x/b", "y/a", "z/a"]
    not_y = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["y"]}]}
    p = policy("allow-ns-not-y", "x", labels(pod="a"), egress=[{"to": [{"namespaceSelector": not_y}]}],
               types=["Egress"])
    check(pods, [p], 80, "TCP", Reachability(pods).expect_peer(False, from_ns="x", from_pod="a", to_ns="y"))


def test_ingress_and_egress_are_controlled_independently():
    pods = ["x/a", "x/b", "y/a"]
    allow_egress = policy("allow-egress-for-target", "x", labels(pod="a"), egress=[{}], types=["Egress"])
    deny_ingress = policy("deny-ingress-via-label-selector", "x", labels(pod="a"), ingress=[])
    check(pods, [allow_egress], 80, "TCP", Reachability(pods))
    check(pods, [allow_egress, deny_ingress], 80, "TCP", Reachability(pods).expect_all_ingress("x/a", False))


# --- ipBlock ----------------------------------------------------------------------------------------

def test_egress_to_a_server_in_a_cidr_block():
    pods = ["x/a", "y/a", "y/b"]
    p = policy("allow-client-a-via-cidr-egress-rule", "x", labels(pod="a"), types=["Egress"],
               egress=[{"to": [{"ipBlock": {"cidr": f"{pod_ip('y/b')}/32"}}]}])
    r = Reachability(pods).expect_all_egress("x/a", False).expect("x/a", "y/b", True)
    check(pods, [p], 80, "TCP", r)


def test_except_clause_in_a_cidr_block():
    pods = ["x/a", "x/b", "x/c"]
    p = policy("allow-client-a-via-cidr-egress-rule", "x", labels(pod="a"), types=["Egress"],
               egress=[{"to": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": [f"{pod_ip('x/b')}/32"]}}]}])
    check(pods, [p], 80, "TCP", Reachability(pods).expect("x/a", "x/b", False))


def test_ip_in_both_cidr_and_except_is_allowed_by_a_second_policy():
    pods = ["x/a", "x/b", "x/c"]
    first = policy("allow-cidr-except-b", "x", labels(pod="a"), types=["Egress"],
                   egress=[{"to": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": [f"{pod_ip('x/b')}/32"]}}]}])
    check(pods, [first], 80, "TCP", Reachability(pods).expect("x/a", "x/b", False))
    # upstream replaces the policy (same name) by one allowing x/b's IP only
    replaced = policy("allow-cidr-except-b", "x", labels(pod="a"), types=["Egress"],
                      egress=[{"to": [{"ipBlock": {"cidr": f"{pod_ip('x/b')}/32"}}]}])
    r = Reachability(pods).expect_all_egress("x/a", False).expect("x/a", "x/b", True)
    check(pods, [replaced], 80, "TCP", r)
    # and both together: the second admits what the first's except removed
    other = {**replaced, "metadata": {"name": "allow-b", "namespace": "x"}}
    check(pods, [first, other], 80, "TCP", Reachability(pods))

