"""netguard report: the four formats over the platform fixture, the model's findings, the md cap."""

from __future__ import annotations

import json
import re

import pytest

from report_paths import PLATFORM, golden
from netguard.commands import with_address_ranges
from netguard.loader import build_cluster, load_paths
from netguard.ports import PortSet
from netguard.report.build import build_report
from netguard.report.md import render_md
from netguard.report.model import ports_text


def platform_report():
    (analyzer,) = with_address_ranges(load_paths([PLATFORM]))
    return build_report(analyzer, ["platform"])


def world_report(objects, externals=()):
    (analyzer,) = with_address_ranges(build_cluster([("m.yaml", o) for o in objects], externals))
    return build_report(analyzer)


def pod(ns, name, labels=None, ports=()):
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": name}},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": p} for p in ports]}]}}


def test_txt_is_netpol_analyzer_lines(netguard):
    code, out, _ = netguard("report", PLATFORM, "--format", "txt")
    assert code == 0
    assert out == golden("platform.txt", out)
    lines = out.splitlines()
    assert lines == sorted(lines)
    assert "ai-gateway/router[Deployment] => ai-serving/llm-server[Deployment] : TCP 8000" in lines
    assert "ai-training/trainer[Job] => 203.0.113.0-203.0.113.255 : TCP 443" in lines
    assert "ai-gateway/router[Deployment] => kube-system/coredns[Deployment] : TCP 53,UDP 53" in lines
    assert "kube-system/coredns[Deployment] => monitoring/prometheus[Deployment] : All Connections" in lines
    # nothing to or from training but DNS and its allowlist
    assert not [l for l in lines if "=> ai-training/" in l]


def test_without_any_policy_the_internet_is_one_range(netguard, tmp_path):
    (tmp_path / "m.yaml").write_text(json.dumps(pod("x", "a")))
    code, out, _ = netguard("report", tmp_path, "--format", "txt")
    assert out.splitlines() == ["0.0.0.0-255.255.255.255 => x/a[Pod] : All Connections",
                                "x/a[Pod] => 0.0.0.0-255.255.255.255 : All Connections"]


def test_json_contract(netguard):
    code, out, _ = netguard("report", PLATFORM, "--format", "json")
    doc = json.loads(out)
    assert doc["schema"] == "netguard.report/v1"
    by_pair = {(c["from"], c["to"]): c for c in doc["connections"]}
    scrape = by_pair[("monitoring/prometheus", "ai-serving/llm-server")]
    assert scrape["ports"] == {"TCP": [[9090, 9090]]}
    ingress = scrape["admitted_by"]["ingress"]
    assert ingress["isolated"] is True
    assert ingress["rules"] == [{"kind": "NetworkPolicy", "policy": "ai-serving/allow-metrics-scrape",
                                 "layer": "platform", "tier": None, "rule": 1,
                                 "description": ingress["rules"][0]["description"], "ports": {"TCP": [[9090, 9090]]}}]
    assert ingress["default"] == {}
    egress = scrape["admitted_by"]["egress"]
    assert egress["isolated"] is False and egress["rules"] == []  # monitoring has no policy:
    assert egress["default"] == {"TCP": [[9090, 9090]]}  # allowed by the API's default
    dns = by_pair[("ai-data/vector-db", "kube-system/coredns")]
    assert dns["ports"] == {"TCP": [[53, 53]], "UDP": [[53, 53]]}
    assert [r["layer"] for r in dns["admitted_by"]["egress"]["rules"]] == ["platform"]
    summary = doc["summary"]
    assert summary["namespaces"] == 6 and summary["workloads"] == 6
    assert summary["policies"] == {"NetworkPolicy": {"baseline": 4, "egress": 1, "flow": 4, "platform": 5}}
    assert summary["not_isolated"] == {"Ingress": 2, "Egress": 2}
    assert "ai-training/trainer" in summary["reaching_outside"]
    assert summary["connections"] == len(doc["connections"])
    assert doc["workloads_without_isolation"]["Ingress"] == ["kube-system/coredns", "monitoring/prometheus"]
    assert sorted(doc["connections"], key=lambda c: (c["from"], c["to"])) == doc["connections"]


def test_findings_a_reviewer_must_see():
    report = platform_report()
    kinds = {(f.kind, f.subject) for f in report.findings}
    assert ("not-isolated", "monitoring/prometheus") in kinds
    assert ("internet-egress", "ai-training/trainer") in kinds
    assert ("internet-ingress", "kube-system/coredns") in kinds
    assert ("every-namespace", "kube-system/coredns") in kinds  # every namespace has DNS
    assert ("every-namespace", "ai-serving/llm-server") not in kinds


def test_allow_all_rules_are_findings():
    policy = {"kind": "NetworkPolicy", "metadata": {"name": "open", "namespace": "x"},
              "spec": {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}, {}]}}
    report = world_report([pod("x", "a"), pod("y", "b"), policy])
    messages = [f.message for f in report.findings if f.kind == "allow-all-rule"]
    assert len(messages) == 2
    assert "rule 1 admits all pods in all namespaces on every port" in messages[0]
    assert "rule 2 admits any peer" in messages[1]


@pytest.mark.parametrize("ports, text", [
    ({"TCP": PortSet.of([(8000, 8000), (9090, 9090)]), "UDP": PortSet.of([(53, 53)])}, "TCP 8000, 9090; UDP 53"),
    ({"TCP": PortSet.of([(1000, 2000)])}, "TCP 1000-2000"),
    ({p: PortSet.everything() for p in ("TCP", "UDP", "SCTP")}, "all"),
    ({"TCP": PortSet.everything()}, "TCP all"),
])
def test_port_sets_read_as_a_reviewer_writes_them(ports, text):
    assert ports_text(ports) == text


def test_md_summary_first_then_picture_and_details(netguard):
    code, out, _ = netguard("report", PLATFORM, "--format", "md")
    assert code == 0
    assert out.index("### Summary") < out.index("### Findings") < out.index("```mermaid") < out.index("<details>")
    assert "| policies (per kind and layer) | NetworkPolicy: 4 baseline, 1 egress, 4 flow, 5 platform |" in out
    chart = out[out.index("```mermaid"):out.index("```", out.index("```mermaid") + 3)]
    assert chart.startswith("```mermaid\nflowchart LR")
    for namespace in ("ai-gateway", "ai-serving", "ai-data", "ai-training", "kube-system", "monitoring"):
        assert f'["{namespace}"]' in chart
    assert 'subgraph ns6["outside the cluster"]' in chart
    assert re.search(r'n\d+ -->\|"TCP 8000"\| n\d+', chart)
    assert out.count("<details>") == out.count("</details>") == 2


def test_md_merges_identical_peers():
    objects = [pod("x", f"worker-{i}", {"app": "worker"}) for i in range(3)] + [pod("x", "api", ports=[80])]
    objects.append({"kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "x"},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})
    objects.append({"kind": "NetworkPolicy", "metadata": {"name": "api", "namespace": "x"},
                    "spec": {"podSelector": {"matchLabels": {"app": "api"}},
                             "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "worker"}}}]}]}})
    objects.append({"kind": "NetworkPolicy", "metadata": {"name": "workers", "namespace": "x"},
                    "spec": {"podSelector": {"matchLabels": {"app": "worker"}}, "policyTypes": ["Egress"],
                             "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "api"}}}], "ports": [{"port": 80}]}]}})
    md = render_md(world_report(objects))
    assert '["worker-0, worker-1, worker-2"]' in md
    assert md.count('-->|"TCP 80"|') == 1


def test_md_is_cut_under_the_cap_and_says_what_was_cut():
    objects = [pod(f"ns{i % 7}", f"w{i}", {"app": f"w{i}"}) for i in range(120)]  # no policy: all to all
    report = world_report(objects)
    md = render_md(report)
    assert len(md) <= 60_000
    assert "**Cut to stay under 60,000 characters:**" in md
    assert re.search(r"connections: \d+ of 14\d{3} left out", md)
    assert "One node per namespace" in md  # 120 distinct workloads do not make a readable chart


def test_a_picture_too_big_for_the_cap_is_said_to_be_cut():
    objects = [pod(f"ns{i}", "w") for i in range(60)]  # 60 namespaces, all to all: 3,540 edges even by namespace
    md = render_md(world_report(objects), cap=20_000)
    assert len(md) <= 20_000
    assert "```mermaid" not in md and "the picture (left out whole)" in md
    small = render_md(platform_report())
    assert "Cut to stay under" not in small


def test_html_is_self_contained(netguard, tmp_path):
    target = tmp_path / "report.html"
    code, out, _ = netguard("report", PLATFORM, "--format", "html", "--output", target)
    assert code == 0 and out == ""
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<svg id=\"picture\"" in page and page.count('class="namespace"') == 7  # six and the outside
    assert 'class="frame external"' in page
    assert '<option value="ai-serving">ai-serving</option>' in page
    assert "<script>" in page and "filter-workload" in page


def test_names_are_escaped_in_html_and_md():
    report = world_report([pod("x", "a"), pod("x", "b")])
    assert "<script>alert" not in render_md(report)


def test_report_exit_codes(netguard, tmp_path):
    code, _, err = netguard("report", tmp_path / "missing", "--format", "txt")
    assert code == 2 and err.count("\n") == 1 and "no such file or folder" in err
    code, _, err = netguard("report", PLATFORM, "--format", "pdf")
    assert code == 2
    code, _, err = netguard("report", PLATFORM, "--output", tmp_path / "no" / "such" / "dir.md")
    assert code == 1 and err.startswith("netguard: cannot write")
