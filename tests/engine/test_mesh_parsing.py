"""Istio policies are read strictly: each bad field is an error naming it, never a wider policy."""

from __future__ import annotations

import pytest

from mesh_world import authz, namespace, peer_auth, pod, analyzer
from netguard.errors import NetguardInputError


@pytest.mark.parametrize("spec, field, problem", [
    ({"action": "allow"}, "spec.action", "unknown action"),
    ({"rules": [{"from": [{"source": {}}]}]}, "spec.rules[0].from[0].source", "must not be empty"),
    ({"rules": [{"to": [{"operation": {"ports": []}}]}]}, "spec.rules[0].to[0].operation", "must not be empty"),
    ({"rules": [{"to": [{"operation": {"ports": [8080]}}]}]}, "spec.rules[0].to[0].operation.ports", "quote"),
    ({"rules": [{"to": [{"operation": {"ports": ["http"]}}]}]}, "spec.rules[0].to[0].operation.ports[0]", "1-65535"),
    ({"rules": [{"from": [{"source": {"ipBlocks": ["10.0.0.300"]}}]}]}, "spec.rules[0].from[0].source.ipBlocks[0]",
     "not an IP"),
    ({"rules": [{"from": [{"source": {"principal": ["x"]}}]}]}, "spec.rules[0].from[0].source.principal",
     "unknown field"),
    ({"rules": [{"from": [{"source": {"serviceAccounts": ["a"], "namespaces": ["b"]}}]}]},
     "spec.rules[0].from[0].source.serviceAccounts", "cannot be set with"),
    ({"rules": [{"from": [{"source": {"serviceAccounts": ["ns/*"]}}]}]},
     "spec.rules[0].from[0].source.serviceAccounts[0]", "wildcard"),
    ({"rules": [{"when": [{"key": "source.pod", "values": ["x"]}]}]}, "spec.rules[0].when[0].key", "unknown attribute"),
    ({"rules": [{"when": [{"key": "source.ip"}]}]}, "spec.rules[0].when[0]", "values or notValues"),
    ({"action": "CUSTOM"}, "spec.provider", "provider.name"),
    ({"provider": {"name": "x"}}, "spec.provider", "only for action CUSTOM"),
    ({"selector": {"matchLabels": {"a": "b"}}, "targetRefs": [{"kind": "Gateway", "name": "g"}]}, "spec.selector",
     "only one of"),
    ({"selector": {"matchLabels": {"app": "*"}}}, "spec.selector.matchLabels.app", "wildcard"),
    ({"rules": "all"}, "spec.rules", "expected a list"),
])
def test_a_bad_authorization_policy_field_is_named(spec, field, problem):
    with pytest.raises(NetguardInputError) as error:
        analyzer(authz("foo", "p", spec))
    assert error.value.field == field and problem in error.value.problem
    assert error.value.obj == "AuthorizationPolicy foo/p"


@pytest.mark.parametrize("spec, field, problem", [
    ({"mtls": {"mode": "strict"}}, "spec.mtls.mode", "unknown mTLS mode"),
    ({"portLevelMtls": {"8080": {"mode": "DISABLE"}}}, "spec.portLevelMtls", "requires a selector"),
    ({"selector": {"matchLabels": {"a": "b"}}, "portLevelMtls": {"0": {"mode": "DISABLE"}}}, "spec.portLevelMtls.0",
     "1-65535"),
    ({"mtls": {"mode": "STRICT", "level": 1}}, "spec.mtls.level", "unknown field"),
])
def test_a_bad_peer_authentication_field_is_named(spec, field, problem):
    with pytest.raises(NetguardInputError) as error:
        analyzer(peer_auth("foo", "p", spec))
    assert error.value.field == field and problem in error.value.problem


def test_duplicate_mesh_policies_are_errors():
    with pytest.raises(NetguardInputError, match="duplicate AuthorizationPolicy foo/p"):
        analyzer(authz("foo", "p", {}), authz("foo", "p", {}))


def test_istio_kinds_of_other_api_groups_are_ignored():
    other = {**authz("foo", "p", {}), "apiVersion": "example.com/v1"}
    a = analyzer(namespace("foo", {"istio-injection": "enabled"}), pod("foo", "w"), other)
    assert not a.cluster.mesh


def test_both_istio_api_versions_are_read_and_the_account_is_kept():
    old = {**authz("foo", "old", {}), "apiVersion": "security.istio.io/v1beta1"}
    a = analyzer(old, pod("foo", "w", account="reader"), pod("foo", "v"))
    assert [p.id for p in a.cluster.mesh.authorization_policies] == ["foo/old"]
    assert a.cluster.endpoint("foo/w").service_account == "reader"
    assert a.cluster.endpoint("foo/v").service_account == "default"


def test_a_service_account_that_is_not_a_string_is_named():
    bad = pod("foo", "w")
    bad["spec"]["serviceAccountName"] = 3
    with pytest.raises(NetguardInputError) as error:
        analyzer(bad)
    assert error.value.field == "spec.serviceAccountName"
