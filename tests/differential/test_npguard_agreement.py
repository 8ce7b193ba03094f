"""netguard must agree with np-guard's netpol-analyzer on its AdminNetworkPolicy examples (ANP/BANP and CNP).

netpol-analyzer is a Go tool the module proxy does not serve; its examples and expected connectivity
lists live in its repository, which this project does not copy. Point NETGUARD_NPGUARD_CHECKOUT at
a checkout (`git clone https://github.com/np-guard/netpol-analyzer`) to run this comparison;
scripts/differential_npguard.py does the work.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "differential_npguard.py"
CHECKOUT = os.environ.get("NETGUARD_NPGUARD_CHECKOUT")


@pytest.mark.skipif(not CHECKOUT, reason="set NETGUARD_NPGUARD_CHECKOUT to a netpol-analyzer checkout")
@pytest.mark.parametrize("as_cnp", [False, True], ids=["anp-banp", "as-cluster-network-policy"])
def test_every_comparable_example_agrees(as_cnp):
    command = [sys.executable, str(SCRIPT), CHECKOUT] + (["--as-cnp"] if as_cnp else [])
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 differ" in done.stdout.splitlines()[-1]
