#!/usr/bin/env bash
# Render `netguard report --format html` for manifests and photograph it in headless Chromium.
#
#   scripts/screenshot-report.sh [MANIFESTS] [OUT.png] [#namespace=NS&workload=TEXT]
#
# Defaults: the report tests' platform fixture, report.png. Chromium comes from Debian's package
# (`apt-get install -y chromium`); scripts/test.sh installs it when missing.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
manifests=${1:-$REPO/tests/report/fixtures/platform}
out=$(realpath -m "${2:-report.png}")
filter=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$REPO/.venv/bin/netguard" report "$manifests" --format html --output "$work/report.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1500,1100 --virtual-time-budget=2000 --screenshot="$out" "file://$work/report.html$filter" 2>/dev/null
echo "$out"
