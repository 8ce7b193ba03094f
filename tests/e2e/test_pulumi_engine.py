"""End to end with the real Pulumi engine: the stack program, the policy pack and `netguard reach`.

Runs only with NETGUARD_E2E=1 (.ci/run sets it after scripts/pulumi-toolchain.sh and
scripts/policy-venv.sh). Then a missing CLI or virtualenv is a failure, never a skip.
Everything happens in a temp folder with a local file backend: the repository's state and
rendered/ folder are never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

if os.environ.get("NETGUARD_E2E") != "1":
    pytest.skip("end-to-end tests run with NETGUARD_E2E=1", allow_module_level=True)

from components.inventory import parse_inventory  # noqa: E402  (after the skip: needs the project venv)

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
RULES = (
    "namespace-default-deny", "no-allow-all", "egress-allowlist",
    "role-isolation", "trust-tier-guardrails", "workload-identity", "namespace-pod-security",
)
# What each rule must say about tests/e2e/fixtures/violating, in its own words.
VIOLATED = {
    "namespace-default-deny": "Ingress is open",
    "no-allow-all": "admits every peer",
    "egress-allowlist": "0.0.0.0/0",
}
PULUMI_TIMEOUT = 900
DNS = "kube-system/coredns"
MONITORING = "monitoring/prometheus"


@dataclass(frozen=True)
class Result:
    code: int
    output: str


@dataclass(frozen=True)
class Workspace:
    root: Path
    env: dict

    def pulumi(self, *args: str, cwd: Path | None = None) -> Result:
        done = subprocess.run(
            ["pulumi", *args, "--non-interactive"], cwd=cwd or self.root, env=self.env,
            capture_output=True, text=True, timeout=PULUMI_TIMEOUT,
        )
        return Result(done.returncode, done.stdout + done.stderr)


def _point_venv(yaml_file: Path, venv: Path) -> None:
    """Make a copied Pulumi.yaml/PulumiPolicy.yaml use an existing virtualenv by absolute path."""
    doc = yaml.safe_load(yaml_file.read_text())
    doc["runtime"].setdefault("options", {})["virtualenv"] = str(venv)
    yaml_file.write_text(yaml.safe_dump(doc, sort_keys=False))


def _script_output(script: str, failure: str, timeout: int) -> Path:
    """Run a setup script of scripts/ and return the path it prints last; fail the test if it fails."""
    done = subprocess.run(["bash", str(REPO / "scripts" / script)], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"{failure}:\n{done.stderr[-3000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def toolchain_bin() -> Path:
    return _script_output("pulumi-toolchain.sh", "the Pulumi CLI is missing and could not be built", 3600)


@pytest.fixture(scope="module")
def policy_venv() -> Path:
    return _script_output("policy-venv.sh", "policies/.venv could not be created", 1800)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, toolchain_bin: Path, policy_venv: Path) -> Workspace:
    """A copy of the project (program, components, pack) on a file backend in a temp folder."""
    project_venv = REPO / ".venv"
    if not (project_venv / "bin/python").exists():
        pytest.fail(f"{project_venv} is missing: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt")
    root = tmp_path_factory.mktemp("e2e")
    ignore = shutil.ignore_patterns(".venv", "__pycache__", "*.pyc", "rendered")
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "requirements.txt"):
        shutil.copy2(REPO / name, root / name)
    for name in ("components", "policies"):
        shutil.copytree(REPO / name, root / name, ignore=ignore)
    for fixture in ("violating", "unknown"):
        shutil.copytree(FIXTURES / fixture, root / fixture, ignore=ignore)
        _point_venv(root / fixture / "Pulumi.yaml", project_venv)
    _point_venv(root / "Pulumi.yaml", project_venv)
    _point_venv(root / "policies/PulumiPolicy.yaml", policy_venv)
    (root / "state").mkdir()

    env = dict(os.environ)
    env.update({
        "PATH": f"{toolchain_bin}{os.pathsep}{project_venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "PULUMI_BACKEND_URL": f"file://{root / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "netguard-e2e",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "NO_COLOR": "1",
    })
    env.pop("PULUMI_ACCESS_TOKEN", None)
    return Workspace(root, env)


@pytest.fixture(scope="module")
def dev_stack(workspace: Workspace) -> Workspace:
    init = workspace.pulumi("stack", "init", "dev")
    assert init.code == 0, init.output
    return workspace


def _fixture_stack(workspace: Workspace, folder: str, stack: str) -> Path:
    """A stack of one of the fixture projects copied into the workspace."""
    project = workspace.root / folder
    init = workspace.pulumi("stack", "init", stack, cwd=project)
    assert init.code == 0, init.output
    return project


@pytest.fixture(scope="module")
def violating_stack(workspace: Workspace) -> Path:
    return _fixture_stack(workspace, "violating", "bad")


def _rule_mentions(output: str) -> set[str]:
    return {rule for rule in RULES if rule in output}


def _declared_flows() -> set[tuple[str, str, int, str]]:
    raw = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())["config"]["netguard:platform"]
    return set(parse_inventory(raw).declared_connections())


def _metrics_ports() -> set[tuple[str, int, str]]:
    raw = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())["config"]["netguard:platform"]
    inventory = parse_inventory(raw)
    return {
        (f"{w.namespace}/{w.name}", w.port(w.metrics_port).port, w.port(w.metrics_port).protocol)
        for w in inventory.workloads if w.metrics_port
    }


# --- (a) the dev stack -----------------------------------------------------------------------------


def test_dev_stack_preview_passes_the_policy_pack(dev_stack: Workspace):
    result = dev_stack.pulumi("preview", "--policy-pack", "policies")

    assert result.code == 0, result.output
    assert "ai-netguard@v" in result.output         # the pack was loaded and ran
    assert not _rule_mentions(result.output), result.output


@pytest.fixture(scope="module")
def rendered(dev_stack: Workspace) -> Path:
    result = dev_stack.pulumi("up", "--yes", "--skip-preview")
    assert result.code == 0, result.output
    return dev_stack.root / "rendered"


def test_dev_stack_up_renders_manifests(rendered: Path):
    manifests = [p for p in rendered.rglob("*.yaml")]
    kinds = {doc["kind"] for p in manifests for doc in yaml.safe_load_all(p.read_text()) if doc}

    assert manifests
    assert {"Namespace", "NetworkPolicy", "ServiceAccount", "Deployment", "StatefulSet"} <= kinds
    assert {"PeerAuthentication", "AuthorizationPolicy"} <= kinds  # the mesh layer (Istio, sidecar mode)


def test_dev_stack_up_renders_the_cluster_guardrails(rendered: Path):
    docs = [doc for p in rendered.rglob("*.yaml") for doc in yaml.safe_load_all(p.read_text()) if doc]
    guardrails = [d for d in docs if d["kind"] == "ClusterNetworkPolicy"]

    assert {d["spec"]["tier"] for d in guardrails} == {"Admin", "Baseline"}
    assert all(d["metadata"]["labels"]["netguard.io/layer"] == "guardrail" for d in guardrails)
    assert "netguard-guardrail-default-deny" in {d["metadata"]["name"] for d in guardrails}


def test_dev_stack_renders_domains_and_logging_through_cilium(rendered: Path, dev_stack: Workspace):
    docs = [doc for p in rendered.rglob("*.yaml") for doc in yaml.safe_load_all(p.read_text()) if doc]
    assert {(d["kind"], d["metadata"]["labels"]["netguard.io/layer"]) for d in docs
            if d["kind"] in ("CiliumNetworkPolicy", "ConfigMap") and "labels" in d["metadata"]} >= {
        ("CiliumNetworkPolicy", "egress"), ("ConfigMap", "logging")}
    done = subprocess.run(
        ["netguard", "reach", str(rendered), "--external", "models.example.com", "--probe", "443/TCP", "--format", "json"],
        env=dev_stack.env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    reaching = {a["from"] for a in json.loads(done.stdout)["allowed"] if a["to"] == "external/models.example.com"}
    assert reaching == {"ai-training/finetune"}  # exactly the workload that declared the domain


@pytest.fixture(scope="module")
def reach(rendered: Path, dev_stack: Workspace) -> set[tuple[str, str, int, str]]:
    done = subprocess.run(
        ["netguard", "reach", str(rendered), str(FIXTURES / "platform-peers.yaml"), "--format", "json"],
        env=dev_stack.env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return {(a["from"], a["to"], a["port"], a["protocol"]) for a in json.loads(done.stdout)["allowed"]}


def test_reach_shows_every_declared_flow(reach):
    missing = _declared_flows() - reach
    assert not missing, f"declared flows that the rendered policies block: {sorted(missing)}"


def test_reach_shows_no_other_flow_than_declared_dns_and_monitoring(reach):
    peers = {DNS, MONITORING}
    dns = {t for t in reach if t[1] == DNS and t[2] == 53}
    monitoring = {t for t in reach if t[0] == MONITORING and (t[1], t[2], t[3]) in _metrics_ports()}
    between_peers = {t for t in reach if t[0] in peers and t[1] in peers}

    unexpected = reach - _declared_flows() - dns - monitoring - between_peers
    assert not unexpected, f"flows nobody declared: {sorted(unexpected)}"


def test_the_mesh_alone_admits_only_the_declared_flows_dns_and_scraping(rendered: Path, dev_stack: Workspace, reach):
    done = subprocess.run(
        ["netguard", "reach", str(rendered), str(FIXTURES / "platform-peers.yaml"), "--layer", "mesh", "--format", "json"],
        env=dev_stack.env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    mesh = {(a["from"], a["to"], a["port"], a["protocol"]) for a in json.loads(done.stdout)["allowed"]}
    # Into the meshed AI workloads, over TCP (what Istio's proxies carry), only the declared flows
    # and the scraper's metrics ports pass.
    into_ai = {t for t in mesh if t[1] not in (DNS, MONITORING) and t[3] == "TCP"}
    assert into_ai == {t for t in reach if t[1] not in (DNS, MONITORING) and t[3] == "TCP"}


def test_every_workload_reaches_dns_and_is_scraped_on_its_metrics_port(reach):
    workloads = {src for src, *_ in _declared_flows()} | {dst for _, dst, *_ in _declared_flows()}
    resolving = {t[0] for t in reach if t[1] == DNS and (t[2], t[3]) == (53, "UDP")}
    scraped = {(t[1], t[2], t[3]) for t in reach if t[0] == MONITORING}

    assert workloads <= resolving
    assert _metrics_ports() <= scraped


# --- (b) and (c) a violating stack -----------------------------------------------------------------


def _assert_reported(output: str, level: str) -> None:
    """Each rule is reported at `level`, for the reason the fixture plants."""
    lines = output.splitlines()
    for rule, reason in VIOLATED.items():
        at = [i for i, line in enumerate(lines) if f"[{level}]" in line and f" {rule} " in line]
        assert at, f"{rule} not reported as {level}:\n{output}"
        # A violation prints as: the header line, the rule's description, then its message.
        messages = "\n".join(lines[i + 2] for i in at if i + 2 < len(lines))
        assert reason in messages, f"{rule} reported, but not for {reason!r}:\n{messages}"


def test_violating_stack_fails_the_pack_naming_the_mandatory_rules(workspace: Workspace, violating_stack: Path):
    result = workspace.pulumi("preview", "--policy-pack", str(workspace.root / "policies"), cwd=violating_stack)

    assert result.code != 0, result.output
    _assert_reported(result.output, "mandatory")
    # The child of a kubernetes:yaml/v2 ConfigGroup is checked like any typed resource.
    assert ("NetworkPolicy wide-open/vendor-metrics: spec.ingress[0].from[0] admits pods of every namespace"
            in result.output), result.output


def test_violating_stack_passes_with_the_rules_advisory_and_warns(workspace: Workspace, violating_stack: Path):
    result = workspace.pulumi(
        "preview", "--policy-pack", str(workspace.root / "policies"),
        "--policy-pack-config", str(FIXTURES / "advisory.json"), cwd=violating_stack,
    )

    assert result.code == 0, result.output
    _assert_reported(result.output, "advisory")


# --- (d) a value unknown at preview -----------------------------------------------------------------


@pytest.fixture(scope="module")
def unknown_stack(workspace: Workspace) -> Path:
    return _fixture_stack(workspace, "unknown", "late")


def test_an_egress_cidr_unknown_at_preview_fails_closed(workspace: Workspace, unknown_stack: Path):
    result = workspace.pulumi("preview", "--policy-pack", str(workspace.root / "policies"), cwd=unknown_stack)

    assert result.code != 0, result.output
    assert "[mandatory]  egress-allowlist" in result.output, result.output
    assert ("NetworkPolicy late-binding/egress-object-store: cannot be verified at preview because "
            "spec.egress[0].to[0].ipBlock.cidr is unknown") in result.output
    assert "can't run policy" not in result.output  # never the engine's advisory skip


def test_relaxed_unknowns_pass_preview_and_are_checked_once_known(workspace: Workspace, unknown_stack: Path,
                                                                   tmp_path: Path):
    relaxed = tmp_path / "relaxed.json"
    relaxed.write_text(json.dumps({rule: {"failOnUnknown": False} for rule in RULES}))
    pack = ("--policy-pack", str(workspace.root / "policies"), "--policy-pack-config", str(relaxed))

    preview = workspace.pulumi("preview", *pack, cwd=unknown_stack)
    assert preview.code == 0, preview.output

    up = workspace.pulumi("up", "--yes", "--skip-preview", *pack, cwd=unknown_stack)
    assert up.code == 0, up.output  # 203.0.113.0/24 is inside the default allowlist once it is known

    narrow = tmp_path / "narrow.json"
    narrow.write_text(json.dumps({rule: {"failOnUnknown": False} for rule in RULES} | {
        "egress-allowlist": {"failOnUnknown": False, "allowedEgressCidrs": ["198.51.100.0/24"]}}))
    refresh = workspace.pulumi("preview", "--policy-pack", str(workspace.root / "policies"),
                               "--policy-pack-config", str(narrow), cwd=unknown_stack)
    assert refresh.code != 0, refresh.output  # the known value now fails a narrower allowlist
    assert "spec.egress[0].to[0].ipBlock opens egress to 203.0.113.0/24" in refresh.output


def test_report_of_the_rendered_stack_agrees_with_reach(rendered: Path, dev_stack: Workspace, reach):
    """`netguard report` over what `pulumi up` rendered: every probe reach allows lies in a reported port set."""
    def report(fmt: str) -> str:
        done = subprocess.run(
            ["netguard", "report", str(rendered), str(FIXTURES / "platform-peers.yaml"), "--format", fmt],
            env=dev_stack.env, capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    doc = json.loads(report("json"))
    assert doc["schema"] == "netguard.report/v1"
    reported = {(c["from"], c["to"], proto, lo, hi) for c in doc["connections"]
                for proto, spans in c["ports"].items() for lo, hi in spans}
    for src, dst, port, proto in reach:
        assert any((s, d, p) == (src, dst, proto) and lo <= port <= hi for s, d, p, lo, hi in reported), (src, dst, port)
    declared = {(c["from"], c["to"]) for c in doc["connections"] if not c["to"].startswith("external/")}
    assert {(s, d) for s, d, *_ in reach} <= declared
    assert report("txt").count("\n") == len(doc["connections"])
    assert report("md").startswith("## netguard report") and "```mermaid" in report("md")
