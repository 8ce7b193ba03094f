"""CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy L3/L4 semantics (Cilium 1.19), per pair and
in the whole matrix, over the upstream e2e world (namespaces x, y, z; pods a, b, c; pod IPs 10.0.n.m)."""

from __future__ import annotations

import pytest

from netguard.errors import NetguardInputError
from netpol_world import allowed_pairs, labels, policy, world

PODS = ["x/a", "x/b", "y/a", "y/b"]
EXTERNALS = ["93.184.216.34", "2001:db8::1", "models.example.com", "api.other.io"]


def cnp(name, ns, selector=None, **spec):
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"endpointSelector": selector if selector is not None else {}, **spec}}


def ccnp(name, selector=None, **spec):
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
            "metadata": {"name": name},
            "spec": {"endpointSelector": selector if selector is not None else {}, **spec}}


def check(policies, port=80, protocol="TCP"):
    """The matrix's pairs; asserts that every per-pair answer agrees with it."""
    analyzer = world(PODS, policies, externals=EXTERNALS)
    pairs = allowed_pairs(analyzer, port, protocol)
    ids = [e.id for e in analyzer.cluster.endpoints]
    for s in ids:
        for d in ids:
            if s != d:
                assert analyzer.allowed(s, d, port, protocol) == ((s, d) in pairs), (s, d)
    return pairs


def test_an_ingress_section_puts_the_selected_endpoints_in_default_deny():
    pairs = check([cnp("only-x-b", "x", labels(pod="a"), ingress=[{"fromEndpoints": [labels(pod="b")]}])])
    assert ("x/b", "x/a") in pairs
    assert ("y/b", "x/a") not in pairs  # fromEndpoints is confined to the policy's namespace
    assert ("x/a", "y/a") in pairs  # egress is untouched


def test_the_empty_rule_idiom_denies_everything_in_that_direction():
    pairs = check([cnp("deny-in", "x", ingress=[{}])])
    assert not {p for p in pairs if p[1].startswith("x/")}
    assert ("x/a", "y/a") in pairs


def test_from_endpoints_reaches_other_namespaces_by_the_namespace_label():
    rule = {"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "y", "pod": "b"}}]}
    pairs = check([cnp("from-y", "x", labels(pod="a"), ingress=[rule])])
    assert ("y/b", "x/a") in pairs and ("x/b", "x/a") not in pairs and ("y/a", "x/a") not in pairs


def test_namespace_labels_are_selectable_by_their_cilium_prefix():
    rule = {"fromEndpoints": [{"matchLabels": {"io.cilium.k8s.namespace.labels.ns": "y",
                                               "io.kubernetes.pod.namespace": "y"}}]}
    pairs = check([cnp("from-ns-y", "x", ingress=[rule])])
    assert {("y/a", "x/a"), ("y/b", "x/b")} <= pairs and ("x/b", "x/a") not in pairs


def test_a_clusterwide_policy_selects_in_every_namespace_and_its_peers_too():
    pairs = check([ccnp("b-only", labels(pod="a"), ingress=[{"fromEndpoints": [labels(pod="b")]}])])
    assert {("x/b", "x/a"), ("y/b", "x/a"), ("x/b", "y/a")} <= pairs
    assert ("y/a", "x/a") not in pairs


def test_allows_unite_across_network_policies_and_cilium_policies():
    np = policy("np-from-y-a", "x", labels(pod="a"), ingress=[{"from": [
        {"namespaceSelector": {"matchLabels": {"ns": "y"}}, "podSelector": labels(pod="a")}]}])
    cilium = cnp("from-x-b", "x", labels(pod="a"), ingress=[{"fromEndpoints": [labels(pod="b")]}])
    pairs = check([np, cilium])
    assert {("y/a", "x/a"), ("x/b", "x/a")} <= pairs and ("y/b", "x/a") not in pairs


def test_an_explicit_deny_wins_over_any_allow():
    allow_all = policy("allow-all", "x", ingress=[{}])
    deny = cnp("deny-y", "x", ingressDeny=[{"fromEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": "y"}}]}])
    pairs = check([allow_all, deny])
    assert ("y/a", "x/a") not in pairs and ("y/b", "x/b") not in pairs
    assert ("x/b", "x/a") in pairs  # allow-all still opens x to its own pods
    pairs = check([deny, cnp("allow-x", "x", ingress=[{"fromEndpoints": [{}]}])])
    assert ("x/b", "x/a") in pairs and ("y/a", "x/a") not in pairs


def test_enable_default_deny_false_adds_allows_without_isolating():
    additive = cnp("additive", "x", labels(pod="a"), enableDefaultDeny={"ingress": False},
                   ingress=[{"fromEndpoints": [labels(pod="b")]}])
    assert ("y/a", "x/a") in check([additive])  # not isolated by it
    isolating = policy("only-from-y-b", "x", labels(pod="a"), ingress=[{"from": [
        {"namespaceSelector": {"matchLabels": {"ns": "y"}}, "podSelector": labels(pod="b")}]}])
    pairs = check([additive, isolating])
    assert {("x/b", "x/a"), ("y/b", "x/a")} <= pairs and ("y/a", "x/a") not in pairs


def test_a_deny_without_default_deny_only_takes_away():
    deny = cnp("deny-b", "x", enableDefaultDeny={"ingress": False}, ingressDeny=[{"fromEndpoints": [labels(pod="b")]}])
    pairs = check([deny])
    assert ("x/b", "x/a") not in pairs and ("y/a", "x/a") in pairs


def test_to_ports_restrict_and_alone_admit_every_peer_on_them():
    p = cnp("web", "x", egress=[{"toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]}])
    assert ("x/a", "y/a") in check([p], 80) and ("x/a", "external/93.184.216.34") in check([p], 80)
    assert ("x/a", "y/a") not in check([p], 81)
    assert ("x/a", "y/a") not in check([p], 80, "UDP")


def test_protocol_any_end_port_and_named_ports():
    p = cnp("range", "x", ingress=[{"toPorts": [{"ports": [{"port": "80", "endPort": 81}]}]}])
    assert ("y/a", "x/a") in check([p], 81, "UDP")
    named = cnp("named", "x", ingress=[{"fromEndpoints": [{}], "toPorts": [{"ports": [{"port": "serve-81-udp", "protocol": "UDP"}]}]}])
    assert ("x/b", "x/a") in check([named], 81, "UDP") and ("x/b", "x/a") not in check([named], 80, "UDP")


def test_cidr_rules_match_outside_addresses_only_never_pods():
    p = cnp("to-nets", "x", egress=[{"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["93.184.216.0/24"]}]},
                                     {"toCIDR": ["10.0.2.1/32"]}])
    pairs = check([p])
    assert ("x/a", "y/a") not in pairs  # 10.0.2.1 is y/a's pod IP: a CIDR does not select pods
    assert ("x/a", "external/93.184.216.34") not in pairs
    assert ("x/a", "external/2001:db8::1") not in pairs


@pytest.mark.parametrize("entity, reach", [
    ("world", {"external/93.184.216.34", "external/2001:db8::1", "external/models.example.com", "external/api.other.io"}),
    ("world-ipv4", {"external/93.184.216.34", "external/models.example.com", "external/api.other.io"}),
    ("cluster", {"x/b", "y/a", "y/b"}),
    ("all", {"x/b", "y/a", "y/b", "external/93.184.216.34", "external/2001:db8::1", "external/models.example.com",
             "external/api.other.io"}),
    ("host", set()),
    ("kube-apiserver", set()),
])
def test_to_entities(entity, reach):
    pairs = check([cnp("e", "x", labels(pod="a"), egress=[{"toEntities": [entity]}])])
    assert {d for s, d in pairs if s == "x/a"} == reach


def test_to_fqdns_match_names_with_cilium_wildcards_and_never_addresses():
    p = cnp("fqdn", "x", labels(pod="a"), egress=[{"toFQDNs": [{"matchPattern": "*.example.com"}],
                                                   "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}])
    pairs = check([p], 443)
    assert {d for s, d in pairs if s == "x/a"} == {"external/models.example.com"}


def test_a_deny_of_world_ipv4_alone_leaves_a_name_reachable():
    allow = cnp("allow", "x", labels(pod="a"), egress=[{"toEntities": ["world"]}])
    deny4 = cnp("deny4", "x", labels(pod="a"), egressDeny=[{"toEntities": ["world-ipv4"]}])
    pairs = check([allow, deny4])
    assert ("x/a", "external/models.example.com") in pairs and ("x/a", "external/93.184.216.34") not in pairs
    deny_all = cnp("deny", "x", labels(pod="a"), egressDeny=[{"toCIDR": ["0.0.0.0/0", "::/0"]}])
    assert ("x/a", "external/models.example.com") not in check([allow, deny_all])


def test_l7_rules_count_for_their_l3_l4_part_and_explain_says_so():
    p = cnp("http", "x", labels(pod="a"), ingress=[{"fromEndpoints": [{}], "toPorts": [
        {"ports": [{"port": "80", "protocol": "TCP"}], "rules": {"http": [{"method": "GET"}]}}]}])
    analyzer = world(PODS, [p], externals=EXTERNALS)
    assert analyzer.allowed("x/b", "x/a", 80, "TCP") and not analyzer.allowed("x/b", "x/a", 81, "TCP")
    assert "L7 rules not modelled" in analyzer.explain("x/b", "x/a", 80, "TCP").to_text()


def test_explain_names_the_deny_rule():
    deny = cnp("deny-b", "x", labels(pod="a"), ingressDeny=[{"fromEndpoints": [labels(pod="b")]}])
    text = world(PODS, [policy("all", "x", ingress=[{}]), deny]).explain("x/b", "x/a", 80, "TCP").to_text()
    assert "Cilium policy x/deny-b selects x/a; deny rule 1 denies x/b" in text


def test_specs_each_count_and_host_policies_select_no_pod():
    manifest = cnp("two", "x", None)
    del manifest["spec"]
    manifest["specs"] = [{"endpointSelector": labels(pod="a"), "ingress": [{}]},
                         {"nodeSelector": {}, "ingress": [{}]}]
    pairs = check([manifest])
    assert ("x/b", "x/a") not in pairs and ("x/a", "x/b") in pairs


def test_cilium_policies_in_tiers_between_admin_and_baseline():
    admin = {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
             "metadata": {"name": "admit-b"},
             "spec": {"tier": "Admin", "priority": 5, "subject": {"namespaces": {}},
                      "ingress": [{"action": "Accept", "from": [{"pods": {"namespaceSelector": {},
                                                                          "podSelector": labels(pod="b")}}]}]}}
    deny = cnp("deny-in", "x", ingress=[{}])
    pairs = check([admin, deny])
    assert ("x/b", "x/a") in pairs and ("y/a", "x/a") not in pairs


@pytest.mark.parametrize("spec, field", [
    ({"endpointSelector": {}, "egress": [{"toServices": [{}]}]}, "spec.egress[0].toServices"),
    ({"endpointSelector": {}, "egress": [{"toEndpoint": [{}]}]}, "spec.egress[0].toEndpoint"),
    ({"endpointSelector": {}, "egress": [{"toEntities": ["internet"]}]}, "spec.egress[0].toEntities[0]"),
    ({"endpointSelector": {}, "egressDeny": [{"toFQDNs": [{"matchName": "a.io"}]}]}, "spec.egressDeny[0].toFQDNs"),
    ({"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchPattern": "a/b"}]}]}, "spec.egress[0].toFQDNs[0].matchPattern"),
    ({"endpointSelector": {}, "egress": [{"toPorts": [{"ports": [{"port": "99999"}]}]}]}, "spec.egress[0].toPorts[0].ports[0].port"),
    ({"endpointSelector": {}, "enableDefaultDeny": {"ingress": "yes"}}, "spec.enableDefaultDeny.ingress"),
    ({"ingress": [{}]}, "spec.endpointSelector"),
])
def test_bad_or_unmodelled_fields_are_one_line_errors_naming_the_field(spec, field):
    manifest = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                "metadata": {"name": "bad", "namespace": "x"}, "spec": spec}
    with pytest.raises(NetguardInputError) as caught:
        world(PODS, [manifest])
    assert caught.value.field == field and "\n" not in str(caught.value)

