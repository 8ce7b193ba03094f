"""NetworkPolicy specs as the API server reads them: its fields only, nulls as zero values."""

from __future__ import annotations

import pytest

from netguard.errors import NetguardInputError
from netguard.loader import build_cluster
from netguard.ports import PortRange


def load_policy(spec):
    np = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
          "metadata": {"name": "p", "namespace": "x"}, "spec": spec}
    return build_cluster([("np.yaml", np)]).policies[0]


@pytest.mark.parametrize("field", ["egres", "ingres", "policyType", "selector"])
def test_a_misspelt_spec_field_is_an_error_not_a_silently_missing_rule(field):
    # `egres:` instead of `egress:` would otherwise leave egress unisolated without a word.
    with pytest.raises(NetguardInputError) as caught:
        load_policy({"podSelector": {}, field: [{}]})
    assert caught.value.field == f"spec.{field}"
    assert str(caught.value).startswith(f"np.yaml: NetworkPolicy x/p: spec.{field}: unknown field of a NetworkPolicy spec")


def test_a_null_port_entry_is_the_empty_port_every_tcp_port():
    # JSON null in a list of NetworkPolicyPort decodes to the zero value: protocol defaults to TCP, any port.
    policy = load_policy({"podSelector": {}, "ingress": [{"ports": [None]}]})
    assert policy.ingress[0].ports == (PortRange("TCP", 1, 65535),)


@pytest.mark.parametrize("spec, field", [
    ({"podSelector": {}, "ingress": [{"from": [{"podSelector": {}, 1: "a", "b": "c"}]}]}, "spec.ingress[0].from[0].1"),
    ({"podSelector": {1: "a", "b": "c"}}, "spec.podSelector.1"),
    ({"podSelector": {}, "ingress": [{1: "a", "b": "c"}]}, "spec.ingress[0].1"),
    ({"podSelector": {}, "ingress": [{"ports": [{1: "a", "b": "c"}]}]}, "spec.ingress[0].ports[0].1"),
    ({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {1: "a", "b": "c"}}]}]}, "spec.ingress[0].from[0].ipBlock.1"),
    ({"podSelector": {}, None: 1, "b": 2}, "spec.None"),
])
def test_unknown_fields_of_mixed_key_types_are_one_error_line_not_a_crash(spec, field):
    # YAML keys may be ints, bools or null (`1:`, `on:`, `~:`); naming them must not compare str with int.
    with pytest.raises(NetguardInputError) as caught:
        load_policy(spec)
    assert caught.value.field == field and "unknown field" in caught.value.problem


@pytest.mark.parametrize("spec", [{"ingress": []}, {"podSelector": None, "ingress": []}])
def test_a_missing_or_null_pod_selector_selects_every_pod_of_the_namespace_as_the_api_server_reads_it(spec):
    from netguard.analysis import Analyzer

    pods = [{"kind": "Pod", "metadata": {"name": n, "namespace": "x", "labels": labels}}
            for n, labels in (("a", {"app": "a"}), ("b", {}))]
    np = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
          "metadata": {"name": "p", "namespace": "x"}, "spec": spec}
    analyzer = Analyzer(build_cluster([("m.yaml", o) for o in (*pods, np)]))
    assert analyzer.cluster.policies[0].pod_selector.is_empty
    assert analyzer.isolated("x/a", "Ingress") and analyzer.isolated("x/b", "Ingress")
    assert not analyzer.allowed("x/b", "x/a", 80, "TCP")
