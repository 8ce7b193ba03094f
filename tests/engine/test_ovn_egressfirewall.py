"""OVN-Kubernetes EgressFirewall: dnsName wildcards (one label), rule order, names vs CIDRs."""

from __future__ import annotations

import ipaddress

import pytest

from policies.netguard.domains import OVN_DNS_NAME, name_matches, ovn_dns_name_error
from policies.netguard.egressfirewall import (
    EgressFirewallError, parse, verdict_for_address, verdict_for_name,
)


@pytest.mark.parametrize(("pattern", "name", "expected"), [
    ("models.example.com", "models.example.com", True),
    ("Models.Example.com.", "models.example.com", True),
    ("models.example.com", "a.models.example.com", False),
    ("*.example.com", "sub1.example.com", True),
    ("*.example.com", "sub2.sub1.example.com", False),  # '*' is exactly one label
    ("*.example.com", "example.com", False),
    ("*.example.com", "myexample.com", False),
])
def test_dns_name_truth_table(pattern: str, name: str, expected: bool) -> None:
    assert name_matches(OVN_DNS_NAME, pattern, name) is expected


@pytest.mark.parametrize("bad", ["**.example.com", "a.*.example.com", "*example.com", "-a.example.com", ""])
def test_dns_name_validation_refuses(bad: str) -> None:
    assert ovn_dns_name_error(bad) is not None


def _fw(*rules: dict, name: str = "default") -> dict:
    return {"apiVersion": "k8s.ovn.org/v1", "kind": "EgressFirewall",
            "metadata": {"name": name, "namespace": "ai"}, "spec": {"egress": list(rules)}}


ALLOW_MODELS = {"type": "Allow", "to": {"dnsName": "models.example.com"}, "ports": [{"protocol": "TCP", "port": 443}]}
DENY_V4 = {"type": "Deny", "to": {"cidrSelector": "0.0.0.0/0"}}
DENY_V6 = {"type": "Deny", "to": {"cidrSelector": "::/0"}}


def test_declared_name_on_declared_port_only() -> None:
    fw = parse(_fw(ALLOW_MODELS, DENY_V4, DENY_V6))
    hit = verdict_for_name(fw, "models.example.com", "TCP", 443)
    assert hit.allowed and hit.rule is not None and hit.rule.index == 0
    assert not verdict_for_name(fw, "models.example.com", "TCP", 80).allowed
    assert not verdict_for_name(fw, "other.example.com", "TCP", 443).allowed


def test_first_match_decides() -> None:
    deny_first = parse(_fw({"type": "Deny", "to": {"dnsName": "models.example.com"}}, ALLOW_MODELS))
    assert not verdict_for_name(deny_first, "models.example.com", "TCP", 443).allowed
    addr = ipaddress.ip_address("10.1.2.3")
    ordered = parse(_fw({"type": "Allow", "to": {"cidrSelector": "10.1.0.0/16"}}, DENY_V4))
    assert verdict_for_address(ordered, addr, "TCP", 1).allowed
    assert not verdict_for_address(ordered, ipaddress.ip_address("10.2.0.1"), "TCP", 1).allowed


def test_no_match_allows() -> None:
    fw = parse(_fw({"type": "Deny", "to": {"cidrSelector": "192.0.2.0/24"}}))
    assert verdict_for_address(fw, ipaddress.ip_address("198.51.100.1"), "UDP", 53).allowed
    # a narrower CIDR never matches a name: its addresses are unknown
    assert verdict_for_name(fw, "models.example.com", "TCP", 443).allowed


def test_name_denied_only_when_both_families_denied() -> None:
    v4_only = parse(_fw(DENY_V4))
    assert verdict_for_name(v4_only, "models.example.com", "TCP", 443).allowed  # may resolve to IPv6
    both = parse(_fw(DENY_V4, DENY_V6))
    assert not verdict_for_name(both, "models.example.com", "TCP", 443).allowed


def test_allow_whole_family_admits_a_name() -> None:
    fw = parse(_fw({"type": "Allow", "to": {"cidrSelector": "0.0.0.0/0"}}, DENY_V6))
    v = verdict_for_name(fw, "anything.example.org", "TCP", 443)
    assert v.allowed and v.rule is not None and "0.0.0.0/0" in v.rule.describe()


@pytest.mark.parametrize(("doc", "field"), [
    (_fw(ALLOW_MODELS, name="other"), "metadata.name"),
    (_fw({"type": "Allow", "to": {"nodeSelector": {}}}), "to.nodeSelector"),
    (_fw({"type": "Permit", "to": {"dnsName": "a.com"}}), "type"),
    (_fw({"type": "Allow", "to": {"dnsName": "a.com", "cidrSelector": "1.0.0.0/8"}}), "to must set exactly one"),
    (_fw({"type": "Allow", "to": {"dnsName": "**.a.com"}}), "to.dnsName"),
    (_fw({"type": "Allow", "to": {"cidrSelector": "1.2.3"}}), "to.cidrSelector"),
    (_fw({"type": "Allow", "to": {"dnsName": "a.com"}, "ports": [{"protocol": "tcp", "port": 1}]}), "protocol"),
    (_fw({"type": "Allow", "to": {"dnsName": "a.com"}, "ports": [{"protocol": "TCP", "port": 0}]}), "port"),
    (_fw({"type": "Allow", "to": {"dnsName": "a.com"}, "ports": ["443/TCP"]}), "must be an object with protocol and port"),
    (_fw({"type": "Allow", "to": {"dnsName": 5}}), "to.dnsName"),
    (_fw({"type": "Allow", "to": {"cidrSelector": ["10.0.0.0/8"]}}), "to.cidrSelector"),
])
def test_bad_input_names_the_field(doc: dict, field: str) -> None:
    with pytest.raises(EgressFirewallError, match=field.replace(".", r"\.")):
        parse(doc)
