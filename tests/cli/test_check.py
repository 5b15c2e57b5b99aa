"""``dbsense check`` through a subprocess: output, exit codes, fixes, selectors."""

from __future__ import annotations

import json
from pathlib import Path

MIGRATION = """\
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    placed_at timestamp NOT NULL
);
CREATE INDEX orders_placed_at_idx ON orders (placed_at);
"""
LATER = "CREATE INDEX orders_id_idx ON orders (id);\n"


def make_project(tmp_path: Path, config: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.dbsense]\n{config}")
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "001_init.sql").write_text(MIGRATION)
    (migrations / "002_later.sql").write_text(LATER)
    return tmp_path


def test_text_output_and_exit_code(tmp_path, cli):
    project = make_project(tmp_path)
    run = cli("check", cwd=project)
    assert run.code == 1, run.stderr
    lines = run.stdout.splitlines()
    assert (
        "migrations/001_init.sql:5:15: PG302 [timestamp-without-time-zone] "
        "`orders.placed_at` is `timestamp without time zone`; use `timestamptz` to store an instant"
    ) in lines
    assert any(line.startswith("migrations/002_later.sql:1:1: PG101 ") for line in lines)
    assert any(
        "PG201 [foreign-key-without-index] foreign key orders(customer_id)" in line
        for line in lines
    )
    assert "Checked 2 files; analysed 4 of 4 statements." in lines


def test_clean_project_exits_zero(tmp_path, cli):
    (tmp_path / "a.sql").write_text("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    run = cli("check", "a.sql", cwd=tmp_path)
    assert run.code == 0, run.stdout + run.stderr
    assert "No findings." in run.stdout


def test_exit_zero_and_select_ignore(tmp_path, cli):
    project = make_project(tmp_path)
    assert cli("check", "--exit-zero", cwd=project).code == 0
    only = cli("check", "--select", "PG302", "--format", "json", cwd=project)
    assert {item["code"] for item in json.loads(only.stdout)} == {"PG302"}
    by_name = cli(
        "check", "--select", "timestamp-without-time-zone", "--format", "json", cwd=project
    )
    assert {item["code"] for item in json.loads(by_name.stdout)} == {"PG302"}
    by_prefix = cli("check", "--select", "PG1,PG2", "--format", "json", cwd=project)
    assert {item["code"] for item in json.loads(by_prefix.stdout)} == {"PG101", "PG115", "PG201"}
    ignored = cli("check", "--ignore", "PG1,PG2", "--format", "json", cwd=project)
    assert "PG101" not in {item["code"] for item in json.loads(ignored.stdout)}
    extended = cli(
        "check", "--select", "PG302", "--extend-select", "PG101", "--format", "json", cwd=project
    )
    assert {item["code"] for item in json.loads(extended.stdout)} == {"PG101", "PG302"}


def test_unknown_selector_is_a_usage_error(tmp_path, cli):
    project = make_project(tmp_path)
    run = cli("check", "--select", "PG999", cwd=project)
    assert run.code == 2
    assert run.stderr.strip() == "dbsense: error: unknown rule selector `PG999`"


def test_config_select_and_severity(tmp_path, cli):
    project = make_project(tmp_path, 'select = ["PG3"]\n[tool.dbsense.rules]\nPG302 = "error"\n')
    run = cli("check", "--format", "json", cwd=project)
    findings = json.loads(run.stdout)
    assert [(f["code"], f["severity"]) for f in findings] == [("PG302", "error")]


def test_per_file_ignores(tmp_path, cli):
    project = make_project(
        tmp_path, '[tool.dbsense.per-file-ignores]\n"migrations/002_*.sql" = ["PG101"]\n'
    )
    run = cli("check", "--format", "json", cwd=project)
    assert "PG101" not in {f["code"] for f in json.loads(run.stdout)}


def test_fix_applies_only_safe_fixes_and_unsafe_on_request(tmp_path, cli):
    project = make_project(tmp_path)
    (project / "migrations" / "003.sql").write_text(
        "CREATE TABLE z (id bigint PRIMARY KEY); -- noqa: PG302\n"
    )
    run = cli("check", "--fix", cwd=project)
    assert run.code == 1
    assert (
        project / "migrations" / "003.sql"
    ).read_text() == "CREATE TABLE z (id bigint PRIMARY KEY);\n"
    assert "timestamp NOT NULL" in (project / "migrations" / "001_init.sql").read_text()
    run = cli("check", "--fix", "--unsafe-fixes", "--select", "PG302,PG101", cwd=project)
    assert run.code == 0, run.stdout
    assert "placed_at timestamptz NOT NULL" in (project / "migrations" / "001_init.sql").read_text()
    assert (project / "migrations" / "002_later.sql").read_text() == (
        "CREATE INDEX CONCURRENTLY orders_id_idx ON orders (id);\n"
    )


def test_diff_changes_nothing(tmp_path, cli):
    project = make_project(tmp_path)
    before = (project / "migrations" / "001_init.sql").read_text()
    run = cli("check", "--diff", "--unsafe-fixes", "--select", "PG302", cwd=project)
    assert run.code == 1
    assert "-    placed_at timestamp NOT NULL" in run.stdout
    assert "+    placed_at timestamptz NOT NULL" in run.stdout
    assert (project / "migrations" / "001_init.sql").read_text() == before


def test_statistics(tmp_path, cli):
    run = cli("check", "--statistics", cwd=make_project(tmp_path))
    assert any(line.split()[:2] == ["1", "PG302"] for line in run.stdout.splitlines())


def test_github_format(tmp_path, cli):
    run = cli("check", "--format", "github", "--select", "PG302", cwd=make_project(tmp_path))
    assert run.stdout.startswith(
        "::warning file=migrations/001_init.sql,line=5,col=15,endLine=5,endColumn=24,"
        "title=PG302 [timestamp-without-time-zone]::"
    )


def test_json_is_one_document_even_when_clean(tmp_path, cli):
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    run = cli("check", "--format", "json", cwd=tmp_path)
    assert run.code == 0
    assert json.loads(run.stdout) == []


def test_a_reader_that_stops_early_gets_no_error_message(tmp_path, started_cli):
    statement = "CREATE TABLE t{} (id bigint PRIMARY KEY, at timestamp);\n"
    # findings filling more than a pipe's buffer
    (tmp_path / "schema.sql").write_text("".join(map(statement.format, range(2_000))))
    process = started_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert process.stdout.readline().startswith(b"schema.sql:1:")
    process.stdout.close()  # as `head -1` does
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr == b""


def test_excludes_virtualenvs_and_configured_paths(tmp_path, cli):
    project = make_project(tmp_path, 'extend-exclude = ["legacy"]\n')
    for folder in (".venv/lib", "node_modules/x", "legacy"):
        (project / folder).mkdir(parents=True)
        (project / folder / "bad.sql").write_text("CREATE TABLE t (x timestamp);\n")
    run = cli("check", "--format", "json", cwd=project)
    assert not any("bad.sql" in f["filename"] for f in json.loads(run.stdout))


def test_disk_cache_is_used_and_can_be_bypassed(tmp_path, cli):
    project = make_project(tmp_path)
    cli("check", cwd=project)
    assert list((project / ".dbsense_cache").rglob("*.pickle"))
    other = tmp_path / "nocache"
    other.mkdir()
    (other / "a.sql").write_text(MIGRATION)
    cli("check", "--no-cache", cwd=other)
    assert not (other / ".dbsense_cache").exists()


def test_a_rerun_after_a_comment_edit_reports_what_a_fresh_run_does(tmp_path, cli):
    project = make_project(tmp_path)
    first = cli("check", "--format", "json", cwd=project)
    assert list((project / ".dbsense_cache").rglob("runs/*.pickle"))
    with open(project / "migrations/001_init.sql", "a", encoding="utf-8") as handle:
        handle.write("-- reviewed\n")

    again = cli("check", "--format", "json", cwd=project)
    fresh = cli("check", "--format", "json", "--no-cache", cwd=project)

    assert again.code == fresh.code == first.code == 1
    assert again.stdout == fresh.stdout == first.stdout
    assert again.stderr == fresh.stderr
