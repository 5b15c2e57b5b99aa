"""Live checks that read the workspace too, against a real PostgreSQL 15 with hypopg: schema
drift (PG507) and verified index advice on the workspace's own queries (PG207) from
`dbsense check --database-url`, the migration the advice proposes, one table's statistics and
the editor's long-lived read-only session."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dbsense.advisor import explain, plan_summary
from dbsense.cli import main
from dbsense.live import LiveError
from dbsense.live.postgres import redact
from dbsense.live.session import LiveSession
from dbsense.live.stats import read_table_stats
from tests.live.test_postgres_migrations import run_script
from tests.support.services import PostgresServer

SCHEMA = """
CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE events (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    status integer NOT NULL,
    kind text NOT NULL
);
CREATE INDEX events_kind_idx ON events (kind);
CREATE TABLE notes (id bigint PRIMARY KEY, body text);
"""
SEED = """
CREATE EXTENSION hypopg;
INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 1000) g;
INSERT INTO events SELECT g, g % 1000 + 1, g % 500, 'k' || g % 7 FROM generate_series(1, 60000) g;
INSERT INTO notes SELECT g, 'n' FROM generate_series(1, 1000) g;
ANALYZE accounts;
ANALYZE events;
ANALYZE notes;
"""
LATER = "CREATE INDEX CONCURRENTLY events_account_id_idx ON events (account_id);\n"
MODELS = """\
from sqlalchemy import BigInteger, Integer, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(Text)
"""
API = """\
from sqlalchemy import select

from app.models import Event


def for_account(session, account):
    return session.scalars(select(Event).where(Event.account_id == account)).all()
"""
RAW = """\
def by_status(cursor, status):
    cursor.execute("SELECT id, kind FROM events WHERE status = %s", (status,))
    return cursor.fetchall()
"""


def execute(dsn: str, script: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in filter(str.strip, script.split(";\n")):
            conn.execute(statement)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def database(postgres_server: PostgresServer) -> Iterator[str]:
    dsn = postgres_server.create_database("dbsense_workspace")
    execute(dsn, SCHEMA + SEED)
    yield dsn
    postgres_server.drop_database("dbsense_workspace")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "service"
    for path, text in {
        "db/migrations/0001_schema.sql": SCHEMA,
        "db/migrations/0002_events_account.sql": LATER,  # written, not applied yet
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/api.py": API,
        "app/db.py": RAW,
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def check(project: Path, dsn: str | None, *extra: str) -> tuple[int, str]:
    args = ["check", str(project), "--no-cache", "--select", "PG207,PG507,DBS", *extra]
    if dsn is not None:
        args += ["--database-url", dsn]
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    return code, out.getvalue()


def test_check_reports_drift_and_advice_on_the_query(database: str, project: Path) -> None:
    code, output = check(project, database, "--format", "json")
    found = json.loads(output)
    assert code == 1
    drift = [f for f in found if f["code"] == "PG507"]
    assert [f["message"] for f in drift] == [
        "Index `events_account_id_idx` on `events` is in the migrations but not the database"
    ]
    assert drift[0]["filename"] == redact(database)
    (related,) = drift[0]["related"]
    assert related["filename"] == "db/migrations/0002_events_account.sql"
    advice = [f for f in found if f["code"] == "PG207"]
    # the account_id query is served by the index migration 0002 already writes
    assert [(f["filename"], f["location"]["row"]) for f in advice] == [("app/db.py", 2)]
    (finding,) = advice
    assert finding["message"].startswith("An index on `events (status)` would cut this query's")
    assert "`Seq Scan on events` becomes" in finding["message"]
    (up, down) = finding["fix"]["edits"]
    assert (up["path"], down["path"]) == (
        "db/migrations/0003_add_events_status_index.sql",
        "db/migrations/0003_add_events_status_index.down.sql",
    )
    assert finding["fix"]["applicability"] == "display-only"


def test_the_proposed_migration_applies_and_rolls_back(
    database: str, project: Path, postgres_server: PostgresServer
) -> None:
    _, output = check(project, database, "--format", "json")
    (finding,) = [f for f in json.loads(output) if f["code"] == "PG207"]
    for edit in finding["fix"]["edits"]:
        (project / edit["path"]).write_text(edit["content"])
    up, down = (project / edit["path"] for edit in finding["fix"]["edits"])
    query = "SELECT id, kind FROM events WHERE status = $1"
    try:
        run_script(database, up)
        with psycopg.connect(database) as conn:
            assert "Index Scan using events_status_idx" in plan_summary(explain(conn, query))
    finally:
        run_script(database, down)
    with psycopg.connect(database) as conn:
        assert plan_summary(explain(conn, query)) == "Seq Scan on events"
        (count,) = conn.execute(  # type: ignore[misc]
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'events_status_idx'"
        ).fetchone()
    assert count == 0
    # with the migration in the workspace, the advice is not repeated
    _, output = check(project, database, "--format", "json")
    assert [f for f in json.loads(output) if f["code"] == "PG207"] == []


def test_noqa_silences_advice_and_is_never_unused_offline(database: str, project: Path) -> None:
    raw = RAW.replace("(status,))", "(status,))  # noqa: PG207 -- a rare admin query")
    (project / "app/db.py").write_text(raw)
    _, live = check(project, database)
    assert "PG207" not in live
    _, offline = check(project, None)
    assert "DBS002" not in offline and "PG207" not in offline


def test_table_statistics_for_the_hover(database: str) -> None:
    execute(database, "DELETE FROM notes WHERE id > 990")
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("SELECT count(*) FROM events WHERE kind = 'k1'").fetchone()
        deadline = time.monotonic() + 10
        stats = read_table_stats(conn, "public", "notes")
        while stats.dead_tuples < 10 and time.monotonic() < deadline:
            conn.execute("SELECT pg_stat_force_next_flush()")
            stats = read_table_stats(conn, "public", "notes")
        events = read_table_stats(conn, "public", "events")
        missing = read_table_stats(conn, "public", "ghosts")
    assert stats.dead_tuples == 10
    assert stats.hours_since_analyze is not None and stats.hours_since_vacuum is None
    assert events.row_estimate == 60000 and events.size_bytes > 60000 * 20
    by_name = {index.name: index for index in events.indexes}
    assert set(by_name) == {"events_pkey", "events_kind_idx"}
    assert not by_name["events_pkey"].unused  # enforces the primary key
    assert missing.exists is False


def test_the_editor_session_is_read_only_and_reconnects(
    database: str, postgres_server: PostgresServer
) -> None:
    session = LiveSession(database)
    try:
        with pytest.raises(LiveError, match="read-only transaction"):
            session.run(lambda conn: conn.execute("CREATE TABLE intruder (id int)"))

        def backend(conn: psycopg.Connection) -> int:
            return conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]

        pid = session.run(backend)
        with psycopg.connect(database, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert session.run(backend) != pid  # the broken session was replaced
        assert session.run(lambda conn: conn.execute("SHOW transaction_read_only").fetchone()) == (
            "on",
        )
    finally:
        session.close()
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT to_regclass('intruder')").fetchone() == (None,)


def test_an_unresponsive_server_costs_one_timeout() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    thread = threading.Thread(
        target=lambda: accepted.append(listener.accept()[0]), daemon=True
    )  # accepts, never answers
    thread.start()
    port = listener.getsockname()[1]
    session = LiveSession(f"postgresql://app:s3cret@127.0.0.1:{port}/app", timeout=1)
    try:
        started = time.monotonic()
        with pytest.raises(LiveError, match="timed out") as first:
            session.run(lambda conn: None)
        assert time.monotonic() - started >= 0.9
        started = time.monotonic()
        with pytest.raises(LiveError) as second:
            session.run(lambda conn: None)
        assert time.monotonic() - started < 0.2  # no second attempt while it backs off
        assert str(second.value) == str(first.value)
        assert "s3cret" not in str(first.value)
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
