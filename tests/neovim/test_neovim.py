"""Headless Neovim (0.7+) as a second LSP client: diagnostics appear for SQL and Python files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("check.lua")


def run_neovim(root: Path, file: Path) -> dict:
    nvim = shutil.which("nvim")
    assert nvim, "nvim is missing: run scripts/install-system-deps.sh"
    env = {**os.environ, "DBSENSE_PYTHON": sys.executable, "DBSENSE_ROOT": str(root)}
    process = subprocess.run(
        [nvim, "--headless", "--clean", "-c", f"luafile {SCRIPT}", str(file)],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        timeout=90,
        check=False,
    )
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result from nvim: {process.stdout!r} {process.stderr!r}"
    return json.loads(lines[-1])


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "migrations").mkdir(parents=True)
    return project


def test_sql_diagnostics_and_hover(root: Path):
    migration = root / "migrations" / "0001_orders.sql"
    migration.write_text(
        "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp NOT NULL);\n"
    )
    result = run_neovim(root, migration)
    assert result["arrived"] is True
    [diagnostic] = result["diagnostics"]
    assert diagnostic["code"] == "PG302"
    assert diagnostic["source"] == "dbsense"
    assert (diagnostic["line"], diagnostic["col"]) == (0, 54)
    assert "timestamp-without-time-zone" in result["hover"]


def test_python_diagnostics(root: Path):
    module = root / "app.py"
    module.write_text("import os\n\ndef broken(:\n    pass\n")
    result = run_neovim(root, module)
    assert result["arrived"] is True
    assert [item["code"] for item in result["diagnostics"]] == ["DBS001"]
    assert result["diagnostics"][0]["line"] == 2
