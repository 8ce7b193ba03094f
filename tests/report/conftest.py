"""Shared fixtures of the report, diff and audit tests: the platform manifests and a CLI runner."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import pytest

from netguard.cli import main

# The engine's hypothesis strategies import each other by module name (tests/engine on the path).
sys.path.append(str(Path(__file__).parents[1] / "engine"))

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
PLATFORM = FIXTURES / "platform"
PLATFORM_NEW = FIXTURES / "platform-new"
PLATFORM_EQUIVALENT = FIXTURES / "platform-equivalent"


@pytest.fixture
def netguard(capsys) -> Callable[..., tuple[int, str, str]]:
    """Run the command in-process: (exit code, stdout, stderr)."""
    def run(*argv: str) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


def golden(name: str, text: str) -> str:
    """The golden file's text; NETGUARD_UPDATE_GOLDEN=1 rewrites it from ``text`` first."""
    import os

    path = GOLDEN / name
    if os.environ.get("NETGUARD_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    return path.read_text()
