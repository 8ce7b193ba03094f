#!/usr/bin/env bash
# Render the stack's manifests at a git ref, with the policy pack, into DIR/rendered.
#
#   render.sh REF DIR [preview]
#
# A git worktree of REF in DIR, a throwaway stack on a local file backend (DIR/.state) with the
# config of $STACK, netguard:renderDir set to DIR/rendered; `pulumi up` renders (the embedded
# default: no cluster), `preview` only previews with the pack.
set -euo pipefail
ref=$1 dir=$2 mode=${3:-up}
repo=$(git rev-parse --show-toplevel)
stack=${STACK:-dev}
[[ -d "$dir/.git" || -f "$dir/.git" ]] || git -C "$repo" worktree add --detach "$dir" "$ref" >/dev/null
cd "$dir"
ln -sfn "$repo/.venv" .venv                           # the project's virtualenv (Pulumi.yaml: virtualenv .venv)
[[ -d policies/.venv ]] || ln -sfn "$repo/policies/.venv" policies/.venv
export PULUMI_BACKEND_URL="file://$dir/.state"
mkdir -p "$dir/.state"
# The stack's config, copied once: `stack select --create` then adds its encryption salt to the copy.
[[ -f "Pulumi.ci-$stack.yaml" ]] || cp "Pulumi.$stack.yaml" "Pulumi.ci-$stack.yaml"
pulumi stack select "ci-$stack" --create --non-interactive >/dev/null
pulumi config set --stack "ci-$stack" netguard:renderDir "$dir/rendered" --non-interactive
if [[ $mode == preview ]]; then
    pulumi preview --stack "ci-$stack" --policy-pack policies --non-interactive
else
    pulumi up --stack "ci-$stack" --yes --skip-preview --policy-pack policies --non-interactive >/dev/null
fi
