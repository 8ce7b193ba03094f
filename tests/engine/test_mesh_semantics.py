"""Truth tables of Istio's documented semantics, written from the AuthorizationPolicy and
PeerAuthentication reference (istio/api security/v1) and Istio's documented TCP behaviour.

World: namespace `foo` (sidecar-injected) with `httpbin` (account httpbin) and `finance`;
`default` (injected) with `sleep` (account sleep) and `other` (account other); `test` (injected)
with `tester`; `dev` (injected) with `developer`; `plain` (no mesh) with `legacy`.
"""

from __future__ import annotations

import pytest

from mesh_world import AMBIENT_NS, SIDECAR_NS, analyzer, authz, namespace, peer_auth, pod

BASE = [
    namespace("foo", SIDECAR_NS), namespace("default", SIDECAR_NS), namespace("test", SIDECAR_NS),
    namespace("dev", SIDECAR_NS), namespace("plain"),
    pod("foo", "httpbin", "httpbin", ports=(8080, 9090)), pod("foo", "finance", "finance", ports=(8080,)),
    pod("default", "sleep", "sleep", ip="10.1.0.5"), pod("default", "other", "other", ip="10.2.0.5"),
    pod("test", "tester"), pod("dev", "developer"), pod("plain", "legacy", ip="203.0.113.4"),
]
SOURCES = ["default/sleep", "default/other", "test/tester", "dev/developer", "plain/legacy"]


def admitted(objects, dst="foo/httpbin", port=8080, sources=SOURCES, externals=()):
    a = analyzer(*BASE, *objects, externals=externals)
    return {s for s in sources if a.allowed(s, dst, port, "TCP")}


def test_no_policy_admits_everyone_meshed_or_not():
    assert admitted([]) == set(SOURCES)


def test_allow_nothing_denies_every_workload_of_the_namespace():
    policy = authz("foo", "allow-nothing", {})
    assert admitted([policy]) == set()
    assert admitted([policy], dst="foo/finance") == set()


def test_allow_all_admits_everyone():
    assert admitted([authz("foo", "allow-all", {"rules": [{}]})]) == set(SOURCES)


def test_deny_all_denies_everyone_and_wins_over_allow_all():
    deny = authz("foo", "deny-all", {"action": "DENY", "rules": [{}]})
    assert admitted([deny, authz("foo", "allow-all", {"rules": [{}]})]) == set()


def test_allow_nothing_with_a_selector_denies_only_the_selected_workload():
    policy = authz("foo", "allow-nothing", {"selector": {"matchLabels": {"app": "httpbin"}}})
    assert admitted([policy]) == set()
    assert admitted([policy], dst="foo/finance") == set(SOURCES)


def test_root_namespace_policy_applies_to_workloads_of_every_namespace():
    policy = authz("istio-system", "allow-nothing", {"selector": {"matchLabels": {"app": "finance"}}})
    assert admitted([policy], dst="foo/finance") == set()
    assert admitted([policy]) == set(SOURCES)


def test_the_documented_example_admits_the_principal_or_the_namespace_and_nobody_else():
    # The reference's first example without its L7 parts: principal sleep or namespace test.
    policy = authz("foo", "httpbin", {"action": "ALLOW", "rules": [{"from": [
        {"source": {"principals": ["cluster.local/ns/default/sa/sleep"]}},
        {"source": {"namespaces": ["test"]}}]}]})
    assert admitted([policy]) == {"default/sleep", "test/tester"}


def test_an_allow_rule_with_http_fields_admits_no_connection():
    # Istio drops an ALLOW rule with methods/paths for TCP traffic: it admits less, never more.
    policy = authz("foo", "httpbin", {"rules": [{"from": [{"source": {"namespaces": ["test"]}}],
                                                 "to": [{"operation": {"methods": ["GET"], "paths": ["/info*"]}}]}]})
    assert admitted([policy]) == set()
    a = analyzer(*BASE, policy)
    assert "read as admitting no connection" in a.explain("test/tester", "foo/httpbin", 8080, "TCP").to_text()


def test_a_deny_rule_with_http_fields_denies_the_whole_connection():
    # The reference: "For a DENY rule, missing attributes are treated as matches".
    policy = authz("foo", "httpbin", {"action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["dev"]}}],
                                                                   "to": [{"operation": {"methods": ["POST"]}}]}]})
    assert admitted([policy]) == set(SOURCES) - {"dev/developer"}


def test_a_deny_on_post_and_a_port_denies_all_tcp_traffic_on_that_port_only():
    policy = authz("foo", "httpbin", {"action": "DENY", "rules": [{"to": [{"operation": {
        "methods": ["POST"], "ports": ["8080"]}}]}]})
    assert admitted([policy], port=8080) == set()
    assert admitted([policy], port=9090) == set(SOURCES)


def test_ports_are_the_workloads_container_ports():
    policy = authz("foo", "httpbin", {"rules": [{"to": [{"operation": {"ports": ["9090"]}}]}]})
    assert admitted([policy], port=8080) == set()
    assert admitted([policy], port=9090) == set(SOURCES)


def test_not_ports_admits_every_other_port():
    policy = authz("foo", "httpbin", {"rules": [{"to": [{"operation": {"notPorts": ["8080"]}}]}]})
    assert admitted([policy], port=8080) == set() and admitted([policy], port=9090) == set(SOURCES)


def test_not_principals_match_plaintext_sources_too():
    # Identity fields need mTLS: a plaintext peer has no principal, so a not* field matches it.
    policy = authz("foo", "httpbin", {"rules": [{"from": [{"source": {
        "notPrincipals": ["cluster.local/ns/default/sa/sleep"]}}]}]})
    assert admitted([policy]) == set(SOURCES) - {"default/sleep"}


def test_not_namespaces_match_plaintext_sources_too():
    policy = authz("foo", "httpbin", {"rules": [{"from": [{"source": {"notNamespaces": ["default"]}}]}]})
    assert admitted([policy]) == {"test/tester", "dev/developer", "plain/legacy"}


def test_principal_fields_never_match_plaintext():
    policy = authz("foo", "httpbin", {"rules": [{"from": [{"source": {"principals": ["*"]}}]}]})
    assert admitted([policy]) == set(SOURCES) - {"plain/legacy"}


@pytest.mark.parametrize("pattern, expected", [
    ("cluster.local/ns/default/*", {"default/sleep", "default/other"}),
    ("*/sa/other", {"default/other"}),
    ("*", {"default/sleep", "default/other", "test/tester", "dev/developer"}),
    ("cluster.local/ns/default/sa/sleep", {"default/sleep"}),
    ("spiffe://cluster.local/ns/default/sa/sleep", set()),  # Istio principals are written without spiffe://
    ("cluster.local/ns/*/sa/sleep", set()),  # a * in the middle is a literal character
])
def test_principal_patterns_are_exact_prefix_suffix_or_presence(pattern, expected):
    policy = authz("foo", "httpbin", {"rules": [{"from": [{"source": {"principals": [pattern]}}]}]})
    assert admitted([policy]) == expected


@pytest.mark.parametrize("pattern, expected", [
    ("te*", {"test/tester"}), ("*ev", {"dev/developer"}), ("*", set(SOURCES) - {"plain/legacy"}),
])
def test_namespace_patterns(pattern, expected):
    policy = authz("foo", "httpbin", {"rules": [{"from": [{"source": {"namespaces": [pattern]}}]}]})
    assert admitted([policy]) == expected


def test_principals_resolve_to_pods_by_service_account_default_when_unset():
    policy = authz("foo", "httpbin", {"rules": [{"from": [{"source": {
        "principals": ["cluster.local/ns/test/sa/default"]}}]}]})
    assert admitted([policy]) == {"test/tester"}


def test_service_accounts_field_with_and_without_namespace():
    policy = authz("foo", "httpbin", {"rules": [{"from": [{"source": {"serviceAccounts": ["default/sleep"]}}]}]})
    assert admitted([policy]) == {"default/sleep"}
    own = authz("foo", "finance", {"selector": {"matchLabels": {"app": "finance"}},
                                   "rules": [{"from": [{"source": {"serviceAccounts": ["httpbin"]}}]}]})
    assert admitted([own], dst="foo/finance", sources=["foo/httpbin", "default/sleep"]) == {"foo/httpbin"}


def test_source_fields_are_anded_and_entries_ored():
    policy = authz("foo", "httpbin", {"rules": [{"from": [{"source": {
        "namespaces": ["default"], "notPrincipals": ["cluster.local/ns/default/sa/sleep"]}}]}]})
    assert admitted([policy]) == {"default/other"}


def test_ip_blocks_match_the_source_address_and_not_ip_blocks_the_rest():
    allow = authz("foo", "httpbin", {"rules": [{"from": [{"source": {"ipBlocks": ["10.1.0.0/16", "203.0.113.4"]}}]}]})
    assert admitted([allow], externals=("8.8.8.8",), sources=SOURCES + ["external/8.8.8.8"]) == {
        "default/sleep", "plain/legacy"}
    deny = authz("foo", "httpbin", {"action": "DENY", "rules": [{"from": [{"source": {"notIpBlocks": ["10.0.0.0/8"]}}]}]})
    # a pod without a known address may be anywhere: a DENY on addresses covers it (fail-closed)
    assert admitted([deny]) == {"default/sleep", "default/other"}


def test_an_ip_allow_never_admits_a_pod_of_unknown_address():
    allow = authz("foo", "httpbin", {"rules": [{"from": [{"source": {"notIpBlocks": ["192.0.2.0/24"]}}]}]})
    assert admitted([allow]) == {"default/sleep", "default/other", "plain/legacy"}


def test_when_conditions_on_l4_keys_are_modelled():
    policy = authz("foo", "httpbin", {"rules": [{"when": [
        {"key": "source.namespace", "values": ["default"]},
        {"key": "source.principal", "notValues": ["cluster.local/ns/default/sa/other"]},
        {"key": "destination.port", "values": ["8080"]}]}]})
    assert admitted([policy]) == {"default/sleep"}
    assert admitted([policy], port=9090) == set()


def test_when_on_a_request_header_makes_an_allow_admit_nothing_and_a_deny_deny_all():
    when = [{"key": "request.headers[x-user]", "values": ["alice"]}]
    assert admitted([authz("foo", "a", {"rules": [{"when": when}]})]) == set()
    assert admitted([authz("foo", "d", {"action": "DENY", "rules": [{"when": when}]})]) == set()


def test_custom_fails_closed_where_its_rules_match():
    policy = authz("foo", "ext", {"action": "CUSTOM", "provider": {"name": "opa"},
                                  "rules": [{"to": [{"operation": {"paths": ["/admin/*"], "ports": ["9090"]}}]}]})
    assert admitted([policy], port=9090) == set()
    assert admitted([policy], port=8080) == set(SOURCES)
    a = analyzer(*BASE, policy)
    assert "fails closed" in a.explain("default/sleep", "foo/httpbin", 9090, "TCP").to_text()


def test_audit_and_dry_run_policies_decide_nothing_and_are_said_to_be_not_modelled():
    audit = authz("foo", "audit", {"action": "AUDIT", "rules": [{}]})
    dry = authz("foo", "dry", {"action": "DENY", "rules": [{}]}, annotations={"istio.io/dry-run": "true"})
    assert admitted([audit, dry]) == set(SOURCES)
    text = analyzer(*BASE, audit, dry).explain("default/sleep", "foo/httpbin", 8080, "TCP").to_text()
    assert "foo/audit (AUDIT)" in text and "foo/dry is a dry run" in text


def test_strict_mtls_rejects_plaintext_from_outside_the_mesh():
    strict = peer_auth("foo", "default", {"mtls": {"mode": "STRICT"}})
    assert admitted([strict]) == set(SOURCES) - {"plain/legacy"}
    text = analyzer(*BASE, strict).explain("plain/legacy", "foo/httpbin", 8080, "TCP").to_text()
    assert "PeerAuthentication foo/default requires mutual TLS" in text and "plaintext" in text


def test_mesh_wide_strict_in_the_root_namespace_and_a_workload_override():
    mesh = peer_auth("istio-system", "default", {"mtls": {"mode": "STRICT"}})
    finance = peer_auth("foo", "finance", {"selector": {"matchLabels": {"app": "finance"}},
                                           "mtls": {"mode": "PERMISSIVE"}})
    assert admitted([mesh, finance]) == set(SOURCES) - {"plain/legacy"}
    assert admitted([mesh, finance], dst="foo/finance") == set(SOURCES)


def test_port_level_disable_leaves_that_port_plaintext_so_principals_no_longer_match():
    pa = peer_auth("foo", "httpbin", {"selector": {"matchLabels": {"app": "httpbin"}}, "mtls": {"mode": "STRICT"},
                                      "portLevelMtls": {"9090": {"mode": "DISABLE"}}})
    allow = authz("foo", "httpbin", {"rules": [{"from": [{"source": {"principals": ["*"]}}]}]})
    assert admitted([pa], port=9090) == set(SOURCES)
    assert admitted([pa], port=8080) == set(SOURCES) - {"plain/legacy"}
    assert admitted([pa, allow], port=9090) == set()
    a = analyzer(*BASE, pa)
    assert not a.mesh_verdict("default/sleep", "foo/httpbin", 9090, "TCP").encrypted
    assert a.mesh_verdict("default/sleep", "foo/httpbin", 8080, "TCP").encrypted


def test_port_level_unset_inherits_the_namespace_mode():
    ns = peer_auth("foo", "default", {"mtls": {"mode": "STRICT"}})
    pa = peer_auth("foo", "httpbin", {"selector": {"matchLabels": {"app": "httpbin"}},
                                      "portLevelMtls": {"8080": {"mode": "UNSET"}}})
    assert admitted([ns, pa]) == set(SOURCES) - {"plain/legacy"}


def test_a_destination_outside_the_mesh_is_plaintext_and_unrestricted_by_mesh_policies():
    a = analyzer(*BASE, pod("plain", "target"), authz("plain", "allow-nothing", {}))
    verdict = a.mesh_verdict("default/sleep", "plain/target", 8080, "TCP")
    assert verdict.allowed and not verdict.applies and not verdict.encrypted
    assert "not in the mesh" in a.explain("default/sleep", "plain/target", 8080, "TCP").to_text()


def test_udp_is_not_carried_by_the_mesh():
    a = analyzer(*BASE, authz("foo", "allow-nothing", {}))
    assert a.allowed("default/sleep", "foo/httpbin", 8080, "UDP")
    assert not a.allowed("default/sleep", "foo/httpbin", 8080, "TCP")


@pytest.mark.parametrize("ns_labels, pod_labels, expected", [
    ({"istio-injection": "enabled"}, {}, "sidecar"),
    ({"istio-injection": "enabled"}, {"sidecar.istio.io/inject": "false"}, None),
    ({}, {"sidecar.istio.io/inject": "true"}, "sidecar"),
    ({"istio-injection": "disabled"}, {"sidecar.istio.io/inject": "true"}, None),
    ({"istio.io/rev": "canary"}, {}, "sidecar"),
    ({"istio.io/dataplane-mode": "ambient"}, {}, "ambient"),
    ({"istio.io/dataplane-mode": "ambient"}, {"istio.io/dataplane-mode": "none"}, None),
    ({}, {"istio.io/dataplane-mode": "ambient"}, "ambient"),
    ({"istio.io/dataplane-mode": "ambient"}, {"sidecar.istio.io/inject": "true"}, "sidecar"),
    ({}, {}, None),
])
def test_who_is_in_the_mesh(ns_labels, pod_labels, expected):
    a = analyzer(namespace("n", ns_labels), pod("n", "p", labels={"app": "p", **pod_labels}))
    assert a.mesh.dataplane(a.cluster.endpoint("n/p")) == expected


AMBIENT = [namespace("a", AMBIENT_NS), namespace("b", AMBIENT_NS), pod("a", "client", "client"),
           pod("b", "server", "server", ports=(8080,))]


def netpol(ports):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "server", "namespace": "b"},
            "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": p} for p in ports]}]}}


def test_ambient_connections_cross_the_datapath_as_hbone_on_15008():
    only_app = analyzer(*AMBIENT, netpol([8080]))
    assert only_app.allowed("a/client", "b/server", 8080, "TCP", "datapath")
    assert not only_app.allowed("a/client", "b/server", 8080, "TCP")
    text = only_app.explain("a/client", "b/server", 8080, "TCP").to_text()
    assert "HBONE" in text and "denied by: the datapath" in text
    with_tunnel = analyzer(*AMBIENT, netpol([15008]))
    assert with_tunnel.allowed("a/client", "b/server", 8080, "TCP")
    assert ("a/client", "b/server", 8080, "TCP") in with_tunnel.matrix([(8080, "TCP")])


def test_ambient_reads_disable_as_permissive():
    pa = peer_auth("b", "server", {"selector": {"matchLabels": {"app": "server"}}, "mtls": {"mode": "DISABLE"}})
    a = analyzer(*AMBIENT, pa)
    verdict = a.mesh_verdict("a/client", "b/server", 8080, "TCP")
    assert verdict.mtls.mode == "PERMISSIVE" and verdict.encrypted


def test_explain_names_the_point_that_decided():
    a = analyzer(*BASE, authz("foo", "allow-nothing", {}))
    explanation = a.explain("default/sleep", "foo/httpbin", 8080, "TCP")
    assert explanation.decided_by == ("mesh",) and not explanation.allowed
    assert explanation.to_dict()["mesh"]["reason"].startswith("ALLOW AuthorizationPolicy foo/allow-nothing")
    assert a.explain("default/sleep", "foo/httpbin", 8080, "TCP", "datapath").allowed
