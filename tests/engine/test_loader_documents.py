"""What the loader reads from real folders: stray non-Kubernetes YAML, YAML typing, paths met twice."""

from __future__ import annotations

import os

import pytest

from netguard.errors import NetguardInputError
from netguard.loader import build_cluster, load_paths

# Every test reads its manifests with both YAML paths (tests/engine/conftest.py).
pytestmark = pytest.mark.usefixtures("yaml_path")

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: prod, labels: {app: web}}\n"


def ids(cluster) -> list[str]:
    return [e.id for e in cluster.endpoints]


@pytest.mark.parametrize("name, text", [
    ("kustomization.yaml", "resources:\n- pod.yaml\nnamePrefix: x-\n"),
    ("values.yaml", "replicaCount: 3\nimage: {repository: nginx, tag: stable}\n"),
    ("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
    ("ci.yml", "on: [push]\njobs: {test: {runs-on: ubuntu-latest}}\n"),
    ("null-kind.yaml", "kind: null\nmetadata: {name: x}\n"),
])
def test_documents_without_kind_are_not_kubernetes_objects_and_are_ignored(tmp_path, name, text):
    (tmp_path / "pod.yaml").write_text(POD)
    (tmp_path / name).write_text(text)
    assert ids(load_paths([str(tmp_path)])) == ["prod/web"]


def test_a_kind_that_is_not_a_string_is_still_an_error():
    with pytest.raises(NetguardInputError, match="kind: expected the object's kind as a string, got int 5"):
        build_cluster([("t.yaml", {"kind": 5})])


def test_unquoted_dates_stay_strings_as_kubectl_reads_them(tmp_path):
    # kubectl's YAML reader (go-yaml v2 into interface{}) keeps timestamp-looking scalars as strings.
    (tmp_path / "pod.yaml").write_text(
        "kind: Pod\nmetadata: {name: web, namespace: prod, labels: {released: 2024-01-01}}\n"
    )
    web = load_paths([str(tmp_path)]).endpoint("prod/web")
    assert dict(web.labels) == {"released": "2024-01-01"}


def test_a_bare_equals_sign_is_a_string(tmp_path):
    (tmp_path / "pod.yaml").write_text(
        "kind: Pod\nmetadata: {name: web, namespace: prod, annotations: {x: =}, labels: {a: b}}\n"
    )
    assert ids(load_paths([str(tmp_path)])) == ["prod/web"]


def test_the_same_file_given_twice_is_read_once(tmp_path):
    (tmp_path / "pod.yaml").write_text(POD)
    assert ids(load_paths([str(tmp_path), str(tmp_path / "pod.yaml")])) == ["prod/web"]


def test_a_symlinked_folder_is_followed_once(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "pod.yaml").write_text(POD)
    (tmp_path / "m").mkdir()
    os.symlink(tmp_path / "shared", tmp_path / "m" / "linked")
    os.symlink(tmp_path / "m", tmp_path / "shared" / "loop")  # a cycle must not hang or repeat
    assert ids(load_paths([str(tmp_path / "m")])) == ["prod/web"]
    assert ids(load_paths([str(tmp_path)])) == ["prod/web"]


def test_a_symlinked_file_is_read(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "pod.txt").write_text(POD)
    (tmp_path / "m").mkdir()
    os.symlink(tmp_path / "elsewhere" / "pod.txt", tmp_path / "m" / "pod.yaml")
    assert ids(load_paths([str(tmp_path / "m")])) == ["prod/web"]


def test_an_unreadable_subfolder_is_an_error_not_silently_skipped(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "policy.yaml").write_text(POD)
    real_scandir = os.scandir

    def scandir(path="."):  # as for a folder without read permission (chmod 0 does not stop root)
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(NetguardInputError, match="locked: cannot read: Permission denied"):
        load_paths([str(tmp_path)])


def test_a_duplicate_namespace_names_the_other_file():
    ns = {"kind": "Namespace", "metadata": {"name": "prod"}}
    with pytest.raises(NetguardInputError) as caught:
        build_cluster([("a.yaml", ns), ("b.yaml", ns)])
    assert str(caught.value) == "b.yaml: Namespace prod: duplicate Namespace prod (also defined in a.yaml)"


def test_typed_list_items_without_kind_take_the_lists_item_kind(tmp_path):
    # The API server's typed lists (PodList, NetworkPolicyList, ...) leave kind out of their items.
    (tmp_path / "pods.yaml").write_text(
        "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: web, namespace: prod}\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\n"
        "items:\n- metadata: {name: deny, namespace: prod}\n  spec: {podSelector: {}}\n"
    )
    cluster = load_paths([str(tmp_path)])
    assert ids(cluster) == ["prod/web"]
    assert [p.id for p in cluster.policies] == ["prod/deny"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le"])
def test_files_saved_with_a_byte_order_mark_are_read(tmp_path, encoding):
    text = ("\ufeff" if encoding == "utf-16-le" else "") + POD.replace("\n", "\r\n")
    (tmp_path / "pod.yaml").write_bytes(text.encode(encoding))
    assert ids(load_paths([str(tmp_path)])) == ["prod/web"]


def test_a_binary_file_is_one_error_line(tmp_path):
    (tmp_path / "blob.yaml").write_bytes(b"\x00\x01\xff\xfe\xfa garbage \x80")
    with pytest.raises(NetguardInputError) as caught:
        load_paths([str(tmp_path)])
    assert caught.value.source.endswith("blob.yaml") and "\n" not in str(caught.value)


@pytest.mark.parametrize("api_version", [None, "networking.k8s.io/v1", "extensions/v1beta1"])
def test_network_policies_of_the_kubernetes_api_are_read(api_version):
    # extensions/v1beta1 is the same Kubernetes resource (served until 1.16, converted to
    # networking.k8s.io/v1); `apiVersion: null` is as if it were absent.
    np = {"apiVersion": api_version, "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "prod"},
          "spec": {"podSelector": {}}}
    assert [p.id for p in build_cluster([("np.yaml", np)]).policies] == ["prod/deny"]


def test_network_policies_of_other_products_are_ignored():
    np = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy", "metadata": {"name": "c", "namespace": "prod"},
          "spec": {"selector": "all()"}}
    assert build_cluster([("np.yaml", np)]).policies == ()


@pytest.mark.parametrize("value", ["!!float 1ort", "!!timestamp 2001-13-99x", "!!int abc"])
def test_a_badly_tagged_scalar_is_unreadable_yaml_not_a_crash(tmp_path, value):
    # PyYAML's constructors raise ValueError/AttributeError here, not YAMLError.
    (tmp_path / "pod.yaml").write_text(f"kind: Pod\nmetadata: {{name: web, labels: {{a: {value}}}}}\n")
    with pytest.raises(NetguardInputError) as caught:
        load_paths([str(tmp_path)])
    assert "unreadable YAML" in caught.value.problem and "\n" not in str(caught.value)


def test_a_key_written_twice_in_one_mapping_is_an_error_as_in_kubectl(tmp_path):
    # kubectl: "yaml: unmarshal errors: line 7: mapping key "ingress" already defined at line 5".
    # PyYAML would silently keep the last one, which may open what the first one closed.
    (tmp_path / "np.yaml").write_text(
        "kind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n"
        "  ingress:\n  - from: [{podSelector: {matchLabels: {app: gw}}}]\n  ingress:\n  - {}\n"
    )
    with pytest.raises(NetguardInputError) as caught:
        load_paths([str(tmp_path)])
    error = caught.value
    assert (error.field, error.problem) == ("line 7", "unreadable YAML: mapping key 'ingress' already defined at line 5")


def test_merge_keys_may_be_overridden_without_a_duplicate_error(tmp_path):
    (tmp_path / "pods.yaml").write_text(
        "kind: List\nbase: &base {app: web, tier: fe}\nmore: &more {<<: *base, zone: a}\nitems:\n"
        "- kind: Pod\n  metadata:\n    name: web\n    namespace: prod\n    labels: {<<: *more, tier: be, zone: b}\n"
    )
    web = load_paths([str(tmp_path)]).endpoint("prod/web")
    assert dict(web.labels) == {"app": "web", "tier": "be", "zone": "b"}


def test_an_unquoted_all_decimal_ipv6_pod_ip_is_a_string_not_a_base_60_number(tmp_path):
    # YAML 1.1 (PyYAML) reads 1:2:3:4:5:6:7:8 as a sexagesimal int; kubectl's go-yaml has no base 60.
    (tmp_path / "pod.yaml").write_text("kind: Pod\nmetadata: {name: web, namespace: prod}\nstatus: {podIP: 1:2:3:4:5:6:7:8}\n")
    assert load_paths([str(tmp_path)]).endpoint("prod/web").ip == "1:2:3:4:5:6:7:8"


def test_plain_numbers_stay_numbers(tmp_path):
    (tmp_path / "pod.yaml").write_text(
        "kind: Pod\nmetadata: {name: web, namespace: prod}\n"
        "spec: {containers: [{name: c, ports: [{containerPort: 8080}, {containerPort: 0x50}, {containerPort: 1_000}]}]}\n"
    )
    assert [p.port for p in load_paths([str(tmp_path)]).endpoint("prod/web").ports] == [80, 1000, 8080]
