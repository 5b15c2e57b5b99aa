#!/usr/bin/env bash
# Install the Node side of the build and the editor tests:
#   - vscode-client/node_modules (extension build: esbuild, vsce, language client) via `npm ci`
#   - tests/e2e/node_modules (playwright-core, driving the system Chromium) via `npm ci`
#   - code-server (a real VS Code served to the browser) into .cache/code-server
# Idempotent: each part is skipped when its lockfile or version marker is unchanged, so a second
# run takes well under a second. Lifecycle scripts are disabled for the lockfile installs: nothing
# downloads at install time (esbuild's binary comes from its platform package).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CODE_SERVER_VERSION=4.100.3
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
RIPGREP_CACHE=vscode-ripgrep-cache-1.15.11

step() { printf '[node-deps] %s\n' "$*"; }

# Headers of the system Node, so native modules build without fetching headers.
if [ -f /usr/include/node/node.h ]; then
    export npm_config_nodedir=/usr
fi
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

# npm ci in $1, skipped when node_modules was installed from the same lockfile.
lock_install() {
    local dir=$1 stamp="$1/node_modules/.dbsense-lock.sha256" sum
    sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
        step "ok: $dir/node_modules"
        return
    fi
    step "npm ci in $dir"
    (cd "$dir" && npm ci --ignore-scripts --no-progress --loglevel=error)
    echo "$sum" >"$stamp"
}

install_code_server() {
    local prefix="$ROOT/.cache/code-server" bin="$ROOT/.cache/code-server/node_modules/.bin/code-server"
    local pkg="$prefix/node_modules/code-server/package.json"
    if [ -x "$bin" ] && grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$pkg" 2>/dev/null; then
        step "ok: code-server $CODE_SERVER_VERSION"
        return
    fi
    command -v rg >/dev/null || { step "error: ripgrep (rg) is missing: run 'make system-deps'" >&2; exit 1; }
    step "installing code-server $CODE_SERVER_VERSION (builds native modules, a few minutes)"
    local tmp
    tmp=$(mktemp -d)
    # code-server's ripgrep package would download a binary: seed its cache with the system rg.
    mkdir -p "$tmp/$RIPGREP_CACHE"
    tar czf "$tmp/$RIPGREP_CACHE/$RIPGREP_ASSET" -C "$(dirname "$(command -v rg)")" rg
    mkdir -p "$prefix"
    [ -f "$prefix/package.json" ] || echo '{"private": true}' >"$prefix/package.json"
    (
        cd "$prefix"
        TMPDIR=$tmp npm_config_unsafe_perm=true npm_config_yes=true \
            npm install --no-progress --loglevel=error --no-save "code-server@$CODE_SERVER_VERSION"
    )
    rm -rf "$tmp"
    "$bin" --version >/dev/null
    step "installed code-server $("$bin" --version | head -1)"
}

lock_install vscode-client
lock_install tests/e2e
install_code_server
step "done"
