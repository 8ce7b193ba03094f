"""netguard must agree with an independent analyser, np-guard's network-config-analyzer (NCA).

The differential runs both tools on seeded random policy sets (scripts/gen_policies.py) and compares
the allowed (source, destination, port, protocol) sets; see scripts/differential_nca.py.
NCA lives in its own virtualenv (scripts/install-nca.sh); the test reads its path from NETGUARD_NCA.
In CI (CI=true) a missing NCA fails the test: the proof must never be skipped silently there.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import differential_nca  # noqa: E402
import gen_policies  # noqa: E402

SETS = 24
SEED = "ci"


def _require(tool: str, path: str | None, hint: str) -> str:
    if path:
        return path
    message = f"{tool} is not installed: {hint}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def nca() -> str:
    return _require("NCA", differential_nca.find_nca(),
                    "run scripts/install-nca.sh and set NETGUARD_NCA to the path it prints")


@pytest.fixture(scope="module")
def netguard() -> str:
    return _require("netguard", differential_nca.find_netguard(), "pip install -e . in the project venv")


def test_netguard_agrees_with_nca_on_random_policy_sets(nca, netguard, tmp_path):
    lines: list[str] = []
    results = differential_nca.run(SETS, SEED, nca, netguard, failures=tmp_path / "failures", log=lines.append)
    assert len(results) == SETS
    assert sum(r.flows for r in results) > 0, "no allowed flow at all: the comparison proved nothing"
    assert not lines, "netguard and NCA disagree:\n" + "\n".join(lines)


@pytest.mark.parametrize("text, allowed, denied", [
    ("All connections", [(1, "SCTP"), (65535, "UDP")], []),
    ("No connections", [], [(80, "TCP")]),
    ("{protocols:TCP,dst_ports:80,1000-2000}", [(80, "TCP"), (1500, "TCP")], [(81, "TCP"), (80, "UDP")]),
    ("{protocols:TCP, UDP,dst_ports:53}", [(53, "TCP"), (53, "UDP")], [(53, "SCTP")]),
    ("{protocols:SCTP},{protocols:TCP,dst_ports:5}", [(9, "SCTP"), (5, "TCP")], [(6, "TCP")]),
    ("All but {protocols:UDP,dst_ports:53}", [(53, "TCP"), (54, "UDP")], [(53, "UDP")]),
    ("{protocols:all but TCP, UDP}", [(1, "SCTP")], [(1, "TCP"), (1, "UDP")]),
    ("{dst_ports:443}", [(443, "SCTP"), (443, "TCP")], [(444, "TCP")]),
])
def test_nca_connection_sets_are_read_as_kubernetes_means_them(text, allowed, denied):
    admits = differential_nca.parse_connections(text)
    assert all(admits(*probe) for probe in allowed)
    assert not any(admits(*probe) for probe in denied)


def test_nca_endpoint_names_map_to_netguard_ids():
    externals = ["10.1.2.3", "8.8.8.8", "192.168.1.1"]
    assert differential_nca._nca_endpoints("ns-a/web[Deployment]", externals) == ["ns-a/web"]
    assert differential_nca._nca_endpoints("0.0.0.0-9.255.255.255,11.0.0.0-192.167.255.255", externals) == [
        "external/8.8.8.8"]
    assert differential_nca._nca_endpoints("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", externals) == []
    assert differential_nca._nca_endpoints("2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff",
                                           externals + ["2001:db8::1", "2001:db8:1::1"]) == ["external/2001:db8::1"]


def test_generator_is_deterministic_per_seed(tmp_path):
    first = gen_policies.generate("s-1").write(tmp_path / "a")
    second = gen_policies.generate("s-1").write(tmp_path / "b")
    other = gen_policies.generate("s-2").write(tmp_path / "c")

    def contents(folder: Path) -> dict[str, str]:
        return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}

    assert contents(first) == contents(second)
    assert contents(first) != contents(other)


def test_generated_sets_use_every_policy_feature():
    text = "".join(str(gen_policies.generate(f"features-{i}").manifests()) for i in range(40))
    for feature in ["'NotIn'", "'DoesNotExist'", "'Exists'", "'In'", "'endPort'", "'except'", "'SCTP'",
                    "'UDP'", "'namespaceSelector'", "'ipBlock'", "'policyTypes'", "'ingress': []",
                    "'egress': []", "'from': []", "'ports': []", "'podSelector': {}", "'port': 'http'",
                    "'kubernetes.io/metadata.name'", "'CronJob'", "'DaemonSet'", "'ReplicaSet'", "'Job'"]:
        assert feature in text, f"no generated set uses {feature}"


CASES = Path(__file__).resolve().parent / "cases"


def _expectations(case: Path) -> list[tuple[str, str, int, str, bool]]:
    rows = []
    for line in (case / "EXPECT").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            src, dst, probe, verdict = line.split()
            port, proto = probe.split("/")
            rows.append((src, dst, int(port), proto, verdict == "allowed"))
    return rows


def _verdicts(flows: set, expectations: list) -> list[bool]:
    return [(src, dst, port, proto) in flows for src, dst, port, proto, _ in expectations]


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()
                                        if (p / "EXPECT").is_file() and not p.name.startswith("nca-mesh-")))
def test_repro_case_gets_the_kubernetes_answer(case, nca, netguard, tmp_path):
    """Each case under cases/ pins a Kubernetes answer (EXPECT) that one tool once got wrong.
    netguard must always give it. A case named nca-* shows a deviation of NCA: NCA on the manifests
    as written must miss it, and NCA on nca_equivalent's rewrite must give it; any other case is a
    netguard regression, where NCA gives the Kubernetes answer as written."""
    folder = CASES / case
    expectations = _expectations(folder)
    expected = [allowed for *_, allowed in expectations]
    probes = sorted({(port, proto) for _, _, port, proto, _ in expectations})
    assert _verdicts(differential_nca.netguard_flows(netguard, folder, probes, []), expectations) == expected

    as_written = _verdicts(differential_nca.nca_flows(nca, folder, probes, []), expectations)
    if not case.startswith("nca-"):
        assert as_written == expected
        return
    assert as_written != expected, "NCA now gets this case right: drop its rewrite from nca_equivalent"
    manifests = [doc for doc in yaml.safe_load_all((folder / "manifests.yaml").read_text()) if doc]
    rewritten, count = differential_nca.nca_equivalent(manifests)
    assert count >= 1
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(rewritten))
    assert _verdicts(differential_nca.nca_flows(nca, tmp_path, probes, []), expectations) == expected
