"""`netguard reach/explain --layer`: the combined verdict by default, each point on demand."""

from __future__ import annotations

import json

import yaml

from mesh_world import SIDECAR_NS, authz, namespace, pod
from netguard.cli import main

OBJECTS = [
    namespace("app", SIDECAR_NS), namespace("client", SIDECAR_NS),
    pod("app", "server", "server"), pod("client", "good", "good"), pod("client", "bad", "bad"),
    authz("app", "allow-good", {"rules": [{"from": [{"source": {"principals": ["cluster.local/ns/client/sa/good"]}}],
                                           "to": [{"operation": {"ports": ["8080"]}}]}]}),
]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump_all(OBJECTS))
    return str(path)


def flows(out):
    return {(f["from"], f["to"]) for f in json.loads(out)["allowed"]}


def test_reach_layers(capsys, tmp_path):
    path = write(tmp_path)
    code, out, _ = run(capsys, "reach", path, "--probe", "8080/TCP")
    assert code == 0 and ("client/good", "app/server") in flows(out) and ("client/bad", "app/server") not in flows(out)
    _, out, _ = run(capsys, "reach", path, "--probe", "8080/TCP", "--layer", "datapath")
    assert ("client/bad", "app/server") in flows(out)
    _, out, _ = run(capsys, "reach", path, "--probe", "8080/TCP", "--layer", "mesh")
    assert ("client/bad", "app/server") not in flows(out) and ("app/server", "client/bad") in flows(out)


def test_explain_says_which_point_denied_and_why(capsys, tmp_path):
    code, out, _ = run(capsys, "explain", write(tmp_path), "--from", "client/bad", "--to", "app/server",
                       "--probe", "8080/TCP")
    assert code == 0 and out.splitlines()[0].endswith(": denied")
    assert "mesh: denied, mutual TLS: ALLOW AuthorizationPolicy app/allow-good selects app/server" in out
    assert "as cluster.local/ns/client/sa/bad" in out and out.rstrip().endswith("denied by: the mesh")
    _, out, _ = run(capsys, "explain", write(tmp_path), "--from", "client/bad", "--to", "app/server",
                    "--probe", "8080/TCP", "--format", "json")
    data = json.loads(out)
    assert data["decided_by"] == ["mesh"] and data["mesh"]["encrypted"] and data["layer"] == "all"


def test_an_unknown_layer_is_a_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, "reach", write(tmp_path), "--layer", "cni")
    assert code == 2 and "cni" in err
