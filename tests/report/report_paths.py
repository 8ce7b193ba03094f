"""Paths of the report, diff and audit tests' fixtures and golden files (a module of its own: several
test folders have a conftest.py, so none is imported by name)."""

from __future__ import annotations

import os
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
PLATFORM = FIXTURES / "platform"
PLATFORM_NEW = FIXTURES / "platform-new"
PLATFORM_EQUIVALENT = FIXTURES / "platform-equivalent"


def golden(name: str, text: str) -> str:
    """The golden file's text; NETGUARD_UPDATE_GOLDEN=1 rewrites it from ``text`` first."""
    path = GOLDEN / name
    if os.environ.get("NETGUARD_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    return path.read_text()
