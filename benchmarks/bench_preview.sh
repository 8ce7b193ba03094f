#!/usr/bin/env bash
# Benchmark: a real `pulumi preview` of a generated ~2,000-resource stack, with the policy pack and
# without it (the same program, the same config), interleaved; prints each run and the medians.
# Target: with the pack within +25% of without.
#
#   bash benchmarks/bench_preview.sh [NAMESPACES (default 70)] [RUNS (default 3)]
#
# Needs the Pulumi toolchain (scripts/pulumi-toolchain.sh) and the pack's virtualenv
# (scripts/policy-venv.sh). State, config and rendered manifests go to a scratch folder; the
# inventory is benchmarks/bench_components.py's (five workloads a namespace, flows, egress).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
NAMESPACES=${1:-70}
RUNS=${2:-3}
WORK=$(mktemp -d /tmp/netguard-preview-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

export PULUMI_CONFIG_PASSPHRASE=bench
export PULUMI_BACKEND_URL="file://$WORK/state"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
unset PULUMI_ACCESS_TOKEN
export PATH="$(bash scripts/pulumi-toolchain.sh):$PATH"
bash scripts/policy-venv.sh >/dev/null

mkdir -p "$WORK/state" "$WORK/init"
cp Pulumi.yaml "$WORK/init/Pulumi.yaml"
pulumi stack init bench --cwd "$WORK/init" --non-interactive >/dev/null
CONFIG="$WORK/Pulumi.bench.yaml"
.venv/bin/python - "$NAMESPACES" "$WORK" "$CONFIG" <<'PY'
import json, sys
sys.path[:0] = ["benchmarks", "tests"]
from bench_components import generate
namespaces, work, config = int(sys.argv[1]), sys.argv[2], sys.argv[3]
salt = [l for l in open(f"{work}/init/Pulumi.bench.yaml") if l.startswith("encryptionsalt:")]
with open(config, "w") as out:
    out.writelines(salt)
    out.write("config:\n")
    out.write(f"  netguard:renderDir: {work}/rendered\n  netguard:keyGenerator: builtin\n")
    out.write(f"  netguard:platform: {json.dumps(generate(namespaces, 5))}\n")
PY

preview() {  # $@: extra arguments; prints the wall time in seconds and the resource count
    local started ended out
    started=$(date +%s.%N)
    out=$(pulumi preview --stack bench --config-file "$CONFIG" --non-interactive --suppress-outputs \
        --diff=false "$@" 2>&1) || { echo "$out" | tail -20 >&2; exit 1; }
    ended=$(date +%s.%N)
    echo "$(echo "$ended - $started" | bc) $(echo "$out" | grep -Eo '[0-9]+ to create' | head -1)"
}

without=() with=()
for ((i = 1; i <= RUNS; i++)); do
    w=$(preview); p=$(preview --policy-pack policies)
    echo "run $i: without the pack ${w}; with the pack ${p}"
    without+=("${w%% *}") with+=("${p%% *}")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m0=$(median "${without[@]}") m1=$(median "${with[@]}")
echo "median of $RUNS: without ${m0} s, with the pack ${m1} s: +$(echo "scale=1; ($m1 - $m0) * 100 / $m0" | bc)% (target <= +25%)"
