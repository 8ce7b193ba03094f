"""Bad input raises NetguardInputError naming the file, the object, the field and the problem."""

from __future__ import annotations

import pickle

import re

import pytest

from netguard.errors import NetguardInputError
from netguard.loader import build_cluster, load_paths

# Every test reads its manifests with both YAML paths (tests/engine/conftest.py).
pytestmark = pytest.mark.usefixtures("yaml_path")


def netpol(spec, name="p", namespace="ai-inference"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def ingress_from(*peers):
    return {"podSelector": {}, "ingress": [{"from": list(peers)}]}


def ingress_ports(*ports):
    return {"podSelector": {}, "ingress": [{"ports": list(ports)}]}


def error_of(objects) -> NetguardInputError:
    with pytest.raises(NetguardInputError) as caught:
        build_cluster([("manifests/p.yaml", o) for o in objects])
    return caught.value


BAD_POLICIES = [
    ("invalid cidr", ingress_from({"ipBlock": {"cidr": "10.0.0.0/33"}}),
     "spec.ingress[0].from[0].ipBlock.cidr", "not a valid IPv4 or IPv6 CIDR"),
    ("cidr with a zone", ingress_from({"ipBlock": {"cidr": "fe80::%eth0/64"}}),
     "spec.ingress[0].from[0].ipBlock.cidr", "not a valid IPv4 or IPv6 CIDR"),
    ("cidr without prefix", ingress_from({"ipBlock": {"cidr": "10.0.0.1"}}),
     "spec.ingress[0].from[0].ipBlock.cidr", "needs a /prefix"),
    ("except outside cidr", ingress_from({"podSelector": {}}, {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.1.0.0/16"]}}),
     "spec.ingress[0].from[1].ipBlock.except[0]", "10.1.0.0/16 is not inside cidr 10.0.0.0/16"),
    ("except equal to cidr", ingress_from({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/16"]}}),
     "spec.ingress[0].from[0].ipBlock.except[0]", "not strictly inside"),
    ("except of another family", ingress_from({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["fd00::/64"]}}),
     "spec.ingress[0].from[0].ipBlock.except[0]", "is IPv6 but cidr 10.0.0.0/8 is IPv4"),
    ("ipBlock with a selector", ingress_from({"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}),
     "spec.ingress[0].from[0].ipBlock", "cannot be combined"),
    ("empty peer", ingress_from({}), "spec.ingress[0].from[0]", "needs podSelector, namespaceSelector or ipBlock"),
    ("port name with a trailing newline", ingress_ports({"port": "http\n"}),
     "spec.ingress[0].ports[0].port", "neither a port number nor a valid port name"),
    ("endPort below port", ingress_ports({"port": 90, "endPort": 80}),
     "spec.ingress[0].ports[0].endPort", "endPort 80 is below port 90"),
    ("endPort with a named port", ingress_ports({"port": "http", "endPort": 80}),
     "spec.ingress[0].ports[0].endPort", "cannot be used with the named port 'http'"),
    ("endPort without port", ingress_ports({"endPort": 80}), "spec.ingress[0].ports[0].endPort", "needs a numeric port"),
    ("port zero", ingress_ports({"port": 0}), "spec.ingress[0].ports[0].port", "port 0 is outside 1-65535"),
    ("port too large", ingress_ports({"port": 70000}), "spec.ingress[0].ports[0].port", "outside 1-65535"),
    ("port as a bool", ingress_ports({"port": True}), "spec.ingress[0].ports[0].port", "expected a port number"),
    ("port as a digit string", ingress_ports({"port": "80"}), "spec.ingress[0].ports[0].port", "neither a port number nor"),
    ("unknown protocol", ingress_ports({"port": 80, "protocol": "ICMP"}),
     "spec.ingress[0].ports[0].protocol", "unknown protocol 'ICMP'"),
    ("lowercase protocol", ingress_ports({"port": 80, "protocol": "tcp"}),
     "spec.ingress[0].ports[0].protocol", "unknown protocol 'tcp'"),
    ("unknown operator", {"podSelector": {"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["b"]}]}},
     "spec.podSelector.matchExpressions[0].operator", "unknown operator 'Equals'"),
    ("In without values", {"podSelector": {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}},
     "spec.podSelector.matchExpressions[0].values", "operator In needs at least one value"),
    ("NotIn without values", ingress_from({"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "NotIn"}]}}),
     "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values", "operator NotIn needs at least one value"),
    ("Exists with values", {"podSelector": {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["b"]}]}},
     "spec.podSelector.matchExpressions[0].values", "operator Exists takes no values"),
    ("selector not a mapping", {"podSelector": ["app"]}, "spec.podSelector", "expected a label selector mapping, got a list"),
    ("rule not a mapping", {"podSelector": {}, "ingress": ["from-everyone"]}, "spec.ingress[0]", "expected a rule mapping"),
    ("ingress not a list", {"podSelector": {}, "ingress": {"from": []}}, "spec.ingress", "expected a list of rules"),
    ("spec not a mapping", None, "spec", "expected a mapping, got nothing"),
    ("unknown policy type", {"podSelector": {}, "policyTypes": ["Ingress", "Egres"]},
     "spec.policyTypes[1]", "unknown policy type 'Egres'"),
    ("policyTypes not a list", {"podSelector": {}, "policyTypes": "Ingress"}, "spec.policyTypes", "expected a list"),
    ("label value not a string", {"podSelector": {"matchLabels": {"version": 2}}},
     "spec.podSelector.matchLabels.version", "label value 2 is not a string"),
    ("misspelt rule field", {"podSelector": {}, "ingress": [{"form": []}]}, "spec.ingress[0].form", "unknown field"),
]


@pytest.mark.parametrize("case, spec, field, problem", BAD_POLICIES, ids=[c[0] for c in BAD_POLICIES])
def test_bad_network_policy_names_file_object_field_and_problem(case, spec, field, problem):
    error = error_of([netpol(spec, name="allow-gw")])
    assert error.source == "manifests/p.yaml"
    assert error.obj == "NetworkPolicy ai-inference/allow-gw"
    assert error.field == field
    assert problem in error.problem
    line = str(error)
    assert "\n" not in line
    assert line.startswith(f"manifests/p.yaml: NetworkPolicy ai-inference/allow-gw: {field}: ")


def test_the_documented_example_message():
    spec = ingress_from({"podSelector": {}}, {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.1.0.0/16"]}})
    assert str(error_of([netpol(spec, name="allow-gw")])) == (
        "manifests/p.yaml: NetworkPolicy ai-inference/allow-gw: spec.ingress[0].from[1].ipBlock.except[0]: "
        "10.1.0.0/16 is not inside cidr 10.0.0.0/16"
    )


BAD_WORKLOADS = [
    ("pod ip", {"kind": "Pod", "metadata": {"name": "a", "namespace": "x"}, "status": {"podIP": "10.0.0.300"}},
     "Pod x/a", "status.podIP", "not a valid IPv4 or IPv6 address"),
    ("container port", {"kind": "Pod", "metadata": {"name": "a", "namespace": "x"},
                        "spec": {"containers": [{"name": "c", "ports": [{"containerPort": "eighty"}]}]}},
     "Pod x/a", "spec.containers[0].ports[0].containerPort", "expected a port number"),
    ("template missing", {"kind": "Deployment", "metadata": {"name": "d", "namespace": "x"}, "spec": {}},
     "Deployment x/d", "spec.template", "expected a mapping, got nothing"),
    ("cronjob template missing", {"kind": "CronJob", "metadata": {"name": "c", "namespace": "x"},
                                  "spec": {"jobTemplate": {"spec": {}}}},
     "CronJob x/c", "spec.jobTemplate.spec.template", "expected a mapping"),
    ("labels not strings", {"kind": "Deployment", "metadata": {"name": "d"},
                            "spec": {"template": {"metadata": {"labels": {"v": 1.5}}}}},
     "Deployment default/d", "spec.template.metadata.labels.v", "not a string"),
    ("no name", {"kind": "Pod", "metadata": {"namespace": "x"}}, "Pod", "metadata.name", "missing"),
    ("namespace labels", {"kind": "Namespace", "metadata": {"name": "x", "labels": ["a"]}},
     "Namespace x", "metadata.labels", "expected a mapping of strings"),
]


@pytest.mark.parametrize("case, manifest, obj, field, problem", BAD_WORKLOADS, ids=[c[0] for c in BAD_WORKLOADS])
def test_bad_endpoint_or_namespace(case, manifest, obj, field, problem):
    error = error_of([manifest])
    assert (error.source, error.obj, error.field) == ("manifests/p.yaml", obj, field)
    assert problem in error.problem


def test_duplicate_endpoint_ids_are_an_error():
    pod = {"kind": "Pod", "metadata": {"name": "web", "namespace": "x"}}
    deployment = {"kind": "Deployment", "metadata": {"name": "web", "namespace": "x"}, "spec": {"template": {}}}
    error = error_of([pod, deployment])
    assert "duplicate endpoint x/web" in str(error)


def test_duplicate_policies_are_an_error():
    error = error_of([netpol({"podSelector": {}}), netpol({"podSelector": {}})])
    assert "duplicate NetworkPolicy ai-inference/p" in str(error)


def test_unreadable_yaml_names_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Pod\nmetadata: {name: a\n")
    with pytest.raises(NetguardInputError) as caught:
        load_paths([str(tmp_path)])
    assert caught.value.source == str(bad)
    assert caught.value.field.startswith("line ")
    assert "unreadable YAML" in str(caught.value)


def test_a_document_that_is_not_a_mapping(tmp_path):
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(NetguardInputError, match="document 1: expected a Kubernetes object mapping, got a list"):
        load_paths([str(tmp_path)])


def test_a_missing_path():
    with pytest.raises(NetguardInputError, match="no-such-dir: no such file or folder"):
        load_paths(["no-such-dir"])


@pytest.mark.parametrize("value, message", [
    ("10.0.0.256", "'10.0.0.256' is not a valid IPv4 or IPv6 address"),
    ("2001:db8::zz", "'2001:db8::zz' is not a valid IPv4 or IPv6 address"),
    ("exa mple.com", "'exa mple.com' is neither an IPv4 or IPv6 address nor a DNS name"),
    ("-bad.example.com", "is neither an IPv4 or IPv6 address nor a DNS name"),
    ("a..example.com", "is neither an IPv4 or IPv6 address nor a DNS name"),
])
def test_bad_external_address(value, message):
    with pytest.raises(NetguardInputError, match=f"--external: .*{re.escape(message)}"):
        build_cluster([], externals=[value])


def test_an_external_name_is_an_endpoint_with_unknown_addresses():
    cluster = build_cluster([], externals=["Models.Example.COM."])
    (endpoint,) = cluster.endpoints
    assert (endpoint.id, endpoint.domain, endpoint.ip) == ("external/models.example.com", "models.example.com", None)


def test_an_external_address_may_not_take_a_pods_id():
    pod = {"kind": "Pod", "metadata": {"name": "8.8.8.8", "namespace": "external"}}
    with pytest.raises(NetguardInputError, match="--external: external/8.8.8.8 is also the id of Pod external/8.8.8.8"):
        build_cluster([("t.yaml", pod)], externals=["8.8.8.8"])


def test_errors_survive_pickling():
    error = error_of([netpol({"podSelector": {}, "ingress": [{"from": [{}]}]})])
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.field == error.field


@pytest.mark.parametrize("address", ["fe80::1%eth0", "10.0.0.0/8", "", "1.2.3"])
def test_an_external_address_is_one_plain_ip(address):
    with pytest.raises(NetguardInputError) as caught:
        build_cluster([], externals=[address])
    assert caught.value.field == "--external" and "is not a valid IPv4 or IPv6 address" in caught.value.problem


def test_a_pod_ip_with_a_zone_index_is_an_error():
    pod = {"kind": "Pod", "metadata": {"name": "a", "namespace": "x"}, "status": {"podIP": "fe80::1%eth0"}}
    error = error_of([pod])
    assert (error.obj, error.field) == ("Pod x/a", "status.podIP")
