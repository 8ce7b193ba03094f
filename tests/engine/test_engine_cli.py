"""The netguard command: reach (json, table), explain (text, json), exit codes and error lines."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from netguard.analysis import Analyzer
from netguard.cli import main
from netguard.loader import load_paths

# Every test reads its manifests with both YAML paths (tests/engine/conftest.py).
pytestmark = pytest.mark.usefixtures("yaml_path")

MANIFESTS = textwrap.dedent("""\
    apiVersion: v1
    kind: Namespace
    metadata: {name: ai-gateway}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: router, namespace: ai-gateway}
    spec:
      template:
        metadata: {labels: {app: router}}
        spec: {containers: [{name: c, ports: [{containerPort: 443}]}]}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: llm-server, namespace: ai-inference}
    spec:
      template:
        metadata: {labels: {app: llm}}
        spec: {containers: [{name: c, ports: [{containerPort: 8080, name: http}, {containerPort: 9090, protocol: UDP}]}]}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: default-deny, namespace: ai-inference}
    spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: allow-gateway, namespace: ai-inference}
    spec:
      podSelector: {matchLabels: {app: llm}}
      ingress:
      - from:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ai-gateway}}
          podSelector: {matchLabels: {app: router}}
        ports: [{port: http}]
    """)


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    (tmp_path / "platform.yaml").write_text(MANIFESTS)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_reach_json_lists_allowed_flows_for_declared_probes(capsys, manifests):
    code, out, err = run(capsys, "reach", str(manifests))
    assert code == 0 and err == ""
    answer = json.loads(out)
    assert answer["probes"] == ["443/TCP", "8080/TCP", "9090/UDP"]
    assert answer["allowed"] == [
        {"from": "ai-gateway/router", "to": "ai-inference/llm-server", "port": 8080, "protocol": "TCP"},
    ]


def test_reach_probes_every_pair_even_where_nobody_listens(capsys, manifests):
    code, out, _ = run(capsys, "reach", str(manifests), "--probe", "22/TCP", "--external", "8.8.8.8")
    flows = {(f["from"], f["to"]) for f in json.loads(out)["allowed"]}
    assert code == 0
    assert json.loads(out)["probes"] == ["22/TCP"]
    assert flows == {("ai-gateway/router", "external/8.8.8.8"), ("external/8.8.8.8", "ai-gateway/router")}


def test_reach_probes_are_sorted_by_port_then_protocol(capsys, manifests):
    _, out, _ = run(capsys, "reach", str(manifests), "--probe", "81/TCP", "--probe", "80/UDP", "--probe", "80/TCP")
    assert json.loads(out)["probes"] == ["80/TCP", "80/UDP", "81/TCP"]


def test_reach_table_is_a_readable_matrix(capsys, manifests):
    code, out, _ = run(capsys, "reach", str(manifests), "--probe", "8080/TCP", "--format", "table")
    assert code == 0
    assert "Probe 8080/TCP:" in out
    grid = out.split("Probe 8080/TCP:\n")[1].splitlines()
    assert grid[1].split() == ["1", "ai-gateway/router", "-", "+"]
    assert grid[2].split() == ["2", "ai-inference/llm-server", ".", "-"]


def test_explain_text_names_policy_rule_and_peers(capsys, manifests):
    code, out, _ = run(capsys, "explain", str(manifests), "--from", "ai-gateway/router",
                       "--to", "ai-inference/llm-server", "--probe", "8080/TCP")
    assert code == 0
    assert out.splitlines()[0] == "ai-gateway/router -> ai-inference/llm-server on 8080/TCP: allowed"
    assert ("NetworkPolicy ai-inference/allow-gateway selects ai-inference/llm-server; "
            "rule 1 admits ai-gateway/router on 8080/TCP") in out
    assert "NetworkPolicy ai-inference/default-deny selects ai-inference/llm-server; no ingress rule admits" in out
    assert "egress of ai-gateway/router: allowed, not isolated" in out


def test_explain_a_denied_connection(capsys, manifests):
    code, out, _ = run(capsys, "explain", str(manifests), "--from", "ai-inference/llm-server",
                       "--to", "ai-gateway/router", "--probe", "443/TCP")
    assert code == 0
    assert out.splitlines()[0].endswith(": denied")
    assert "egress of ai-inference/llm-server: denied, isolated by NetworkPolicy ai-inference/default-deny" in out


def test_explain_json(capsys, manifests):
    code, out, _ = run(capsys, "explain", str(manifests), "--from", "ai-gateway/router",
                       "--to", "ai-inference/llm-server", "--probe", "9090/UDP", "--format", "json")
    answer = json.loads(out)
    assert code == 0 and answer["allowed"] is False
    assert answer["ingress"]["selecting"] == ["ai-inference/allow-gateway", "ai-inference/default-deny"]
    assert answer["ingress"]["admitting"] == []
    assert answer["egress"]["isolated"] is False


@pytest.mark.parametrize("argv, fragment", [
    (["reach", "{dir}", "--probe", "80"], "--probe: '80' is not PORT/PROTOCOL"),
    (["reach", "{dir}", "--probe", "80/tcp"], "--probe: '80/tcp' is not PORT/PROTOCOL"),
    (["reach", "{dir}", "--probe", "0/TCP"], "--probe: port 0 is outside 1-65535"),
    (["reach", "{dir}", "--external", "not an ip!"], "--external: 'not an ip!' is neither an IPv4 or IPv6 address nor a DNS name"),
    (["reach", "{dir}", "--external", "10.0.0.300"], "--external: '10.0.0.300' is not a valid"),
    (["reach", "{dir}/missing"], "missing: no such file or folder"),
    (["reach"], "the following arguments are required"),
    (["reach", "{dir}", "--format", "xml"], "invalid choice"),
    (["explain", "{dir}", "--from", "x/nope", "--to", "ai-gateway/router", "--probe", "80/TCP"],
     "--from: no endpoint 'x/nope'"),
    (["explain", "{dir}", "--from", "ai-gateway/router", "--to", "x/nope", "--probe", "80/TCP"],
     "--to: no endpoint 'x/nope'"),
    (["explain", "{dir}", "--from", "ai-gateway/router", "--to", "ai-inference/llm-server"], "--probe"),
    (["explain", "{dir}", "--from", "ai-gateway/router", "--to", "ai-gateway/router", "--probe", "80/TCP"],
     "traffic of an endpoint to itself is not evaluated"),
])
def test_bad_input_exits_2_with_one_line(capsys, manifests, argv, fragment):
    code, out, err = run(capsys, *[a.format(dir=manifests) for a in argv])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and fragment in err


def test_bad_manifest_exits_2_naming_file_object_and_field(capsys, tmp_path):
    (tmp_path / "p.yaml").write_text(
        "kind: NetworkPolicy\nmetadata: {name: allow-gw, namespace: ai-inference}\n"
        "spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/16]}\n"
    )
    code, _, err = run(capsys, "reach", str(tmp_path))
    assert code == 2
    assert err.strip() == (f"netguard: {tmp_path / 'p.yaml'}: NetworkPolicy ai-inference/allow-gw: "
                           "spec.ingress[0].from[0].ipBlock.except[0]: 10.1.0.0/16 is not inside cidr 10.0.0.0/16")


def test_the_installed_command_runs(manifests):
    done = subprocess.run([str(Path(sys.executable).parent / "netguard"), "reach", str(manifests), "--probe", "8080/TCP"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["allowed"][0]["to"] == "ai-inference/llm-server"


def test_python_api_answers_like_the_command(manifests):
    analyzer = Analyzer(load_paths([str(manifests)]))
    assert analyzer.isolated("ai-inference/llm-server", "Ingress")
    assert analyzer.isolated("ai-inference/llm-server", "Egress")
    assert not analyzer.isolated("ai-gateway/router", "Ingress")
    ports = analyzer.allowed_ports("ai-gateway/router", "ai-inference/llm-server")
    assert ports["TCP"].ranges() == ((8080, 8080),) and ports["UDP"].is_empty() and ports["SCTP"].is_empty()
    assert analyzer.allowed("ai-gateway/router", "ai-inference/llm-server", 8080, "TCP")
    assert not analyzer.allowed("ai-gateway/router", "ai-inference/llm-server", 8081, "TCP")
    explanation = analyzer.explain("ai-gateway/router", "ai-inference/llm-server", 8080, "TCP")
    assert explanation.ingress.admitting == (
        ("ai-inference/allow-gateway", 1,
         "from pods with app=router in namespaces with kubernetes.io/metadata.name=ai-gateway on port named http/TCP"),
    )
    assert explanation.to_dict()["allowed"] is True


def test_a_probe_port_is_ascii_digits(capsys, manifests):
    code, _, err = run(capsys, "reach", str(manifests), "--probe", "\u0668\u0660/TCP")  # Arabic-Indic "80"
    assert code == 2 and "--probe" in err and err.count("\n") == 1


def test_explain_of_an_external_not_given_says_how_to_add_it(capsys, manifests):
    code, _, err = run(capsys, "explain", str(manifests), "--from", "ai-gateway/router",
                       "--to", "external/8.8.8.8", "--probe", "443/TCP")
    assert code == 2 and err.count("\n") == 1
    assert "--to: no endpoint 'external/8.8.8.8' in the manifests (add it with --external 8.8.8.8)" in err


def test_reach_table_counts_allowed_pairs_per_probe(capsys, manifests):
    _, out, _ = run(capsys, "reach", str(manifests), "--probe", "8080/TCP", "--format", "table")
    assert "Allowed on 8080/TCP: 1 of 2 ordered pairs." in out


def test_reach_table_without_probes_says_so(capsys, tmp_path):
    (tmp_path / "p.yaml").write_text("kind: Pod\nmetadata: {name: a}\n")
    code, out, _ = run(capsys, "reach", str(tmp_path), "--format", "table")
    assert code == 0 and "No probes: no endpoint declares a container port; give --probe PORT/PROTOCOL." in out


class _FailingStdout:
    def __init__(self, error: OSError) -> None:
        self.error = error

    def write(self, text: str) -> int:
        raise self.error

    def flush(self) -> None:
        raise self.error


def test_an_output_that_cannot_be_written_is_one_line_not_a_traceback(capsys, monkeypatch, manifests):
    monkeypatch.setattr(sys, "stdout", _FailingStdout(OSError(28, "No space left on device")))
    code = main(["reach", str(manifests)])
    assert code == 1
    assert capsys.readouterr().err == "netguard: cannot write the output: No space left on device\n"


def test_a_reader_that_stops_early_is_no_error(capsys, monkeypatch, manifests):
    monkeypatch.setattr(sys, "stdout", _FailingStdout(BrokenPipeError(32, "Broken pipe")))  # | head
    assert main(["reach", str(manifests)]) == 0
    assert capsys.readouterr().err == ""


def test_explain_finds_an_external_however_its_address_is_spelt(capsys, manifests):
    # Ids use the canonical address (external/2001:db8::1); the user may spell it as given to --external.
    code, out, err = run(capsys, "explain", str(manifests), "--external", "2001:DB8:0::1",
                         "--from", "external/2001:DB8:0::1", "--to", "ai-gateway/router", "--probe", "443/TCP")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "external/2001:db8::1 -> ai-gateway/router on 443/TCP: allowed"


def test_explain_of_a_denied_port_says_on_which_ports_the_rule_would_admit(capsys, manifests):
    code, out, _ = run(capsys, "explain", str(manifests), "--from", "ai-gateway/router",
                       "--to", "ai-inference/llm-server", "--probe", "8081/TCP")
    assert code == 0 and out.splitlines()[0].endswith(": denied")
    assert ("NetworkPolicy ai-inference/allow-gateway selects ai-inference/llm-server; no ingress rule admits "
            "ai-gateway/router on 8081/TCP (rule 1 admits it on 8080/TCP only)") in out
