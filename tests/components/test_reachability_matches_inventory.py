"""End to end: the rendered stack, read by the netguard engine (`netguard reach`), allows exactly the
declared flows and the declared external egress. Nothing more, in either direction.
"""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from components.inventory import parse_inventory
from stack_harness import reference_platform

OBJECT_STORE = "203.0.113.10"   # inside the declared 203.0.113.0/24
ELSEWHERE = "198.51.100.10"     # declared nowhere


def _reach(resources, tmp_path, *extra: str) -> dict:
    manifests = [r.props for r in resources if r.type.startswith("kubernetes:") and not r.type.endswith(":Secret")]
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump_all(manifests))
    done = subprocess.run(
        [sys.executable, "-m", "netguard.cli", "reach", str(tmp_path), "--format", "json", *extra],
        capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout)


def _declared(inventory_raw: dict) -> set[tuple[str, str, int, str]]:
    return set(parse_inventory(inventory_raw).declared_connections())


def test_the_engine_finds_exactly_the_declared_flows(reference_run, tmp_path):
    result = _reach(reference_run.resources, tmp_path)

    found = {(a["from"], a["to"], a["port"], a["protocol"]) for a in result["allowed"]}
    assert found == _declared(reference_platform())


def test_the_engine_finds_only_the_declared_external_egress(reference_run, tmp_path):
    result = _reach(reference_run.resources, tmp_path, "--external", OBJECT_STORE, "--external", ELSEWHERE,
                    "--probe", "443/TCP", "--probe", "80/TCP")

    external = {(a["from"], a["to"], a["port"]) for a in result["allowed"]
                if a["to"].startswith("external/") and not a["from"].startswith("external/")}
    assert external == {("ai-ingest/chunker", f"external/{OBJECT_STORE}", 443)}
