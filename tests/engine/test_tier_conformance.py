"""The network-policy-api conformance suite, every test and every step, on both tier APIs and both paths.

Each step's expected verdicts (tier_conformance/cnp_v0.2.0.yaml) must be the engine's answer for
the policies as ClusterNetworkPolicy (v1alpha2) and as AdminNetworkPolicy/BaselineAdminNetworkPolicy
(v1alpha1), from the per-pair path (``allowed``) and from the whole matrix (classes + bitsets).
"""

from __future__ import annotations

import pathlib

import pytest
import yaml

from netguard.analysis import Analyzer
from netguard.loader import build_cluster

from tier_world import apply_change, endpoint, manifests, scenario

TABLE = yaml.safe_load((pathlib.Path(__file__).parent / "tier_conformance" / "cnp_v0.2.0.yaml").read_text())


def _steps():
    for name, test in TABLE["tests"].items():
        yield pytest.param(name, test, id=name)


def _expectations(step):
    for line in step["expect"]:
        source, destination, probe, verdict = line.split()
        port, protocol = probe.split("/")
        yield endpoint(source), endpoint(destination), int(port), protocol, verdict == "allowed"


@pytest.mark.parametrize("api", ["v1alpha2", "v1alpha1"])
@pytest.mark.parametrize("name, test", list(_steps()))
def test_conformance_steps(name, test, api):
    policies, nps = scenario(TABLE, test)
    for number, step in enumerate(test["steps"], start=1):
        for change in step["change"]:
            apply_change(policies, nps, change)
        analyzer = Analyzer(build_cluster([("conformance.yaml", m) for m in manifests(policies, nps, api)]))
        expected = list(_expectations(step))
        matrix = set(analyzer.matrix([(port, protocol) for _, _, port, protocol, _ in expected]))
        for source, destination, port, protocol, allowed in expected:
            where = f"{name} step {number} ({step['name']}): {source} -> {destination} {port}/{protocol}"
            assert analyzer.allowed(source, destination, port, protocol) is allowed, where
            assert ((source, destination, port, protocol) in matrix) is allowed, where + " (matrix)"
            explanation = analyzer.explain(source, destination, port, protocol)
            assert explanation.allowed is allowed, where + " (explain)\n" + explanation.to_text()


def test_the_tables_cover_every_upstream_test_but_the_node_ones():
    assert len(TABLE["tests"]) == 22
    assert sum(len(s["expect"]) for t in TABLE["tests"].values() for s in t["steps"]) == 280
