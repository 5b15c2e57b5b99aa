"""``dbsense --version``, ``rules`` and ``rule``."""

from __future__ import annotations

import json

from dbsense import __version__


def test_version(tmp_path, cli):
    run = cli("--version", cwd=tmp_path)
    assert run.code == 0
    assert run.stdout.strip() == f"dbsense {__version__}"


def test_rules_lists_every_rule(tmp_path, cli):
    text = cli("rules", cwd=tmp_path)
    assert text.code == 0
    assert any(
        line.startswith("PG101   create-index-not-concurrently")
        for line in text.stdout.splitlines()
    )
    rows = json.loads(cli("rules", "--format", "json", cwd=tmp_path).stdout)
    codes = {row["code"] for row in rows}
    assert {"DBS001", "DBS002", "DBS003", "DBS004", "PG101", "PG201", "PG302"} <= codes
    pg101 = next(row for row in rows if row["code"] == "PG101")
    assert pg101["name"] == "create-index-not-concurrently"
    assert pg101["severity"] == "warning"


def test_rule_page_by_code_and_name(tmp_path, cli):
    by_code = cli("rule", "PG101", cwd=tmp_path)
    by_name = cli("rule", "create-index-not-concurrently", cwd=tmp_path)
    assert by_code.code == by_name.code == 0
    assert by_code.stdout == by_name.stdout
    assert by_code.stdout.startswith("# create-index-not-concurrently (PG101)")
    assert "## Why is this bad?" in by_code.stdout


def test_unknown_rule(tmp_path, cli):
    run = cli("rule", "PG999", cwd=tmp_path)
    assert run.code == 2
    assert "unknown rule `PG999`" in run.stderr


def test_no_command_prints_help_and_fails(tmp_path, cli):
    run = cli(cwd=tmp_path)
    assert run.code == 2
    assert "usage: dbsense" in run.stdout


def test_workspace_modules_never_shadow_dependencies(tmp_path, cli):
    (tmp_path / "sqlglot.py").write_text("raise SystemExit('workspace sqlglot was imported')\n")
    (tmp_path / "a.sql").write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    run = cli("check", "a.sql", cwd=tmp_path)
    assert run.code == 0, run.stdout + run.stderr
