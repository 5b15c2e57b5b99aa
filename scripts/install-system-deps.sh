#!/usr/bin/env bash
# Install the system packages the test suite needs on Debian 12 (run as root).
# Idempotent: installed packages are detected first; `apt-get update` runs only when something
# is missing, so a second run finishes in well under a second.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

# Debian 12 ships pg_stat_statements inside postgresql-15 (there is no postgresql-contrib-15).
PACKAGES=(
    postgresql-15          # PostgreSQL server, initdb, pg_ctl, pg_stat_statements
    postgresql-15-hypopg   # hypothetical indexes for index advice tests
    redis-server           # real Redis for live checks
    neovim                 # second LSP client in end-to-end tests
    graphviz               # `dot` renders ERD SVGs
    chromium               # browser driven by Playwright against code-server
    libkrb5-dev            # code-server native module build prerequisites ...
    libx11-dev
    libxkbfile-dev
    libsecret-1-dev
    pkg-config
    ripgrep
)

step() { printf '[system-deps] %s\n' "$*"; }

is_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    if is_installed "$pkg"; then
        step "ok: $pkg"
    else
        step "missing: $pkg"
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        step "error: installing ${missing[*]} needs root" >&2
        exit 1
    fi
    step "apt-get update"
    apt-get update -qq
    for pkg in "${missing[@]}"; do
        candidate=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
        if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
            step "error: no installable candidate for $pkg in the configured apt sources" >&2
            exit 1
        fi
    done
    step "apt-get install ${missing[*]}"
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

for lib in pg_stat_statements hypopg; do
    if [ ! -f "/usr/lib/postgresql/15/lib/$lib.so" ]; then
        step "error: /usr/lib/postgresql/15/lib/$lib.so not found after install" >&2
        exit 1
    fi
done
step "ok: PostgreSQL 15 extensions pg_stat_statements, hypopg"

if command -v uv >/dev/null 2>&1; then
    step "ok: uv"
else
    step "installing uv"
    python3 -m pip install --quiet uv
fi

step "done"
