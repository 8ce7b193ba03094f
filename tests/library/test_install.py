"""The wheel ships `ai_netguard` and `netguard`, never a top-level `components`, and imports outside the repo."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from library.installed import ROOT, clean_env_path, installed_site

PROBE = """
import json, sys
import ai_netguard
from ai_netguard import (AiPlatform, AiNamespace, AiNamespaceArgs, AiWorkload, AiWorkloadArgs, AiFlow,
    AiFlowArgs, AiEgressAllowlist, AiGuardrails, AiDomainEgress, AiConnectionLogging, MeshProvider)
import netguard.cli
try:
    import components
    found = components.__file__
except ImportError:
    found = None
print(json.dumps({"file": ai_netguard.__file__, "components": found, "netguard": netguard.cli.__file__,
                  "path": sys.path}))
"""


def run_probe() -> dict:
    site = installed_site()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(clean_env_path(site)), "PYTHONNOUSERSITE": "1"}
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = {clean_env_path(site)!r}\n" + PROBE],
                         capture_output=True, text=True, env=env, cwd=site)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_wheel_has_no_top_level_components():
    site = installed_site()
    assert (site / "ai_netguard" / "inventory" / "__init__.py").is_file()
    assert (site / "ai_netguard" / "mesh" / "istio.py").is_file()
    assert (site / "netguard" / "cilium" / "__init__.py").is_file()
    assert not (site / "components").exists()


def test_import_from_installed_copy_outside_repo():
    seen = run_probe()
    assert seen["components"] is None
    # The test virtualenv may live in the clone (.venv); nothing else of the repo is on the path.
    venv = str(ROOT / ".venv")
    assert not [p for p in seen["path"] if p and os.path.abspath(p).startswith(str(ROOT))
                and not os.path.abspath(p).startswith(venv)]
    assert seen["file"].startswith(str(installed_site()))
    assert seen["netguard"].startswith(str(installed_site()))
