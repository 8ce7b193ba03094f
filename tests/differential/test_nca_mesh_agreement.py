"""The mesh layer against np-guard's NCA, which reads Istio AuthorizationPolicies with NetworkPolicies.

scripts/differential_nca_mesh.py turns random NetworkPolicy sets into meshed clusters and compares
both tools; its docstring lists what NCA models differently and how each difference is accounted
for. The cases under cases/nca-mesh-* pin Istio's answer where NCA 2.1.0 gets it wrong (or fails):
netguard must give it, and NCA as written must not (else the accounting is stale).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import differential_nca  # noqa: E402
import differential_nca_mesh  # noqa: E402
from test_nca_agreement import _expectations, _require, _verdicts  # noqa: E402

CASES = Path(__file__).resolve().parent / "cases"


@pytest.fixture(scope="module")
def nca() -> str:
    return _require("NCA", differential_nca.find_nca(), "run scripts/install-nca.sh and set NETGUARD_NCA")


@pytest.fixture(scope="module")
def netguard() -> str:
    return _require("netguard", differential_nca.find_netguard(), "pip install -e . in the project venv")


def test_netguard_agrees_with_nca_on_random_meshed_sets(nca, netguard):
    lines: list[str] = []
    disagreeing, flows, _ = differential_nca_mesh.run(8, "ci", nca, netguard, log=lines.append)
    assert flows > 0, "no allowed flow at all: the comparison proved nothing"
    assert not disagreeing, "netguard and NCA disagree:\n" + "\n".join(lines)


def test_generated_meshed_sets_use_every_modelled_field():
    text = "".join(str(differential_nca_mesh.meshed_set(f"features-{i}")) for i in range(40))
    for feature in ["'notPrincipals'", "'namespaces'", "'notNamespaces'", "'ipBlocks'", "'notPorts'",
                    "'source.principal'", "'destination.port'", "'DENY'", "'istio-system'", "'selector'",
                    "'serviceAccountName'", "'*'"]:
        assert feature in text, f"no generated set uses {feature}"


def _externals(expectations) -> list[str]:
    return sorted({src.partition("/")[2] for src, *_ in expectations if src.startswith("external/")})


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.name.startswith("nca-mesh-")))
def test_mesh_repro_case_gets_istios_answer_and_nca_does_not(case, nca, netguard, tmp_path):
    folder = CASES / case
    expectations = _expectations(folder)
    expected = [allowed for *_, allowed in expectations]
    probes = sorted({(port, proto) for _, _, port, proto, _ in expectations})
    externals = _externals(expectations)
    assert _verdicts(differential_nca.netguard_flows(netguard, folder, probes, externals), expectations) == expected
    try:
        as_written = _verdicts(differential_nca_mesh.nca_mesh_flows(nca, folder, probes, externals), expectations)
    except RuntimeError:
        return  # NCA fails on the case: the deviation still stands
    assert as_written != expected, "NCA now gets this case right: drop its accounting from differential_nca_mesh"
    manifests = [doc for doc in yaml.safe_load_all((folder / "manifests.yaml").read_text()) if doc]
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(differential_nca_mesh.nca_copy(manifests)))
    fixed = _verdicts(differential_nca_mesh.nca_mesh_flows(nca, tmp_path, probes, externals), expectations)
    if case == "nca-mesh-root-namespace":
        assert fixed == expected  # the rewrite the differential gives NCA means the same to Istio
