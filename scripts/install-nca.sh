#!/usr/bin/env bash
# Install np-guard's network-config-analyzer (the `nca` command) into a virtualenv of its own,
# outside the project venv: its pinned dependencies may clash with ours.
# Idempotent: a second run only checks the install. Prints the path of `nca` on stdout.
set -euo pipefail

NCA_VERSION="${NCA_VERSION:-2.1.0}"
NCA_VENV="${NCA_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-netguard/nca-venv}"
PYTHON="${PYTHON:-python3}"
NCA="$NCA_VENV/bin/nca"

installed_version() {
  "$NCA_VENV/bin/python" -c \
    'import importlib.metadata as m; print(m.version("network-config-analyzer"))' 2>/dev/null || true
}

if [[ -x "$NCA" && "$(installed_version)" == "$NCA_VERSION" ]]; then
  echo "$NCA"
  exit 0
fi

mkdir -p "$(dirname "$NCA_VENV")"
if [[ ! -x "$NCA_VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$NCA_VENV" >&2
fi
"$NCA_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "network-config-analyzer==$NCA_VERSION" >&2

if [[ ! -x "$NCA" ]]; then
  echo "install-nca: $NCA was not created" >&2
  exit 1
fi
echo "$NCA"
