"""Build this clone into a wheel once and unpack it into a temp folder outside the repository.

The wheel is installed with `--no-deps --target`: the test virtualenv already holds pulumi and
pulumi-kubernetes, and a fresh download per test run would cost minutes on a shared machine.
"""
from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=1)
def installed_site() -> Path:
    site = Path(tempfile.mkdtemp(prefix="ai-netguard-site-"))
    wheels = Path(tempfile.mkdtemp(prefix="ai-netguard-wheel-"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # Isolated build: the venv need not hold `wheel`; pip fetches setuptools as pyproject asks.
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True, cwd=wheels)
    (wheel,) = wheels.glob("ai_netguard-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, cwd=site)
    return site


def clean_env_path(site: Path) -> list[str]:
    """sys.path for a child interpreter: the installed copy, then the venv's site-packages, nothing of the repo."""
    venv_site = [p for p in sys.path if p.endswith("site-packages")]
    return [str(site), *venv_site]
