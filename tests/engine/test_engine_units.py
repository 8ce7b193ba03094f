"""Unit tests of the engine's concepts: selectors, ports, IP blocks, policyTypes, loading."""

from __future__ import annotations

import ipaddress

import pytest

from netguard.cidr import parse_ip_block
from netguard.errors import Location
from netguard.loader import build_cluster, load_paths
from netguard.model import Endpoint
from netguard.ports import ContainerPort, NamedPort, PortRange, PortSet, parse_rule_port, ports_admitted
from netguard.selectors import LabelIndex, parse_selector

AT = Location("t.yaml", "NetworkPolicy x/p", "spec")


# --- selectors ---------------------------------------------------------------------------------

SELECTOR_CASES = [
    ({}, {}, True),
    ({}, {"a": "1"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
    ({"matchLabels": {"a": "1"}}, {}, False),
    ({"matchLabels": {"a": "1", "b": "2"}}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {}, False),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "3"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"b": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {}, True),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist", "values": []}]}, {"a": "1"}, False),
    ({"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]}, {"a": "1"}, False),
    ({"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]}, {"a": "1", "b": "x"}, True),
]


@pytest.mark.parametrize("raw, labels, expected", SELECTOR_CASES)
def test_selector_matches_labels(raw, labels, expected):
    assert parse_selector(raw, AT).matches(labels) is expected


def test_selector_over_an_index_agrees_with_one_by_one_matching():
    population = [{}, {"a": "1"}, {"a": "2"}, {"b": "1"}, {"a": "1", "b": "x"}, {"a": ""}]
    index = LabelIndex.build(enumerate(population))
    for raw, _, _ in SELECTOR_CASES:
        selector = parse_selector(raw, AT)
        expected = sum(1 << i for i, labels in enumerate(population) if selector.matches(labels))
        assert selector.select(index) == expected, raw


# --- ports -------------------------------------------------------------------------------------

DESTINATION = (ContainerPort("http", 8080, "TCP"), ContainerPort("dns", 53, "UDP"), ContainerPort(None, 9090, "TCP"))


@pytest.mark.parametrize("raw, protocol, expected", [
    ({"port": 80}, "TCP", ((80, 80),)),
    ({"port": 80}, "UDP", ()),
    ({"port": 80, "protocol": "UDP"}, "UDP", ((80, 80),)),
    ({"port": 80, "endPort": 90}, "TCP", ((80, 90),)),
    ({"port": 80, "endPort": 80}, "TCP", ((80, 80),)),
    ({"protocol": "SCTP"}, "SCTP", ((1, 65535),)),
    ({"protocol": "SCTP"}, "TCP", ()),
    ({}, "TCP", ((1, 65535),)),
    ({"port": "http"}, "TCP", ((8080, 8080),)),
    ({"port": "http", "protocol": "UDP"}, "UDP", ()),  # the name exists, but for TCP
    ({"port": "dns", "protocol": "UDP"}, "UDP", ((53, 53),)),
    ({"port": "dns"}, "TCP", ()),
    ({"port": "grpc"}, "TCP", ()),  # the destination lacks the name
])
def test_a_rule_port_admits(raw, protocol, expected):
    matcher = parse_rule_port(raw, AT)
    assert ports_admitted((matcher,), protocol, DESTINATION).ranges() == expected


def test_a_rule_without_ports_admits_everything():
    assert ports_admitted(None, "SCTP", ()).is_everything()


def test_port_set_algebra():
    a = PortSet.of([(80, 80), (81, 90), (100, 200)])
    assert a.ranges() == ((80, 90), (100, 200))
    b = PortSet.of([(85, 150)])
    assert (a & b).ranges() == ((85, 90), (100, 150))
    assert (a | b).ranges() == ((80, 200),)
    assert 85 in a and 95 not in a and "85" not in a
    assert a.min() == 80
    assert PortSet().is_empty()
    assert PortSet.everything().describe() == "all ports"
    assert a.describe() == "80-90,100-200"


def test_port_matchers_describe_themselves():
    assert PortRange("TCP", 80, 80).describe() == "80/TCP"
    assert PortRange("UDP", 80, 90).describe() == "80-90/UDP"
    assert PortRange("SCTP", 1, 65535).describe() == "all SCTP ports"
    assert NamedPort("TCP", "http").describe() == "port named http/TCP"


# --- IP blocks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("block, ip, expected", [
    ({"cidr": "10.0.0.0/8"}, "10.2.3.4", True),
    ({"cidr": "10.0.0.0/8"}, "11.0.0.1", False),
    ({"cidr": "10.0.0.0/8", "except": ["10.2.0.0/16"]}, "10.2.3.4", False),
    ({"cidr": "10.0.0.0/8", "except": ["10.2.0.0/16"]}, "10.3.0.1", True),
    ({"cidr": "10.1.2.3/8"}, "10.200.0.1", True),  # host bits are ignored, as the API server does
    ({"cidr": "0.0.0.0/0"}, "fd00::1", False),  # families never mix
    ({"cidr": "::/0"}, "10.0.0.1", False),
    ({"cidr": "fd00::/16", "except": ["fd00:1::/32"]}, "fd00:1::5", False),
    ({"cidr": "fd00::/16", "except": ["fd00:1::/32"]}, "fd00:2::5", True),
    ({"cidr": "10.0.0.1/32"}, "10.0.0.1", True),
])
def test_ip_block_matches(block, ip, expected):
    parsed = parse_ip_block(block, AT)
    assert parsed.matches(ipaddress.ip_address(ip)) is expected


def test_ip_block_never_matches_an_endpoint_without_ip():
    assert parse_ip_block({"cidr": "0.0.0.0/0"}, AT).matches(None) is False


def test_ip_block_intervals_leave_out_the_excepts():
    block = parse_ip_block({"cidr": "10.0.0.0/30", "except": ["10.0.0.1/32", "10.0.0.2/32"]}, AT)
    base = int(ipaddress.ip_address("10.0.0.0"))
    assert block.intervals() == (4, ((base, base), (base + 3, base + 3)))


# --- loading -----------------------------------------------------------------------------------

@pytest.mark.usefixtures("yaml_path")
def test_loading_folders_multi_document_files_lists_and_defaults(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "ns.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {env: prod}}\n---\n"
        "# an empty document\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored}\n"
    )
    (tmp_path / "sub" / "workloads.yml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: prod},"
        "   spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, ports: [{containerPort: 80, name: http}]}]}}}}\n"
        "- {apiVersion: batch/v1, kind: CronJob, metadata: {name: nightly},"
        "   spec: {jobTemplate: {spec: {template: {metadata: {labels: {app: batch}}}}}}}\n"
        "- {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: prod, labels: {app: p}}, status: {podIP: 10.0.0.7}}\n"
    )
    (tmp_path / "notes.txt").write_text("kind: Pod\n")  # not YAML by extension: ignored
    (tmp_path / "calico.yaml").write_text(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: c, namespace: prod}\nspec: {selector: all()}\n"
    )
    cluster = load_paths([str(tmp_path)], externals=["8.8.8.8"])
    ids = [e.id for e in cluster.endpoints]
    assert ids == ["default/nightly", "external/8.8.8.8", "prod/p", "prod/web"]
    web = cluster.endpoint("prod/web")
    assert web.kind == "Deployment" and dict(web.labels) == {"app": "web"}
    assert web.ports == (ContainerPort("http", 80, "TCP"),) and web.ip is None
    assert cluster.endpoint("prod/p").ip == "10.0.0.7"
    assert cluster.endpoint("default/nightly").kind == "CronJob"
    ext = cluster.endpoint("external/8.8.8.8")
    assert ext.external and ext.ip == "8.8.8.8" and dict(ext.labels) == {}
    assert dict(cluster.namespaces["prod"]) == {"env": "prod", "kubernetes.io/metadata.name": "prod"}
    assert dict(cluster.namespaces["default"]) == {"kubernetes.io/metadata.name": "default"}
    assert cluster.policies == ()  # the Calico policy is another product's


def test_the_namespace_name_label_cannot_be_forged():
    ns = {"kind": "Namespace", "metadata": {"name": "tenant", "labels": {"kubernetes.io/metadata.name": "kube-system"}}}
    cluster = build_cluster([("t", ns)])
    assert cluster.namespaces["tenant"]["kubernetes.io/metadata.name"] == "tenant"


def test_policy_types_defaulting():
    def types(spec):
        np = {"kind": "NetworkPolicy", "metadata": {"name": "p"}, "spec": {"podSelector": {}, **spec}}
        return set(build_cluster([("t", np)]).policies[0].policy_types)

    assert types({}) == {"Ingress"}
    assert types({"ingress": [{}]}) == {"Ingress"}
    assert types({"egress": [{}]}) == {"Ingress", "Egress"}
    assert types({"egress": []}) == {"Ingress"}  # SetDefaults_NetworkPolicy: no egress rule, no Egress
    assert types({"policyTypes": []}) == {"Ingress"}
    assert types({"policyTypes": ["Egress"], "ingress": [{}]}) == {"Egress"}
    assert types({"policyTypes": ["Ingress", "Egress"]}) == {"Ingress", "Egress"}


def test_endpoint_model_is_immutable():
    e = Endpoint("x/a", "x", "a", "Pod")
    with pytest.raises(AttributeError):
        e.name = "b"  # type: ignore[misc]
