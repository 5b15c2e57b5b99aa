"""Oracle tests: dbsense's offline catalog and workspace findings against a real PostgreSQL 15.

Each schema (generated, or hand-written in ``schemas/``) is loaded into a fresh database one
statement at a time in replay order, then the catalog dbsense replays from the same files is
compared with ``pg_catalog``; so are the PG201/PG202/PG203/PG301 findings with the same facts
computed by catalog queries. The loaded database is also dumped with ``pg_dump
--schema-only`` and the dump, analysed as a ``structure.sql`` baseline, must give the same
catalog again. Any difference fails.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from bench.generate import generate
from dbsense.analyzers.migrations import order_units
from dbsense.analyzers.sql.split import split_statements
from dbsense.config import Settings
from dbsense.workspace import CheckResult, Workspace
from tests.oracle.findings import dbsense_findings, server_findings
from tests.oracle.snapshots import catalog_snapshot, server_snapshot
from tests.support.services import PG_BIN, PostgresServer, _as_postgres

SCHEMAS = Path(__file__).parent / "schemas"
RULES = ["PG201", "PG202", "PG203", "PG301"]


def check(root: Path) -> tuple[Workspace, CheckResult]:
    workspace = Workspace(root, Settings(select=RULES))
    workspace.load_files(sorted(root.rglob("*.sql")))
    return workspace, workspace.check()


def load(dsn: str, workspace: Workspace) -> None:
    """Run every statement of the workspace's files on the server, in dbsense's replay order
    (the order is part of what is tested: Flyway versions compare as numbers)."""
    units = [workspace.cache.get(source) for source in workspace.documents.values()]
    with psycopg.connect(dsn, autocommit=True) as conn:
        for unit in order_units(units):
            text = workspace.documents[unit.path].text
            conn.execute("RESET search_path")
            for statement in split_statements(text):
                if statement.kind != "sql":
                    continue
                try:
                    conn.execute(statement.text)
                except psycopg.Error as error:
                    pytest.fail(
                        f"{unit.path}: {statement.text[:200]!r} failed on Postgres: {error}"
                    )


def dump(server: PostgresServer, database: str, target: Path) -> None:
    argv = [str(PG_BIN / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges"]
    argv += ["-h", server.host, "-p", str(server.port), "-U", "postgres", database]
    result = subprocess.run(_as_postgres(argv), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    target.write_text(result.stdout, encoding="utf-8")


def compare(server: PostgresServer, name: str, root: Path, tmp_path: Path) -> None:
    workspace, result = check(root)
    dsn = server.create_database(name)
    try:
        load(dsn, workspace)
        with psycopg.connect(dsn) as conn:
            expected = server_snapshot(conn)
            expected_findings = server_findings(conn)
        assert_same(catalog_snapshot(workspace.catalog), expected, "migrations")
        found = dbsense_findings(workspace.catalog, result.violations)
        for code in RULES:
            assert expected_findings[code], f"{code}: the schema should exercise the rule"
            assert found[code] == expected_findings[code], (
                f"{code}: dbsense only {sorted(found[code] - expected_findings[code])}, "
                f"Postgres only {sorted(expected_findings[code] - found[code])}"
            )
        dumped = tmp_path / "dump"
        dumped.mkdir()
        dump(server, name, dumped / "structure.sql")
        from_dump, dump_result = check(dumped)
        assert dump_result.analysed_statements == dump_result.statements
        assert_same(catalog_snapshot(from_dump.catalog), expected, "pg_dump")
    finally:
        server.drop_database(name)


def assert_same(actual: dict, expected: dict, stage: str) -> None:
    """Equality with a short, readable difference first."""
    for section in expected:
        if section == "tables":
            missing = sorted(set(expected["tables"]) - set(actual["tables"]))
            extra = sorted(set(actual["tables"]) - set(expected["tables"]))
            assert not missing and not extra, f"{stage}: tables missing {missing}, extra {extra}"
            for name, table in expected["tables"].items():
                for part, value in table.items():
                    assert actual["tables"][name][part] == value, (
                        f"{stage}: {name} {part}:\n dbsense  {actual['tables'][name][part]}\n"
                        f" postgres {value}"
                    )
        else:
            assert actual[section] == expected[section], f"{stage}: {section}"


def test_generated_schema_matches_postgres(postgres_server, tmp_path):
    generate(6000, tmp_path / "workspace", seed=11)
    files = list((tmp_path / "workspace").rglob("*.sql"))
    assert len(files) >= 100
    workspace, result = check(tmp_path / "workspace")
    assert len(workspace.catalog.tables) >= 500
    assert result.analysed_statements == result.statements
    compare(postgres_server, "oracle_generated", tmp_path / "workspace", tmp_path)


@pytest.mark.parametrize("schema", sorted(p.name for p in SCHEMAS.iterdir() if p.is_dir()))
def test_handwritten_schema_matches_postgres(postgres_server, tmp_path, schema):
    compare(postgres_server, f"oracle_{schema}", SCHEMAS / schema, tmp_path)
