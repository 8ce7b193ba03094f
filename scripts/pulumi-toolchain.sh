#!/usr/bin/env bash
# Builds the Pulumi toolchain this project needs from Go modules, because the CLI and plugin
# downloads are not reachable from our machines while the Go module proxy is:
#   pulumi                       the CLI (module github.com/pulumi/pulumi/pkg/v3)
#   pulumi-language-python       a small Python language host (scripts/pulumi-language-python/)
#   pulumi-language-python-exec  the exec shim the host runs, copied from the sdk/v3 module
#   pulumi-resource-pulumi-python  the provider of pulumi.dynamic resources, from the same module
#   pulumi-resource-kubernetes   the provider, at exactly the pulumi-kubernetes pin of requirements.txt
# and installs the provider into the plugin cache (`pulumi plugin install --file`).
#
# Idempotent: a run that finds everything built for the pinned versions returns in about a second.
# A `pulumi` already on PATH (not ours) is used as it is; only the pieces it lacks are built.
#
# Output: human messages on stderr; stdout is one line, the directory to put first on PATH:
#   export PATH="$(scripts/pulumi-toolchain.sh):$PATH"
# Build logs: ${XDG_CACHE_HOME:-$HOME/.cache}/ai-netguard/logs/.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ai-netguard
BIN=$CACHE/bin
PROVIDERS=$CACHE/providers # kept off PATH: the engine takes providers from the plugin cache, by version
LOGS=$CACHE/logs
SRC=$CACHE/src
PULUMI_HOME_DIR=${PULUMI_HOME:-$HOME/.pulumi}

export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export CGO_ENABLED=0

# The newest CLI the module proxy serves; it runs programs written against older 3.x SDKs.
CLI_VERSION=3.274.1

# The proxy serves pulumi-kubernetes' provider module (no tags of its own) only at the commits below,
# as pseudo-versions. The provider's version must equal the Python SDK's pin, since the SDK asks the
# engine for exactly its own version.
k8s_module_version() {
    case "$1" in
        4.25.0) echo v4.0.0-20260115033456-f47bc2d6f199 ;; # tag v4.25.0 = commit f47bc2d6f199
        *) return 1 ;;
    esac
}
# provider/v4 replaces sdk/v4 with ../sdk; the proxy lacks sdk/v4 at the provider's own version, so the
# nearest older served release stands in (the provider only uses its yaml/helm helper types).
K8S_SDK_V4=v4.22.2

say() { echo "pulumi-toolchain: $*" >&2; }
die() { say "error: $*"; exit 1; }

pin_of() { # the == pin of a Python package in requirements.txt
    sed -n "s/^$1==\([0-9][0-9.]*\).*/\1/p" "$REPO/requirements.txt" | head -n1
}

K8S_VERSION=$(pin_of pulumi-kubernetes)
[[ -n "$K8S_VERSION" ]] || die "requirements.txt has no pulumi-kubernetes==X.Y.Z pin"
K8S_MODULE=$(k8s_module_version "$K8S_VERSION") ||
    die "pulumi-kubernetes==$K8S_VERSION: the Go module proxy serves its provider only as 4.25.0; pin pulumi-kubernetes==4.25.0"
RANDOM_VERSION=$(pin_of pulumi-random)

mkdir -p "$BIN" "$PROVIDERS" "$LOGS" "$SRC"
exec 9>"$CACHE/.lock"
flock 9 # one build at a time; a second caller waits, then finds everything built

# --- which pulumi --------------------------------------------------------------------------------
AMBIENT=""
if found=$(command -v pulumi 2>/dev/null) && [[ "$(readlink -f "$found")" != "$(readlink -f "$BIN/pulumi")" ]]; then
    AMBIENT=$found
fi
PULUMI=${AMBIENT:-$BIN/pulumi}

stamp_ok() { [[ -x "$BIN/$1" && -f "$BIN/.$1.version" && "$(cat "$BIN/.$1.version")" == "$2" ]]; }
K8S_BIN=$PROVIDERS/pulumi-resource-kubernetes-$K8S_VERSION
plugin_ok() { [[ -x "$PULUMI_HOME_DIR/plugins/resource-$1-v$2/pulumi-resource-$1" ]]; }
host_needed() { # an ambient CLI normally ships its language hosts beside it
    [[ -z "$AMBIENT" ]] && return 0
    [[ -x "$(dirname "$AMBIENT")/pulumi-language-python" ]] && return 1
    command -v pulumi-language-python >/dev/null 2>&1 && return 1
    return 0
}
HOST_SRC_SUM=$(sha256sum "$REPO/scripts/pulumi-language-python/main.go" | cut -c1-16)

need_cli() { [[ -z "$AMBIENT" ]] && ! stamp_ok pulumi "$CLI_VERSION"; }
need_host() {
    host_needed && ! { stamp_ok pulumi-language-python "$CLI_VERSION-$HOST_SRC_SUM" &&
        [[ -x "$BIN/pulumi-language-python-exec" ]]; }
}
all_ready() { ! need_cli && ! need_host && plugin_ok kubernetes "$K8S_VERSION"; }

report() {
    say "pulumi: $PULUMI ($("$PULUMI" version 2>/dev/null || echo '?'))"
    say "kubernetes provider $K8S_VERSION: $PULUMI_HOME_DIR/plugins/resource-kubernetes-v$K8S_VERSION/"
    if [[ -n "$RANDOM_VERSION" ]]; then
        say "warning: pulumi-random==$RANDOM_VERSION is pinned, but the Go module proxy serves no" \
            "pulumi-random provider module at any version: its plugin is not installed"
    fi
    local dir=$BIN
    if [[ -n "$AMBIENT" ]] && ! host_needed; then dir=$(dirname "$AMBIENT"); fi
    say "put it on PATH: export PATH=\"$dir:\$PATH\""
    echo "$dir"
}

if all_ready; then
    report
    exit 0
fi

say "building what is missing; from a cold Go cache: 3-5 minutes for the CLI, 8-20 for the provider (2 cores)"
command -v go >/dev/null 2>&1 || die "Go is needed to build the Pulumi toolchain (apt-get install golang, or go.dev/dl)"
# Build in a module outside any workspace, with the module proxy as the only source.
export GOWORK=off GOFLAGS=-mod=mod

build() { # NAME LOG COMMAND...: run a build step, showing the log's tail when it fails
    local name=$1 log=$LOGS/$2
    shift 2
    local start=$SECONDS
    say "building $name (log: $log)"
    if ! "$@" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "building $name failed; full log: $log"
    fi
    say "built $name in $((SECONDS - start))s"
}

# --- the CLI and the Python language host: one wrapper module requiring pkg/v3 ---------------------
build_cli_module() {
    local dir=$SRC/cli
    mkdir -p "$dir/langhost"
    cp "$REPO/scripts/pulumi-language-python/main.go" "$dir/langhost/main.go"
    cat >"$dir/tools.go" <<'EOF'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
EOF
    if [[ ! -f "$dir/go.mod" ]] || ! grep -q "pulumi/pkg/v3 v$CLI_VERSION\$" "$dir/go.mod"; then
        rm -f "$dir/go.mod" "$dir/go.sum"
        # pkg/v3's own go.mod replaces sdk/v3 with a local path (unused here: require the release) and
        # atotto/clipboard with a fork, which a dependent module has to repeat.
        cat >"$dir/go.mod" <<EOF
module ai-netguard/toolchain/cli

go 1.26.6

require (
	github.com/pulumi/pulumi/pkg/v3 v$CLI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$CLI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
    fi
    (cd "$dir" && go mod tidy)
}

build_cli() {
    (cd "$SRC/cli" && go build -trimpath \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$CLI_VERSION" \
        -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
    mv "$BIN/pulumi.tmp" "$BIN/pulumi"
}

build_host() {
    (cd "$SRC/cli" && go build -trimpath -ldflags "-s -w -X main.version=$CLI_VERSION" \
        -o "$BIN/pulumi-language-python" ./langhost)
    local sdk
    sdk=$(cd "$SRC/cli" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
    install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"
    # The provider behind pulumi.dynamic resources: a script found on PATH as a resource plugin.
    install -m 0755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$BIN/pulumi-resource-pulumi-python"
}

if need_cli || need_host; then
    build "the CLI's module graph" cli-tidy.log build_cli_module
fi
if need_cli; then
    build "pulumi v$CLI_VERSION" cli-build.log build_cli
    echo "$CLI_VERSION" >"$BIN/.pulumi.version"
fi
if need_host; then
    build "pulumi-language-python" host-build.log build_host
    echo "$CLI_VERSION-$HOST_SRC_SUM" >"$BIN/.pulumi-language-python.version"
fi

# --- the kubernetes provider: a writable copy of its module, with the schema generated -------------
build_k8s() ( # a subshell: it changes directory
    local module=github.com/pulumi/pulumi-kubernetes/provider/v4 moddir dir=$SRC/kubernetes-$K8S_VERSION
    moddir=$(cd "$SRC" && GOFLAGS= go mod download -json "$module@$K8S_MODULE" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [[ -d "$moddir" ]] || { echo "module $module@$K8S_MODULE was not downloaded"; return 1; }
    rm -rf "$dir"
    cp -r "$moddir" "$dir"
    chmod -R u+w "$dir"
    cd "$dir"
    go mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 \
        -require "github.com/pulumi/pulumi-kubernetes/sdk/v4@$K8S_SDK_V4"
    # main.go embeds schema-embed.json and terraform-mapping-embed.json, which generate.go writes
    # from schema.json with the version set.
    (cd cmd/pulumi-resource-kubernetes && VERSION=$K8S_VERSION go generate ./...)
    go build -trimpath \
        -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_VERSION" \
        -o "$K8S_BIN.tmp" ./cmd/pulumi-resource-kubernetes
    mv "$K8S_BIN.tmp" "$K8S_BIN"
)

if ! plugin_ok kubernetes "$K8S_VERSION" && [[ ! -x "$K8S_BIN" ]]; then
    build "pulumi-resource-kubernetes $K8S_VERSION" k8s-build.log build_k8s
fi
if ! plugin_ok kubernetes "$K8S_VERSION"; then
    "$PULUMI" plugin install resource kubernetes "$K8S_VERSION" --file "$K8S_BIN" --reinstall >&2 ||
        die "pulumi plugin install resource kubernetes $K8S_VERSION failed"
fi

all_ready || die "the toolchain is still incomplete after building; see $LOGS"
report
