"""The VS Code extension end to end: the built .vsix in code-server, driven through Chromium.

With no Python extension and no `dbsense.interpreter`, the extension falls back to a `python3`
that has no dbsense installed, so everything comes from what the .vsix bundles. The driver
(vscode_driver.mjs) checks, as a user sees them: squiggles and Problems rows in a SQL migration
and a Python file, the hover, the rule page and the schema catalog, the quick fix (text changed,
finding gone), a settings change, the output channel, a broken pyproject.toml, a missing
interpreter (notification; editing goes on) and the recovery. Expectations come from the CLI of
the same bundled libs. Screenshots of every step land in tests/e2e/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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
MAX_DURATION_S = 180

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


def cli_findings(scratch: Path) -> list[dict[str, Any]]:
    """The fixture workspace's findings from the CLI of the bundled libs the extension runs."""
    libs = ROOT / "vscode-client" / "bundled" / "libs"
    require(libs / "dbsense", "run `make vsix`")
    workspace = scratch / "cli-workspace"
    shutil.copytree(WORKSPACE, workspace, ignore=shutil.ignore_patterns("__pycache__"))
    command = ["-m", "dbsense", "check", "--format", "json", "--no-cache", "--exit-zero", "."]
    done = subprocess.run(
        [sys.executable, *command],
        cwd=workspace,
        env={"PATH": os.defpath, "PYTHONPATH": str(libs)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def codes_in(findings: list[dict[str, Any]], filename: str) -> list[str]:
    return sorted({finding["code"] for finding in findings if finding["filename"] == filename})


def driver_config(url: str, workspace: Path, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """What the browser driver does and waits for, derived from the CLI's findings."""
    target = next((f for f in findings if f["filename"] == SQL_FILE and f["code"] == "PG302"), None)
    assert target is not None, f"the CLI reports no PG302 in {SQL_FILE}: {findings}"
    python_codes = codes_in(findings, PYTHON_FILE)
    assert "RD101" in python_codes, f"the CLI reports no RD101 in {PYTHON_FILE}: {findings}"
    return {
        "url": url,
        "chromium": str(CHROMIUM),
        "artifacts": str(ARTIFACTS),
        "sql": {
            "file": SQL_FILE,
            "codes": codes_in(findings, SQL_FILE),
            "target": {
                "code": "PG302",
                "line": target["location"]["row"],
                "column": target["location"]["column"],
            },
            "hoverText": "timestamp-without-time-zone",
            "fixTitle": "Use `timestamptz`",
            "fixedText": "placed_at timestamptz NOT NULL",
        },
        "python": {"file": PYTHON_FILE, "codes": python_codes},
        "catalogText": "orders",
        "outputText": "falling back to `python3`",
        "ignoredCode": "RD101",
        "brokenPyproject": {
            "file": str(workspace / "pyproject.toml"),
            "text": '[tool.dbsense\nselect = ["PG"\n',
            "logText": "pyproject.toml: invalid TOML",
        },
        "workspaceSettingsFile": str(workspace / ".vscode" / "settings.json"),
        "badInterpreter": BAD_INTERPRETER,
        "badInterpreterText": "could not run the Python interpreter",
        "typedText": TYPED_TEXT,
    }


def code_server_env(node: str) -> dict[str, str]:
    """This environment without any Python selection, so the extension uses `python3`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    }
    env["PATH"] = os.pathsep.join([str(Path(node).parent), os.defpath])
    return env


def drive(node: str, config: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """Run the browser driver; return what each step saw (fails the test on a failed step)."""
    config_file = scratch / "driver.json"
    config_file.write_text(json.dumps(config))
    driven = subprocess.run(
        [node, DRIVER, config_file],
        cwd=E2E,
        capture_output=True,
        text=True,
        timeout=DRIVER_TIMEOUT_S,
        check=False,
    )
    (ARTIFACTS / "driver.stderr.txt").write_text(driven.stderr)
    lines = driven.stdout.strip().splitlines()
    assert lines, f"the driver printed nothing:\n{driven.stderr}"
    result = json.loads(lines[-1])
    (ARTIFACTS / "result.json").write_text(json.dumps(result, indent=2))
    assert driven.returncode == 0, f"step {result.get('failedStep')} failed:\n{result.get('error')}"
    return result


@pytest.fixture
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


def test_extension_in_code_server(tmp_path: Path, artifacts: Path) -> None:
    started = time.monotonic()
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
    findings = cli_findings(tmp_path)
    workspace = tmp_path / "workspace"
    shutil.copytree(WORKSPACE, workspace, ignore=shutil.ignore_patterns("__pycache__"))

    server = CodeServer(home=tmp_path / "code-server", env=code_server_env(node))
    server.write_settings(USER_SETTINGS)
    server.install_extension(VSIX)
    try:
        config = driver_config(server.start(workspace), workspace, findings)
        result = drive(node, config, tmp_path)
    finally:
        server.stop()
        (artifacts / "code-server.log").write_text(server.log.read_text())

    sql = result["sql-findings"]
    for code in config["sql"]["codes"]:
        assert any(f"dbsense({code})" in row or code in row for row in sql["problems"]), sql
    assert re.fullmatch(r".*dbsense \d+", result["status-bar"]), result["status-bar"]
    assert "timestamp-without-time-zone" in result["hover"]
    assert "# PG302" in result["rule-documentation"]
    assert "timestamp-without-time-zone" in result["rule-documentation"]
    assert "orders" in result["schema-catalog"]

    fixed = result["quick-fix"]
    assert fixed["after"] < fixed["before"], fixed
    assert "placed_at timestamptz NOT NULL" in fixed["text"]
    saved = (workspace / SQL_FILE).read_text()
    assert saved == (WORKSPACE / SQL_FILE).read_text().replace(
        "placed_at timestamp NOT NULL", "placed_at timestamptz NOT NULL"
    )

    for code in config["python"]["codes"]:
        assert any(code in row for row in result["python-findings"]["problems"]), result

    remaining = " ".join(result["settings-change"])
    assert "RD101" not in remaining
    assert "PG302" in remaining

    log = result["output-channel"]
    assert "falling back to `python3`" in log
    # The server ran from the bundled libs, with an interpreter that has no dbsense of its own.
    used = re.search(r"Python (3\.\d+\.\d+) at (\S+); import strategy useBundled\.", log)
    assert used, log
    assert not has_dbsense(used.group(2)), f"{used.group(2)} has dbsense installed"
    assert "Server started." in log

    assert "pyproject.toml: invalid TOML" in result["broken-pyproject"]
    assert BAD_INTERPRETER in result["bad-interpreter"]
    assert "still-editing" in {step["name"] for step in result["steps"]}
    assert re.fullmatch(r".*dbsense \d+", result["recovered"]), result["recovered"]
    assert time.monotonic() - started < MAX_DURATION_S
