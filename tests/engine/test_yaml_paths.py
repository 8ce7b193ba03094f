"""The two YAML paths read the same documents; JSON manifests are read by the json parser.

The fast path (ryaml) may decline a text (None: the reference reads it) but never return other
documents than the reference (PyYAML with kubectl's choices) would.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings, strategies as st

from netguard import yamlfast
from netguard.documents import reference_documents
from netguard.errors import NetguardInputError
from netguard.loader import load_paths

pytestmark = pytest.mark.skipif(not yamlfast.available(), reason="the fast YAML parser (ryaml) is not installed")


def canonical(value, depth: int = 0) -> str:
    """Equal only for equal types and values (1, 1.0 and True differ), mapping order aside."""
    assert depth < 50, "a recursive document"
    if isinstance(value, dict):
        items = sorted(f"{canonical(k, depth + 1)}: {canonical(v, depth + 1)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(canonical(v, depth + 1) for v in value) + "]"
    if isinstance(value, float) and math.isnan(value):
        return "float nan"
    return f"{type(value).__name__} {value!r}"


def reference_or_error(text: str):
    try:
        return [canonical(d) for d in reference_documents(text.encode())]
    except NetguardInputError:
        return "error"


def assert_same_or_declined(text: str) -> None:
    fast = yamlfast.fast_documents(text)
    if fast is not None:
        assert [canonical(d) for d in fast] == reference_or_error(text), text


CLUSTER_DUMP_POD = """\
apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: "2026-11-30T08:12:44Z"
  generateName: inference-5d8f9c7b6e-
  labels:
    app.kubernetes.io/name: inference
    pod-template-hash: 5d8f9c7b6e
  name: inference-5d8f9c7b6e-x2x9q
  namespace: tenant-0001
  ownerReferences:
  - apiVersion: apps/v1
    blockOwnerDeletion: true
    controller: true
    kind: ReplicaSet
    name: inference-5d8f9c7b6e
    uid: 0b3c6a0e-2f4d-4e0e-9a57-1f1d2f0c3b4a
  resourceVersion: "184467"
spec:
  containers:
  - image: registry.example/ai:1.21.3
    name: main
    ports:
    - containerPort: 8080
      name: http
      protocol: TCP
    resources: {limits: {cpu: 500m, memory: 1Gi}}
status:
  phase: Running
  podIP: 10.244.3.17
  podIPs:
  - ip: 10.244.3.17
  startTime: 2026-11-30T08:12:44Z
"""


def test_manifests_as_kubectl_and_the_components_write_them_take_the_fast_path():
    fast = yamlfast.fast_documents(CLUSTER_DUMP_POD + "---\n" + CLUSTER_DUMP_POD)
    assert fast is not None and [canonical(d) for d in fast] == reference_or_error(CLUSTER_DUMP_POD * 1 + "---\n" + CLUSTER_DUMP_POD)
    assert fast[0]["status"]["startTime"] == "2026-11-30T08:12:44Z"  # a timestamp stays a string


@pytest.mark.parametrize("text", [
    "on: [push]\n", "a: yes\n", "a: Off\n", "a: 017\n", "a: 0o17\n", "a: 09\n", "a: 1_000\n", "a: 0x_1F\n",
    "a: 1e3\n", "a: 1.0e3\n", "a: +.5\n", ".nan: 1\n.nan: 2\n", "a: !!int '12'\n", "a: !foo x\n",
    "b: &x {p: 1}\nc: {<<: *x, p: 2}\n", "a: 1\na: 2\n", "a: 1\n---\n", "# only a comment\n", "",
    '{"a":yes}\n', '{"a":017, "b": 1}\n', "[a,on]\n", "a: &a [*a]\n", "a: 123456789012345678901234567890123456789012\n", "0x10: a\n16: b\n",
])
def test_texts_the_two_parsers_could_read_differently_go_to_the_reference(text):
    assert yamlfast.fast_documents(text) is None


SCALARS = st.one_of(
    st.sampled_from([
        "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "~", "", "=", "<<", "0", "-0", "+12", "017",
        "0o17", "0x1F", "-0x1F", "0b101", "1_000", "1e3", "1.5e3", "1.5E+3", "1.", ".5", "+.5", "-.inf", ".NaN",
        "2024-01-01", "2024-01-01T10:00:00Z", "1:20", "1:2:3:4:5:6:7:8", "10.0.0.1", "5d8f9c7b6e", "0123",
        "12345678901234567890123", "a b", "x#y", "x #y", '"q":yes', "x:017",
    ]),
    st.text(alphabet="0123456789+-._eEoxXbBnNyYsSaAfFtT:~ ", min_size=1, max_size=6),
)


@st.composite
def scalar(draw):
    text = draw(SCALARS)
    style = draw(st.sampled_from(["plain", "plain", "single", "double", "tagged", "anchored", "alias"]))
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if style == "tagged":
        return draw(st.sampled_from(["!!str ", "!!int ", "!!float ", "!!bool ", "!foo "])) + text
    if style == "anchored":
        return "&a " + text
    if style == "alias":
        return "*a"
    return text


def node(leaf):
    return st.recursive(
        leaf,
        lambda children: st.one_of(
            st.tuples(st.just("map"), st.lists(st.tuples(leaf, children), min_size=1, max_size=4)),
            st.tuples(st.just("seq"), st.lists(children, min_size=1, max_size=3)),
            st.tuples(st.just("merge"), children),
        ),
        max_leaves=8,
    )


def flow(tree) -> str:
    if isinstance(tree, str):
        return tree
    kind, body = tree
    if kind == "map":
        return "{" + ", ".join(f"{flow(k)}: {flow(v)}" for k, v in body) + "}"
    if kind == "seq":
        return "[" + ", ".join(flow(v) for v in body) + "]"
    return "{<<: " + flow(body) + "}"


def block(tree, indent: int = 0) -> list[str]:
    pad = " " * indent
    if isinstance(tree, str) or tree[0] == "merge":
        return [pad + flow(tree)]
    kind, body = tree
    lines = []
    for entry in body:
        key, value = entry if kind == "map" else ("-", entry)
        head = f"{pad}{flow(key)}:" if kind == "map" else f"{pad}-"
        if isinstance(value, str) or value[0] == "merge":
            lines.append(f"{head} {flow(value)}")
        else:
            lines.append(head)
            lines += block(value, indent + 2)
    return lines


@st.composite
def yaml_stream(draw):
    documents = []
    for _ in range(draw(st.integers(1, 3))):
        tree = draw(node(scalar()))
        text = flow(tree) if draw(st.booleans()) else "\n".join(block(tree))
        documents.append(draw(st.sampled_from(["", "# note\n"])) + text + "\n")
    return draw(st.sampled_from(["", "---\n"])) + "---\n".join(documents)


@settings(max_examples=300, deadline=None)
@given(yaml_stream())
def test_the_fast_path_reads_what_the_reference_reads_or_declines(text):
    assert_same_or_declined(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(SCALARS, SCALARS), min_size=1, max_size=5))
def test_plain_keys_and_values_of_one_mapping(pairs):
    assert_same_or_declined("".join(f"{k or 'k'}: {v}\n" for k, v in pairs))


# --- JSON -----------------------------------------------------------------------------------------
POD_LIST = {
    "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
    "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web"}},
               "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080}]}]},
               "status": {"podIP": "10.244.0.5"}}],
}


def test_kubectl_get_json_lists_in_a_folder_are_read(tmp_path):
    (tmp_path / "pods.json").write_text(json.dumps(POD_LIST, indent=4))
    web = load_paths([str(tmp_path)]).endpoint("prod/web")
    assert (web.ip, [p.port for p in web.ports]) == ("10.244.0.5", [8080])


def test_a_json_key_written_twice_is_an_error_as_in_yaml(tmp_path):
    (tmp_path / "pod.json").write_text('{"kind": "Pod", "metadata": {"name": "a", "name": "b"}}')
    with pytest.raises(NetguardInputError, match="'name' written twice") as caught:
        load_paths([str(tmp_path)])
    assert caught.value.source.endswith("pod.json")


def test_a_yaml_flow_mapping_that_is_not_json_is_still_yaml(tmp_path):
    (tmp_path / "pod.yaml").write_text("{kind: Pod, metadata: {name: web, namespace: prod}}\n")
    assert [e.id for e in load_paths([str(tmp_path)]).endpoints] == ["prod/web"]


def test_json_numbers_are_json_numbers(tmp_path):
    # kubectl decodes a text starting with '{' as JSON: 8.08e3 is a number there (YAML 1.1: a string).
    pod = {"kind": "Pod", "metadata": {"name": "web", "namespace": "p"}, "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}}
    (tmp_path / "pod.json").write_text(json.dumps(pod))
    assert [p.port for p in load_paths([str(tmp_path)]).endpoint("p/web").ports] == [80]
