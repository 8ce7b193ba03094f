#!/usr/bin/env bash
# The main job: render the reference GenAI platform (Pulumi.dev.yaml) with Pulumi, checked by the
# policy pack, into rendered/, then show who can reach whom there.
#
#   scripts/demo.sh
#
# State lives in a project-local file backend, .pulumi-state/ (gitignored); nothing talks to a cluster
# or to Pulumi Cloud. Secrets are encrypted with PULUMI_CONFIG_PASSPHRASE, `netguard-demo` when unset.
# Needs Python 3.10+ and, unless a `pulumi` CLI is on PATH, Go (the toolchain is built from Go modules
# by scripts/pulumi-toolchain.sh, once: about 15 minutes on 2 cores, then seconds).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-netguard-demo}
export PULUMI_BACKEND_URL="file://$REPO/.pulumi-state"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
unset PULUMI_ACCESS_TOKEN

if ! bindir=$(scripts/pulumi-toolchain.sh); then
    echo "demo: the Pulumi CLI is missing: install it (https://www.pulumi.com/docs/install/), or install Go 1.26+ and rerun to build it from Go modules" >&2
    exit 1
fi
export PATH="$bindir:$PATH"

# The stack program's virtualenv (Pulumi.yaml: virtualenv .venv), refreshed when requirements change.
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ ! -x .venv/bin/python || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "demo: installing requirements.txt into .venv" >&2
    [[ -x .venv/bin/python ]] || "${PYTHON:-python3}" -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt >&2
    echo "$want" >"$stamp"
fi
scripts/policy-venv.sh >/dev/null

mkdir -p .pulumi-state
pulumi stack select dev --non-interactive 2>/dev/null || pulumi stack init dev --non-interactive
pulumi up --yes --skip-preview --non-interactive --policy-pack policies

echo
echo "Who can reach whom in rendered/ (netguard reach rendered --format table):"
.venv/bin/netguard reach rendered --format table
