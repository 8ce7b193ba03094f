#!/usr/bin/env bash
# Every level of proof, from a fresh machine: unit and semantic tests of the engine, the NCA
# differential, the components and the pack under Pulumi's mock runtime, and the real Pulumi
# engine end to end. Installs what it needs (the project virtualenv, NCA in its own virtualenv, the
# Pulumi toolchain built from Go modules, the pack's virtualenv); every install is cached, so a
# second run starts testing within seconds. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "test.sh: $*" >&2; }

if [[ ! -x .venv/bin/python ]]; then
    say "creating .venv"
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt

say "installing np-guard's NCA for the differential tests"
NETGUARD_NCA=$(bash scripts/install-nca.sh)
export NETGUARD_NCA

say "building (or finding) the Pulumi toolchain for the end-to-end tests"
toolchain_bin=$(bash scripts/pulumi-toolchain.sh)
export PATH="$toolchain_bin:$PATH"
bash scripts/policy-venv.sh >&2

# The html report is checked in a real browser: Chromium from Debian's packages.
if ! command -v chromium >/dev/null 2>&1; then
    say "installing chromium (Debian package) for the html report's browser test"
    sudo_=""; [[ $(id -u) -eq 0 ]] || sudo_="sudo"
    $sudo_ apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >/dev/null
fi
export NETGUARD_BROWSER=1

export NETGUARD_E2E=1
exec .venv/bin/python -m pytest -q "$@"
