"""Live PostgreSQL in the editor, against a real PostgreSQL 15 with hypopg and a real server
subprocess: table statistics in hovers, verified index advice as PG207 diagnostics whose quick
fix creates a migration that applies and rolls back, the live checks command, and a database
that cannot be reached. The server's role is audited afterwards in pg_stat_statements: it only
ever read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from lsprotocol import types

from dbsense.advisor import explain, plan_summary
from tests.live.test_postgres_migrations import run_script
from tests.lsp.conftest import (
    Client,
    diagnostics_for,
    open_document,
    start,
    until,
)
from tests.support.services import PostgresServer, free_port

ROLE = "dbsense_editor"
SCHEMA = """CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE events (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    status integer NOT NULL,
    kind text NOT NULL
);
CREATE INDEX events_kind_idx ON events (kind);
CREATE INDEX events_account_id_idx ON events (account_id);
"""
SEED = f"""CREATE EXTENSION hypopg;
CREATE EXTENSION pg_stat_statements;
INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 1000) g;
INSERT INTO events SELECT g, g % 1000 + 1, g % 500, 'k' || g % 7 FROM generate_series(1, 60000) g;
ANALYZE accounts;
ANALYZE events;
CREATE TABLE legacy (id bigint PRIMARY KEY);
INSERT INTO legacy SELECT generate_series(1, 10);
ANALYZE legacy;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ROLE};
"""
RAW = """\
def by_status(cursor, status):
    cursor.execute("SELECT id, kind FROM events WHERE status = %s", (status,))
    return cursor.fetchall()
"""
REPORT = "SELECT count(*) FROM events WHERE status = 42 AND kind = 'k1';\n"
LEGACY = "SELECT id FROM legacy;\n"  # a table no migration creates
MODELS = """\
from sqlalchemy import BigInteger, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
"""
ALLOWED = re.compile(
    r"^\s*(SELECT|SHOW|SET|RESET|EXPLAIN|PREPARE|DEALLOCATE)\b", re.IGNORECASE
)  # what a read-only session may send


def execute(dsn: str, script: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in filter(str.strip, script.split(";\n")):
            conn.execute(statement)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def database(postgres_server: PostgresServer) -> Iterator[str]:
    """The seeded database; the DSN is that of the editor's role (pg_monitor, SELECT)."""
    name = "dbsense_editor_live"
    with psycopg.connect(postgres_server.dsn, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {ROLE} LOGIN IN ROLE pg_monitor")  # type: ignore[arg-type]
    admin_dsn = postgres_server.create_database(name)
    execute(admin_dsn, SCHEMA + SEED)
    yield f"postgresql://{ROLE}@{postgres_server.host}:{postgres_server.port}/{name}"
    postgres_server.drop_database(name)
    with psycopg.connect(postgres_server.dsn, autocommit=True) as admin:
        admin.execute(f"DROP ROLE {ROLE}")  # type: ignore[arg-type]


def admin_dsn(database: str) -> str:
    return database.replace(f"{ROLE}@", "postgres@")


@pytest.fixture
def workspace(project: Path) -> Path:
    (project / "migrations" / "0001_schema.sql").write_text(SCHEMA)
    for path, text in {
        "app/db.py": RAW,
        "app/models.py": MODELS,
        "reports/daily.sql": REPORT,
        "reports/legacy.sql": LEGACY,
    }.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text)
    return project


def live_options(url: str) -> dict:
    return {"select": ["PG207", "PG302"], "live": {"databaseUrl": url}}


async def advice_on(client: Client, uri: str) -> list[types.Diagnostic]:
    """The PG207 diagnostics of ``uri``, once the background advice published them."""
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: any(d.code == "PG207" for d in client.diagnostics.get(uri, [])),
    )
    return [d for d in client.diagnostics[uri] if d.code == "PG207"]


async def hover_text(client: Client, uri: str, text: str, needle: str) -> str:
    offset = text.index(needle) + 1
    line = text.count("\n", 0, offset)
    position = types.Position(line, offset - (text.rfind("\n", 0, offset) + 1))
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), position)
    )
    assert result is not None, [m.message for m in client.log_messages][-3:]
    return result.contents.value


def audited_statements(database: str) -> list[str]:
    with psycopg.connect(admin_dsn(database)) as conn:
        rows = conn.execute(
            """SELECT query FROM pg_stat_statements
               WHERE userid = (SELECT oid FROM pg_roles WHERE rolname = %s)""",
            (ROLE,),
        ).fetchall()
    return [query for (query,) in rows]


async def test_advice_is_a_diagnostic_on_the_query_and_its_fix_creates_the_migration(
    client: Client, workspace: Path, database: str
):
    await start(client, workspace, options=live_options(database))
    uri = open_document(client, workspace / "app/db.py")
    (diagnostic,) = await advice_on(client, uri)
    assert diagnostic.range.start == types.Position(1, 20)  # the SQL inside the string literal
    assert diagnostic.message.startswith("An index on `events (status)` would cut this query's")
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    report_uri = open_document(client, workspace / "reports/daily.sql")
    (on_sql,) = await advice_on(client, report_uri)
    assert on_sql.range.start == types.Position(0, 0)

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            diagnostic.range,
            types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    (create,) = [a for a in actions or [] if a.title.startswith("Create migration")]
    assert create.title == (
        "Create migration `0002_add_events_status_index.sql` for `events (status)`"
    )
    changes = create.edit.document_changes
    assert [type(change).__name__ for change in changes] == [
        "CreateFile",
        "TextDocumentEdit",
        "CreateFile",
        "TextDocumentEdit",
    ]
    migrations = workspace / "migrations"
    up_uri = (migrations / "0002_add_events_status_index.sql").as_uri()
    down_uri = (migrations / "0002_add_events_status_index.down.sql").as_uri()
    assert [changes[0].uri, changes[2].uri] == [up_uri, down_uri]
    for created, edit in ((changes[0], changes[1]), (changes[2], changes[3])):
        assert not Path(created.uri.removeprefix("file://")).exists()  # the client creates it
        (text_edit,) = edit.edits
        Path(created.uri.removeprefix("file://")).write_text(text_edit.new_text)
    up = migrations / "0002_add_events_status_index.sql"
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS events_status_idx ON events (status);" in (
        up.read_text()
    )
    query = "SELECT id, kind FROM events WHERE status = $1"
    try:
        run_script(admin_dsn(database), up)
        with psycopg.connect(admin_dsn(database)) as conn:
            assert "Index Scan using events_status_idx" in plan_summary(explain(conn, query))
    finally:
        run_script(admin_dsn(database), migrations / "0002_add_events_status_index.down.sql")
    with psycopg.connect(admin_dsn(database)) as conn:
        assert plan_summary(explain(conn, query)) == "Seq Scan on events"

    # The new migration is part of the workspace: the advice is not repeated.
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [
                types.FileEvent(up_uri, types.FileChangeType.Created),
                types.FileEvent(down_uri, types.FileChangeType.Created),
            ]
        )
    )
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: not any(d.code == "PG207" for d in client.diagnostics.get(uri, [])),
    )
    statements = audited_statements(database)
    assert statements and all(ALLOWED.match(s) for s in statements), statements


async def test_hover_on_a_table_and_a_model_shows_live_statistics(
    client: Client, workspace: Path, database: str
):
    await start(client, workspace, options=live_options(database))
    raw_uri = open_document(client, workspace / "app/db.py")
    await advice_on(client, raw_uri)  # the live session is open
    schema_uri = open_document(client, workspace / "migrations" / "0001_schema.sql")
    await diagnostics_for(client, schema_uri, version=1)
    text = await hover_text(client, schema_uri, SCHEMA, "events (\n")
    assert "**table `public.events`**" in text  # the catalog entry is still there
    target = database.removeprefix("postgresql://").split("/")[0]
    assert f"**live** `events` on `postgresql://{target}/dbsense_editor_live`" in text
    assert "about 60,000 rows; 0 dead tuples" in text
    ago = r"(never|just now|\d+ min ago)"
    assert re.search(rf"- Vacuum never, autovacuum {ago}; analyze (just now|\d+ min ago)", text)
    assert "- `events_kind_idx`: 0 — **unused**" in text
    assert "- `events_pkey`: 0 (enforces a constraint)" in text
    scanned = re.search(r"- `events_account_id_idx`: (\d+)", text)
    assert scanned is not None

    models_uri = open_document(client, workspace / "app/models.py")
    await diagnostics_for(client, models_uri, version=1)
    on_model = await hover_text(client, models_uri, MODELS, "Account(Base)")
    assert "**live** `accounts` on" in on_model and "about 1,000 rows" in on_model
    in_query = await hover_text(client, raw_uri, RAW, "events WHERE")
    assert "**live** `events` on" in in_query  # a table named in embedded SQL
    legacy_uri = open_document(client, workspace / "reports/legacy.sql")
    await diagnostics_for(client, legacy_uri, version=1)
    only_live = await hover_text(client, legacy_uri, LEGACY, "legacy;")
    assert only_live.startswith("**live** `legacy` on") and "about 10 rows" in only_live


async def test_live_checks_and_recommendations_on_demand(
    client: Client, workspace: Path, database: str
):
    (workspace / "migrations" / "0003_later.sql").write_text(
        "CREATE INDEX CONCURRENTLY accounts_name_idx ON accounts (name);\n"
    )
    options = {**live_options(database), "select": ["PG207", "PG504", "PG507"]}
    await start(client, workspace, options=options)
    report = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="dbsense.runLiveChecks")
    )
    target = database.removeprefix("postgresql://").split("/")[0]
    assert f"## PostgreSQL `postgresql://{target}/dbsense_editor_live`" in report
    assert (
        "- **PG507** Index `accounts_name_idx` on `accounts` is in the migrations but not "
        "the database"
    ) in report
    assert "- **PG504** Server backups" in report
    advice = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="dbsense.recommendIndexes")
    )
    assert advice.startswith("# Index recommendations")
    assert "- `app/db.py:2` An index on `events (status)`" in advice
    assert "- `reports/daily.sql:1` An index on `events (status" in advice


@pytest.mark.parametrize(
    "form",
    [
        "postgresql://app:{secret}@127.0.0.1:{port}/app?sslpassword={secret}",
        "host=127.0.0.1 port={port} user=app password={secret} dbname=app",
    ],
)
async def test_an_unreachable_database_is_one_message_and_linting_goes_on(
    client: Client, workspace: Path, form: str
):
    url = form.format(secret=quote("s3cret!"), port=free_port())
    (workspace / "migrations" / "0002_stamp.sql").write_text(
        "ALTER TABLE events ADD COLUMN seen_at timestamp;\n"
    )
    await start(client, workspace, options=live_options(url))
    uri = open_document(client, workspace / "migrations" / "0002_stamp.sql")
    assert [d.code for d in await diagnostics_for(client, uri, version=1)] == ["PG302"]
    await until(client, types.WINDOW_SHOW_MESSAGE, lambda: bool(client.messages))
    text = await hover_text(
        client, uri, "ALTER TABLE events ADD COLUMN seen_at timestamp;\n", "events"
    )
    assert "**table `public.events`**" in text and "**live**" not in text
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="dbsense.recommendIndexes")
    )
    shown = [m.message for m in client.messages]
    logged = [m.message for m in client.log_messages if "live:" in m.message]
    expected = "cannot connect to postgresql://app@127.0.0.1:"
    assert len(shown) == 1 and expected in shown[0] and "connection refused" in shown[0]
    assert len(logged) == 1 and expected in logged[0]
    everything = " ".join(shown + [m.message for m in client.log_messages])
    assert "s3cret" not in everything


@pytest.fixture
def url_from_environment(database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``DBSENSE_DATABASE_URL`` for the server the ``client`` fixture starts next."""
    monkeypatch.setenv("DBSENSE_DATABASE_URL", database)
    return database


async def test_the_database_url_can_come_from_the_environment(
    url_from_environment: str, client: Client, workspace: Path
):
    await start(client, workspace, options={"select": ["PG207"]})
    uri = open_document(client, workspace / "app/db.py")
    (diagnostic,) = await advice_on(client, uri)
    assert "`events (status)`" in diagnostic.message


@pytest.fixture
def without_psycopg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server the ``client`` fixture starts next cannot import psycopg."""
    blocked = tmp_path / "blocked" / "psycopg"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('psycopg is not installed')\n")
    monkeypatch.setenv("PYTHONPATH", str(blocked.parent))


async def test_without_the_driver_the_editor_says_how_to_get_it(
    without_psycopg: None, client: Client, workspace: Path, database: str
):
    await start(client, workspace, options=live_options(database))
    uri = open_document(client, workspace / "migrations" / "0001_schema.sql")
    await diagnostics_for(client, uri, version=1)
    await until(client, types.WINDOW_SHOW_MESSAGE, lambda: bool(client.messages))
    text = await hover_text(client, uri, SCHEMA, "events (\n")
    assert "**table `public.events`**" in text and "**live**" not in text
    (shown,) = [m.message for m in client.messages]
    assert shown == (
        "dbsense: live PostgreSQL needs psycopg: `pip install 'psycopg[binary]'` in the Python "
        "that runs the dbsense server"
    )


async def test_without_hypopg_nothing_is_advised_and_hypopg_is_never_called(
    client: Client, workspace: Path, database: str, postgres_server: PostgresServer
):
    name = "dbsense_editor_plain"
    plain = postgres_server.create_database(name)
    try:
        execute(plain, SCHEMA + f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ROLE};\n")
        url = database.rsplit("/", 1)[0] + f"/{name}"
        await start(client, workspace, options=live_options(url))
        advice = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="dbsense.recommendIndexes")
        )
        assert "- hypopg is not installed in this database" in advice
        assert "An index on" not in advice
        with psycopg.connect(admin_dsn(database)) as conn:
            recorded, called = conn.execute(  # type: ignore[misc]
                """SELECT count(*), count(*) FILTER (WHERE s.query ILIKE '%%hypopg%%')
                   FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                   WHERE d.datname = %s""",
                (name,),
            ).fetchone()
        assert recorded > 0  # the statements of the session were recorded
        assert called == 0
    finally:
        postgres_server.drop_database(name)
