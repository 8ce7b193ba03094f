"""Shared fixtures of the report, diff and audit tests: a CLI runner (paths: report_paths.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import pytest

from netguard.cli import main

# The engine's hypothesis strategies import each other by module name (tests/engine on the path).
sys.path.append(str(Path(__file__).parents[1] / "engine"))


@pytest.fixture
def netguard(capsys) -> Callable[..., tuple[int, str, str]]:
    """Run the command in-process: (exit code, stdout, stderr)."""
    def run(*argv: str) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err
    return run
