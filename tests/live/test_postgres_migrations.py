"""Generated migrations: they apply and roll back on a real PostgreSQL, and fit each tool's
conventions (Flyway undo files, the Alembic head, Django dependencies)."""

from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

from dbsense.cli import main
from dbsense.migration_writer import IndexChange, MigrationError, alembic_heads, write_migration

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
SCHEMA = """
CREATE TABLE accounts (id bigint PRIMARY KEY);
CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    kind text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO accounts SELECT generate_series(1, 500);
INSERT INTO events (account_id, kind)
    SELECT g % 500 + 1, 'k' || g % 3 FROM generate_series(1, 20000) g;
ANALYZE events
"""
CHANGES = [
    IndexChange("public", "events", ("account_id",)),
    IndexChange.parse("events(kind, created_at)"),
]


def run_script(dsn: str, path: Path) -> None:
    """Run a migration file the way psql would, statement by statement, outside a transaction."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("--"))
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in filter(str.strip, text.split(";")):
            conn.execute(statement)  # type: ignore[arg-type]


def indexes(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events' "
            "AND indexname <> 'events_pkey'"
        ).fetchall()
    return dict(rows)


@pytest.fixture
def events_db(postgres_database: str) -> str:
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        for statement in filter(str.strip, SCHEMA.split(";\n")):
            conn.execute(statement)  # type: ignore[arg-type]
    return postgres_database


def test_index_spec_parsing() -> None:
    assert IndexChange.parse("billing.invoices (customer_id)") == IndexChange(
        "billing", "invoices", ("customer_id",)
    )
    with pytest.raises(MigrationError):
        IndexChange.parse("events account_id")


def test_sql_pair_applies_and_rolls_back(events_db: str, tmp_path: Path) -> None:
    up, down = write_migration(CHANGES, "sql", tmp_path, NOW)
    assert up.name == "20260102030405_add_events_account_id_index_and_1_more.up.sql"
    assert down.name.endswith(".down.sql")
    run_script(events_db, up)
    assert indexes(events_db) == {
        "events_account_id_idx": "CREATE INDEX events_account_id_idx ON public.events "
        "USING btree (account_id)",
        "events_kind_created_at_idx": "CREATE INDEX events_kind_created_at_idx ON public.events "
        "USING btree (kind, created_at)",
    }
    run_script(events_db, up)  # re-running is harmless
    run_script(events_db, down)
    assert indexes(events_db) == {}
    with pytest.raises(MigrationError, match="already exists"):
        write_migration(CHANGES, "sql", tmp_path, NOW)


def test_flyway_versioned_and_undo(events_db: str, tmp_path: Path) -> None:
    (tmp_path / "V1__init.sql").write_text("SELECT 1;\n")
    (tmp_path / "V2__more.sql").write_text("SELECT 1;\n")
    written = write_migration(CHANGES[:1], "flyway", tmp_path, NOW)
    names = [path.name for path in written]
    assert names == [
        "V3__add_events_account_id_index.sql",
        "V3__add_events_account_id_index.sql.conf",
        "U3__add_events_account_id_index.sql",
        "U3__add_events_account_id_index.sql.conf",
    ]
    assert written[1].read_text() == "executeInTransaction=false\n"
    run_script(events_db, written[0])
    assert list(indexes(events_db)) == ["events_account_id_idx"]
    run_script(events_db, written[2])
    assert indexes(events_db) == {}


def test_alembic_revision_builds_on_the_head(tmp_path: Path) -> None:
    (tmp_path / "a1_init.py").write_text('revision = "a1"\ndown_revision = None\n')
    (tmp_path / "b2_next.py").write_text('revision: str = "b2"\ndown_revision = "a1"\n')
    (tmp_path / "broken.py").write_text("def (:\n")
    assert alembic_heads(tmp_path) == ["b2"]
    (path,) = write_migration(CHANGES, "alembic", tmp_path, NOW)
    tree = ast.parse(path.read_text())
    values = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert values["down_revision"] == "b2"
    assert alembic_heads(tmp_path) == [values["revision"]]
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert functions == {"upgrade", "downgrade"}
    text = path.read_text()
    assert "autocommit_block()" in text
    assert (
        "op.create_index('events_account_id_idx', 'events', ['account_id'], "
        "postgresql_concurrently=True, if_not_exists=True)"
    ) in text
    assert "op.drop_index('events_kind_created_at_idx', table_name='events'" in text


def test_alembic_merges_two_heads(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('revision = "a"\ndown_revision = None\n')
    (tmp_path / "b.py").write_text('revision = "b"\ndown_revision = "a"\n')
    (tmp_path / "c.py").write_text('revision = "c"\ndown_revision = "a"\n')
    (path,) = write_migration(CHANGES[:1], "alembic", tmp_path, NOW)
    assert "down_revision = ('b', 'c')" in path.read_text()


def test_django_migration(tmp_path: Path) -> None:
    migrations = tmp_path / "shop" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "0001_initial.py").write_text("")
    (migrations / "0002_event_kind.py").write_text("")
    changes = [IndexChange("public", "shop_event", ("account_id", "created_at"))]
    (path,) = write_migration(changes, "django", migrations, NOW)
    assert path.name.startswith("0003_add_shop_event_account_id_created_at")
    text = path.read_text()
    tree = ast.parse(text)
    migration = next(node for node in tree.body if isinstance(node, ast.ClassDef))
    assigned = {
        node.targets[0].id: node.value for node in migration.body if isinstance(node, ast.Assign)
    }
    assert ast.literal_eval(assigned["atomic"]) is False
    assert ast.literal_eval(assigned["dependencies"]) == [("shop", "0002_event_kind")]
    assert "AddIndexConcurrently(" in text and "model_name='event'" in text
    names = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)]
    index_names = [n for n in names if isinstance(n, str) and n.endswith("_idx")]
    assert index_names and all(len(name) <= 30 for name in index_names)


def test_cli_writes_the_verified_advice(
    events_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "queries.sql").write_text(
        "SELECT * FROM events WHERE account_id = 7;\nSELECT * FROM accounts WHERE id = 1;\n"
    )
    with psycopg.connect(events_db, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION hypopg")
    out = tmp_path / "migrations"
    args = ["migration", str(tmp_path / "app"), "--database-url", events_db, "-o", str(out)]
    assert main(args) == 0
    up = next(out.glob("*.up.sql"))
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS events_account_id_idx ON events " in (
        up.read_text()
    )
    run_script(events_db, up)
    assert list(indexes(events_db)) == ["events_account_id_idx"]
    run_script(events_db, next(out.glob("*.down.sql")))
    assert indexes(events_db) == {}
    manual = ["migration", "--index", "events(kind)", "--format", "flyway", "-o", str(out)]
    assert main(manual) == 0
    assert (out / "V1__add_events_kind_index.sql").is_file()
    assert main(["migration", "-o", str(out)]) == 2
    assert "give --index" in capsys.readouterr().err
