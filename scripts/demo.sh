#!/usr/bin/env bash
# The main job: render the reference GenAI platform (Pulumi.dev.yaml) with Pulumi, checked by the
# policy pack, into rendered/, then show who can reach whom there (netguard report).
#
#   scripts/demo.sh
#
# State lives in a project-local file backend, .pulumi-state/ (gitignored); nothing talks to a cluster
# or to Pulumi Cloud. Secrets are encrypted with PULUMI_CONFIG_PASSPHRASE, `netguard-demo` when unset.
# Needs Python 3.10+ and, unless a `pulumi` CLI is on PATH, Go (the toolchain is built from Go modules
# by scripts/pulumi-toolchain.sh, once: 11-25 minutes on 2 cores, then under a second).
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

# Pulumi writes a passphrase stack's encryption salt into the stack's config file (and reformats
# it). The committed Pulumi.dev.yaml stays untouched: the stack is created from a scratch folder in
# .pulumi-state/, and `up` reads a copy of Pulumi.dev.yaml with that salt appended.
STATE=$REPO/.pulumi-state
INIT=$STATE/init
CONFIG=$STATE/Pulumi.dev.yaml
mkdir -p "$INIT"
cp Pulumi.yaml "$INIT/Pulumi.yaml"
if ! pulumi stack select dev --cwd "$INIT" --non-interactive >/dev/null 2>&1; then
    rm -f "$INIT/Pulumi.dev.yaml"
    pulumi stack init dev --cwd "$INIT" --non-interactive
fi
salt=$(grep -m1 '^encryptionsalt:' "$INIT/Pulumi.dev.yaml" 2>/dev/null || true)
cp Pulumi.dev.yaml "$CONFIG"
if [[ -n "$salt" ]] && ! grep -q '^encryptionsalt:' "$CONFIG"; then
    echo "$salt" >>"$CONFIG"
fi
pulumi up --stack dev --config-file "$CONFIG" --yes --skip-preview --non-interactive --policy-pack policies

echo
echo "Who can reach whom in rendered/ (netguard report rendered --format txt; one line per connection):"
.venv/bin/netguard report rendered --format txt
.venv/bin/netguard report rendered --format html --output .pulumi-state/report.html
echo
echo "The whole report, with the picture and the reasons: .pulumi-state/report.html (or --format md for a PR comment)."
