#!/usr/bin/env bash
# Build the VS Code extension into dist/dbsense-<version>.vsix:
#   1. the dbsense wheel, installed with its pure-Python dependencies into vscode-client/bundled/libs
#   2. format check, type check, unit tests (node --test) and the esbuild bundle of the TypeScript client
#   3. vsce package
# Needs `make node-deps` (vscode-client/node_modules) and uv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLIENT=$ROOT/vscode-client
LIBS=$CLIENT/bundled/libs
# The oldest Python the server supports: conditional dependencies (tomli) are resolved for it.
MIN_PYTHON=3.10

step() { printf '[vsix] %s\n' "$*"; }
fail() { printf '[vsix] error: %s\n' "$*" >&2; exit 1; }

[ -d "$CLIENT/node_modules" ] || fail "vscode-client/node_modules is missing: run 'make node-deps'"
command -v uv >/dev/null || fail "uv is missing: run 'make uv'"

VERSION=$(node -p 'require("./vscode-client/package.json").version')
PY_VERSION=$(python3 -c 'import re,sys; print(re.search(r"(?m)^version\s*=\s*\"([^\"]+)\"", open("pyproject.toml").read()).group(1))')
[ "$VERSION" = "$PY_VERSION" ] ||
    fail "vscode-client/package.json version $VERSION differs from pyproject.toml version $PY_VERSION"

step "building the dbsense $VERSION wheel"
WHEELS=$(mktemp -d)
trap 'rm -rf "$WHEELS"' EXIT
uv build --quiet --wheel --out-dir "$WHEELS" "$ROOT"
WHEEL=$(ls "$WHEELS"/dbsense-"$VERSION"-*.whl)

step "installing it with its dependencies into vscode-client/bundled/libs"
rm -rf "$CLIENT/bundled"
uv pip install --quiet --target "$LIBS" --python-version "$MIN_PYTHON" --only-binary :all: \
    --no-config "$WHEEL"
rm -rf "$LIBS/bin"
find "$LIBS" -name __pycache__ -type d -prune -exec rm -rf {} +
compiled=$(find "$LIBS" \( -name '*.so' -o -name '*.pyd' \) | head -5)
[ -z "$compiled" ] || fail "bundled libs must be pure Python, found: $compiled"
[ -f "$LIBS/dbsense/__init__.py" ] || fail "dbsense is missing from bundled/libs"

cd "$CLIENT"
step "format and type check"
node_modules/.bin/prettier --check --log-level warn src esbuild.mjs ../tests/e2e/vscode_driver.mjs
node_modules/.bin/tsc --noEmit -p .
step "unit tests"
node esbuild.mjs --tests
node --test out/test/
step "bundle"
rm -rf out
node esbuild.mjs --production

step "package"
mkdir -p "$ROOT/dist"
node_modules/.bin/vsce package --no-dependencies --allow-missing-repository \
    --out "$ROOT/dist/dbsense-$VERSION.vsix"
step "wrote dist/dbsense-$VERSION.vsix"
