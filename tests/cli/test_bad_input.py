"""Bad input never produces a traceback; exit codes follow the contract."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize(
    "name, data, expected_code",
    [
        ("binary.sql", bytes(range(256)) * 4, 0),
        ("latin1.sql", "CREATE TABLE caf\xe9 (id int);\n".encode("latin-1"), 0),
        ("empty.sql", b"", 0),
        ("half.sql", b"CREATE TABLE orders (id bigint, placed_at timest", 1),
        ("dollar.sql", b"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\n", 1),
        ("broken.py", b"def f(:\n", 1),
        ("bom.sql", "\ufeffCREATE TABLE t (id bigint PRIMARY KEY);\n".encode(), 0),
    ],
)
def test_bad_files(tmp_path, cli, name, data, expected_code):
    (tmp_path / name).write_bytes(data)
    run = cli("check", "--format", "json", name, cwd=tmp_path)
    assert "Traceback" not in run.stderr
    assert run.code == expected_code, run.stdout + run.stderr
    json.loads(run.stdout)


def test_binary_and_invalid_utf8_are_skipped_with_a_notice(tmp_path, cli):
    (tmp_path / "binary.sql").write_bytes(b"\0\1\2" * 100)
    (tmp_path / "latin1.sql").write_bytes("SELECT 'caf\xe9';".encode("latin-1"))
    run = cli("check", cwd=tmp_path)
    assert "dbsense: notice: binary.sql: skipped: binary file" in run.stderr
    assert "dbsense: notice: latin1.sql: skipped: not valid UTF-8" in run.stderr


def test_one_megabyte_single_statement(tmp_path, cli):
    values = ",".join(f"({i}, 'name {i}')" for i in range(60_000))
    statement = f"INSERT INTO t (id, name) VALUES {values};\n"
    assert len(statement) > 1_000_000
    (tmp_path / "big.sql").write_text(statement)
    run = cli("check", "big.sql", cwd=tmp_path, timeout=300)
    assert run.code == 0, run.stderr
    assert "analysed 1 of 1 statements" in run.stdout


def test_half_typed_statement_reports_parse_error_and_keeps_going(tmp_path, cli):
    (tmp_path / "a.sql").write_text(
        "CREATE TABLE a (id bigint PRIMARY KEY, at timestamp);\nCREATE TABLE b (id bigint,\n"
    )
    run = cli("check", "--format", "json", cwd=tmp_path)
    codes = [(f["code"], f["location"]["row"]) for f in json.loads(run.stdout)]
    assert ("PG302", 1) in codes
    assert ("DBS001", 2) in codes


def test_malformed_pyproject_is_a_one_line_error(tmp_path, cli):
    (tmp_path / "pyproject.toml").write_text("[tool.dbsense\nselect = [\n")
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    run = cli("check", cwd=tmp_path)
    assert run.code == 2
    assert run.stderr.startswith("dbsense: error: pyproject.toml: invalid TOML:")
    assert len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_unknown_key_warns_and_analysis_runs(tmp_path, cli):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.dbsense]\nselekt = ['PG1']\n[tool.dbsense.postgres]\nversion = 14\n"
    )
    (tmp_path / "a.sql").write_text("CREATE TABLE t (at timestamp);\n")
    run = cli("check", "--format", "json", cwd=tmp_path)
    assert "dbsense: warning: pyproject.toml: `tool.dbsense.selekt`: unknown key" in run.stderr
    findings = json.loads(run.stdout)
    assert "PG302" in {f["code"] for f in findings}
    dbs004 = next(f for f in findings if f["code"] == "DBS004")
    assert dbs004["filename"] == "pyproject.toml"
    assert dbs004["location"] == {"row": 2, "column": 1}
    assert run.code == 1


def test_invalid_value_names_file_and_key_and_exits_2(tmp_path, cli):
    (tmp_path / "pyproject.toml").write_text("[tool.dbsense.postgres]\nversion = 'fifteen'\n")
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    run = cli("check", cwd=tmp_path)
    assert run.code == 2
    assert (
        "dbsense: error: pyproject.toml: `tool.dbsense.postgres.version`: must be an integer"
        in run.stderr
    )
    assert "DBS004" in run.stdout  # the rest of the analysis still ran and reported


def test_missing_path_and_missing_config(tmp_path, cli):
    run = cli("check", "nope.sql", cwd=tmp_path)
    assert (run.code, run.stderr.strip()) == (
        2,
        "dbsense: error: nope.sql: no such file or directory",
    )
    run = cli("check", "--config", "missing.toml", cwd=tmp_path)
    assert run.code == 2
    assert "missing.toml: configuration file not found" in run.stderr


def test_fix_refuses_read_only_files_without_partial_writes(tmp_path, cli):
    target = tmp_path / "a.sql"
    original = "CREATE TABLE t (id bigint PRIMARY KEY); -- noqa: PG302\n"
    target.write_text(original)
    target.chmod(0o444)
    try:
        run = cli("check", "--fix", cwd=tmp_path)
    finally:
        target.chmod(0o644)
    assert run.code == 2
    assert "a.sql: cannot write" in run.stderr
    assert target.read_text() == original
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".a.sql")] == []


def test_parsing_python_prints_no_compiler_warnings(tmp_path, cli):
    """Python 3.12 shows its "invalid escape sequence" warning by default (earlier versions
    show it with ``-W default``, which the run below asks for)."""
    (tmp_path / "app.py").write_text(
        'import re\nPATTERN = re.compile("\\d+\\.\\w")\nif PATTERN is "x":\n    pass\n',
        encoding="utf-8",
    )
    run = cli("check", "--no-cache", ".", cwd=tmp_path, python_options=("-W", "default"))
    assert run.stderr == ""
