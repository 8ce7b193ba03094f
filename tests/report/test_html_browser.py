"""The html report in a real browser: headless Chromium (Debian's package) runs its script.

``--dump-dom`` gives the DOM after the scripts ran; ``--enable-logging=stderr`` prints console
messages, so an uncaught error shows. scripts/test.sh installs Chromium and sets
NETGUARD_BROWSER=1, which turns a missing browser into a failure instead of a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from report_paths import PLATFORM

CHROMIUM = os.environ.get("NETGUARD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None and os.environ.get("NETGUARD_BROWSER") == "1":
    pytest.fail("NETGUARD_BROWSER=1 but no chromium on PATH (apt-get install -y chromium)", pytrace=False)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (scripts/test.sh installs it)")


def render(netguard, tmp_path):
    page = tmp_path / "report.html"
    assert netguard("report", PLATFORM, "--format", "html", "--output", page)[0] == 0
    return page


def browse(page, tmp_path, fragment: str = "") -> tuple[str, str]:
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--dump-dom", f"{page.as_uri()}{fragment}"],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout, run.stderr


def classes(dom: str, kind: str) -> list[str]:
    return re.findall(rf'<g class="({kind}(?: [^"]*)?)"', dom)


def test_the_page_loads_without_errors_and_shows_the_picture(netguard, tmp_path):
    dom, log = browse(render(netguard, tmp_path), tmp_path)
    assert "Uncaught" not in log and "CONSOLE" not in log
    assert 'data-ready="true"' in dom  # the script ran to its end
    assert dom.count('class="namespace"') == 7 and len(classes(dom, "node")) == 8
    assert len(classes(dom, "edge")) == 18 and not [c for c in classes(dom, "edge") if "hidden" in c]
    assert re.search(r'<span id="shown-edges">18</span>', dom)


def test_the_namespace_filter_hides_what_does_not_involve_it(netguard, tmp_path):
    dom, log = browse(render(netguard, tmp_path), tmp_path, "#namespace=ai-data")
    assert "Uncaught" not in log
    edges = classes(dom, "edge")
    assert sum("hidden" not in c for c in edges) == 2  # llm-server -> vector-db, vector-db -> DNS
    assert sum("hidden" not in c for c in classes(dom, "label")) == 2  # and their port labels
    shown = re.findall(r'<g class="node[^"]*"[^>]*data-endpoints="([^"]*)"', dom)
    visible = {m for m, c in zip(shown, classes(dom, "node")) if "hidden" not in c}
    assert visible == {"ai-data/vector-db", "ai-serving/llm-server", "kube-system/coredns"}
    rows = re.findall(r'<tr data-filterable[^>]*>', dom)
    assert len(rows) == 22 and sum('class="hidden"' not in r for r in rows) == 2


def test_the_workload_filter(netguard, tmp_path):
    dom, _ = browse(render(netguard, tmp_path), tmp_path, "#workload=trainer")
    assert re.search(r'<span id="shown-edges">\d+</span>', dom)
    edges = re.findall(r'<g class="(edge(?: [^"]*)?)"[^>]*data-endpoints="([^"]*)"', dom)
    assert edges and all(("trainer" in members) != ("hidden" in c) for c, members in edges)
