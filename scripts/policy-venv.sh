#!/usr/bin/env bash
# Creates the policy pack's own virtualenv, policies/.venv, from policies/requirements.txt
# (PulumiPolicy.yaml: runtime.options.virtualenv: .venv). Idempotent: it installs again only when
# requirements.txt changed since the last install. Prints the virtualenv's path on stdout.
#   PYTHON=python3.11 scripts/policy-venv.sh    # choose the interpreter (default: python3)
set -euo pipefail

PACK=$(cd "$(dirname "${BASH_SOURCE[0]}")/../policies" && pwd)
VENV=$PACK/.venv
REQS=$PACK/requirements.txt
STAMP=$VENV/.requirements.sha256

[[ -f "$REQS" ]] || { echo "policy-venv: $REQS is missing" >&2; exit 1; }
want=$(sha256sum "$REQS" | cut -d' ' -f1)

if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
    echo "$VENV"
    exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "policy-venv: creating $VENV" >&2
    "${PYTHON:-python3}" -m venv "$VENV"
fi
echo "policy-venv: installing $REQS" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS" >&2
echo "$want" >"$STAMP"
echo "$VENV"
