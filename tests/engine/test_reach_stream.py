"""`netguard reach` writes its matrix in pieces: the same bytes as the whole JSON document."""

from __future__ import annotations

import json

import pytest

from netguard import views
from netguard.analysis import Analyzer
from netguard.cli import main
from netguard.loader import load_paths
from netguard.views import reach_json, reach_table

pytestmark = pytest.mark.usefixtures("yaml_path")


def platform(namespaces: int) -> str:
    docs = []
    for i in range(namespaces):
        ns = f"t{i}"
        for app, port in (("gw", 8080), ("llm", 8000), ("db", 5432)):
            docs.append(f"kind: Deployment\nmetadata: {{name: {app}, namespace: {ns}}}\nspec:\n  template:\n"
                        f"    metadata: {{labels: {{app: {app}}}}}\n"
                        f"    spec: {{containers: [{{name: c, ports: [{{containerPort: {port}}}]}}]}}\n")
        docs.append(f"kind: NetworkPolicy\nmetadata: {{name: llm, namespace: {ns}}}\n"
                    "spec: {podSelector: {matchLabels: {app: llm}}, ingress: [{from: [{podSelector: {matchLabels: {app: gw}}}]}]}\n")
    return "---\n".join(docs)


@pytest.mark.parametrize("chunk", [1, 3, 4096])
def test_the_streamed_json_is_byte_identical_to_the_whole_document(capsys, tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(views, "_CHUNK", chunk)
    (tmp_path / "p.yaml").write_text(platform(3))
    assert main(["reach", str(tmp_path), "--external", "8.8.8.8"]) == 0
    streamed = capsys.readouterr().out
    analyzer = Analyzer(load_paths([str(tmp_path)], ["8.8.8.8"]))
    probes = analyzer.declared_probes()
    assert streamed == json.dumps(reach_json(probes, analyzer.matrix(probes))) + "\n"
    assert len(json.loads(streamed)["allowed"]) > 10


def test_no_allowed_flow_is_still_the_same_document(capsys, tmp_path):
    workloads = "---\n".join(platform(1).split("---\n")[:3])  # without the allowing policy
    (tmp_path / "p.yaml").write_text(workloads + "---\nkind: NetworkPolicy\nmetadata: {name: d, namespace: t0}\n"
                                     "spec: {podSelector: {}, policyTypes: [Ingress]}\n")
    assert main(["reach", str(tmp_path), "--probe", "8000/TCP"]) == 0
    assert capsys.readouterr().out == json.dumps(reach_json([(8000, "TCP")], [])) + "\n"


def test_the_streamed_table_is_the_whole_table(capsys, tmp_path):
    (tmp_path / "p.yaml").write_text(platform(2))
    assert main(["reach", str(tmp_path), "--format", "table"]) == 0
    analyzer = Analyzer(load_paths([str(tmp_path)]))
    probes = analyzer.declared_probes()
    whole = reach_table([e.id for e in analyzer.cluster.endpoints], probes, analyzer.matrix(probes))
    assert capsys.readouterr().out == whole + "\n"


def test_the_matrix_streams_in_its_sorted_order(tmp_path):
    (tmp_path / "p.yaml").write_text(platform(3))
    analyzer = Analyzer(load_paths([str(tmp_path)]))
    probes = [(8000, "TCP"), (8080, "TCP"), (5432, "TCP"), (53, "UDP")]
    flows = list(analyzer.iter_matrix(probes))
    assert flows == sorted(flows) and len(set(flows)) == len(flows)
    per_probe = {f for p in probes for f in analyzer.matrix([p])}
    assert set(flows) == per_probe
