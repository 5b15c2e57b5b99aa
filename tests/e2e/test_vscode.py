"""The VS Code extension end to end: the built .vsix in code-server, driven through Chromium.

The extension runs the dbsense server from its bundled libs with a `python3` that has no dbsense
installed, so the findings can only come from what the .vsix ships. Screenshots of every step
land in tests/e2e/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.code_server import CODE_SERVER, ROOT, USER_SETTINGS, CodeServer

E2E = Path(__file__).resolve().parent
ARTIFACTS = E2E / "artifacts"
DRIVER = E2E / "vscode_driver.mjs"
WORKSPACE = E2E / "workspace"
CHROMIUM = Path("/usr/bin/chromium")
VERSION = json.loads((ROOT / "vscode-client" / "package.json").read_text())["version"]
VSIX = ROOT / "dist" / f"dbsense-{VERSION}.vsix"
DRIVER_TIMEOUT_S = 150

SQL_FILE = "migrations/0001_create_orders.sql"
PYTHON_FILE = "app/audit.py"
TYPED_TEXT = "-- still editing"
BAD_INTERPRETER = "/nonexistent/bin/python3"


def require(path: Path, remedy: str) -> None:
    if not path.exists():
        pytest.fail(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} is missing: {remedy}"
        )


def has_dbsense(python: str) -> bool:
    """Whether `python` can import dbsense on its own (no PYTHONPATH, outside the repo)."""
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('dbsense') is None)"
    done = subprocess.run([python, "-c", probe], env={"PATH": os.defpath}, cwd="/", check=False)
    return done.returncode == 0


def cli_findings(scratch: Path) -> dict[str, list[str]]:
    """Codes per file, from the CLI of the same bundled libs the extension runs."""
    libs = ROOT / "vscode-client" / "bundled" / "libs"
    require(libs / "dbsense", "run `make vsix`")
    workspace = scratch / "cli-workspace"
    shutil.copytree(WORKSPACE, workspace, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbsense",
            "check",
            "--format",
            "json",
            "--no-cache",
            "--exit-zero",
            ".",
        ],
        cwd=workspace,
        env={"PATH": os.defpath, "PYTHONPATH": str(libs)},
        capture_output=True,
        text=True,
        check=True,
    )
    codes: dict[str, list[str]] = {}
    for finding in json.loads(done.stdout):
        codes.setdefault(finding["filename"], []).append(finding["code"])
    return codes


@pytest.fixture
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


def test_extension_in_code_server(tmp_path: Path, artifacts: Path) -> None:
    for path, remedy in [
        (VSIX, "run `make vsix`"),
        (CODE_SERVER, "run `make node-deps`"),
        (E2E / "node_modules" / "playwright-core", "run `make node-deps`"),
        (CHROMIUM, "run `make system-deps`"),
    ]:
        require(path, remedy)
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH")

    workspace = tmp_path / "workspace"
    shutil.copytree(WORKSPACE, workspace, ignore=shutil.ignore_patterns("__pycache__"))
    expected = cli_findings(tmp_path)
    assert "PG302" in expected.get(SQL_FILE, []), expected

    # No Python extension and no `dbsense.interpreter`: the extension falls back to `python3`.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    }
    env["PATH"] = os.pathsep.join([str(Path(node).parent), os.defpath])

    server = CodeServer(home=tmp_path / "code-server", env=env)
    server.write_settings(USER_SETTINGS)
    server.install_extension(VSIX)
    config_file = tmp_path / "driver.json"
    try:
        url = server.start(workspace)
        config = {
            "url": url,
            "chromium": str(CHROMIUM),
            "artifacts": str(artifacts),
            "sql": {
                "file": SQL_FILE,
                "codes": sorted(set(expected[SQL_FILE])),
                "hoverText": "timestamp-without-time-zone",
                "fixTitle": "Use `timestamptz`",
                "fixedText": "placed_at timestamptz NOT NULL",
            },
            "python": {"file": PYTHON_FILE, "codes": sorted(set(expected[PYTHON_FILE]))}
            if expected.get(PYTHON_FILE)
            else None,
            "outputText": "falling back to `python3`",
            "workspaceSettingsFile": str(workspace / ".vscode" / "settings.json"),
            "badInterpreter": BAD_INTERPRETER,
            "badInterpreterText": "could not run the Python interpreter",
            "typedText": TYPED_TEXT,
        }
        config_file.write_text(json.dumps(config))
        driven = subprocess.run(
            [node, DRIVER, config_file],
            cwd=E2E,
            capture_output=True,
            text=True,
            timeout=DRIVER_TIMEOUT_S,
            check=False,
        )
    finally:
        server.stop()
    (artifacts / "code-server.log").write_text(server.log.read_text())
    (artifacts / "driver.stderr.txt").write_text(driven.stderr)
    lines = driven.stdout.strip().splitlines()
    assert lines, f"the driver printed nothing:\n{driven.stderr}"
    result = json.loads(lines[-1])
    (artifacts / "result.json").write_text(json.dumps(result, indent=2))
    assert driven.returncode == 0, f"step {result.get('failedStep')} failed:\n{result.get('error')}"

    sql = result["sql-findings"]
    assert sql["squiggles"] >= 1
    assert any("PG302" in row for row in sql["problems"]), sql["problems"]
    assert "dbsense" in result["status-bar"]
    assert "timestamp-without-time-zone" in result["hover"]
    assert "# PG302" in result["rule-documentation"]
    assert "timestamp-without-time-zone" in result["rule-documentation"]
    assert "placed_at timestamptz NOT NULL" in result["quick-fix"]
    saved = (workspace / SQL_FILE).read_text()
    assert "placed_at timestamptz NOT NULL" in saved
    assert saved.replace("timestamptz", "timestamp") == (WORKSPACE / SQL_FILE).read_text()
    if config["python"]:
        for code in config["python"]["codes"]:
            assert any(code in row for row in result["python-findings"]["problems"])
    log = result["output-channel"]
    assert "falling back to `python3`" in log
    # The server ran from the bundled libs, with an interpreter that has no dbsense of its own.
    used = re.search(r"Python (3\.\d+\.\d+) at (\S+); import strategy useBundled\.", log)
    assert used, log
    assert not has_dbsense(used.group(2)), f"{used.group(2)} has dbsense installed"
    assert "Server started." in log
    assert str(ROOT / ".venv") not in log
    assert BAD_INTERPRETER in result["bad-interpreter"]
    assert "still-editing" in {step["name"] for step in result["steps"]}
