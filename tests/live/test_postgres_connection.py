"""Connecting: one clear line per failure, never a password, and the static analysis goes on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dbsense.cli import main
from dbsense.live import LiveError
from dbsense.live.postgres import connect, redact
from tests.support.services import PostgresServer, free_port

SECRET = "Pa55-w0rd!"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections but never answers (a hung server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_redact_hides_the_password() -> None:
    assert redact(f"postgresql://app:{SECRET}@db.internal:6432/shop?sslmode=require") == (
        "postgresql://app@db.internal:6432/shop"
    )
    assert redact(f"host=db user=app password={SECRET} dbname=shop") == (
        "postgresql://app@db:5432/shop"
    )
    assert SECRET not in redact(f"postgresql://app:{SECRET}@db/shop?bad=%zz")


def test_refused() -> None:
    port = free_port()
    with pytest.raises(LiveError) as caught:
        connect(f"postgresql://app:{SECRET}@127.0.0.1:{port}/shop")
    assert str(caught.value) == (
        f"cannot connect to postgresql://app@127.0.0.1:{port}/shop: connection refused "
        "(is the server running and accepting TCP connections?)"
    )


def test_unknown_role_is_an_authentication_failure(postgres_server: PostgresServer) -> None:
    dsn = f"postgresql://nobody:{SECRET}@{postgres_server.host}:{postgres_server.port}/postgres"
    with pytest.raises(LiveError) as caught:
        connect(dsn)
    message = str(caught.value)
    assert message.endswith("authentication failed: role nobody does not exist")
    assert SECRET not in message and "\n" not in message


def test_timeout(silent_port: int) -> None:
    with pytest.raises(LiveError) as caught:
        connect(f"postgresql://app:{SECRET}@127.0.0.1:{silent_port}/shop", timeout=2)
    assert str(caught.value) == (
        f"cannot connect to postgresql://app@127.0.0.1:{silent_port}/shop: "
        "connection timed out after 2 s"
    )
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("command", ["report", "erd"])
def test_commands_exit_non_zero_with_one_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    url = f"postgresql://app:{SECRET}@127.0.0.1:{port}/shop"
    assert main([command, str(tmp_path), "--database-url", url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"dbsense: error: cannot connect to postgresql://app@127.0.0.1:{port}/shop: "
        "connection refused (is the server running and accepting TCP connections?)"
    ]


def test_check_completes_and_reports_dbs006(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int PRIMARY KEY, at timestamp);\n")
    port = free_port()
    monkeypatch.setenv("DBSENSE_DATABASE_URL", f"postgresql://app:{SECRET}@127.0.0.1:{port}/shop")
    assert main(["check", str(tmp_path), "--no-cache"]) == 1
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    assert "PG302" in captured.out  # the static analysis still ran
    assert (
        f"postgresql://app@127.0.0.1:{port}/shop:1:1: DBS006 [live-check-unavailable] Live check "
        f"unavailable: cannot connect to postgresql://app@127.0.0.1:{port}/shop: connection refused"
    ) in captured.out


def test_password_never_printed_on_success(
    postgres_server: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://postgres:{SECRET}@{postgres_server.host}:{postgres_server.port}/postgres"
    assert main(["check", str(tmp_path), "--no-cache", "--database-url", url]) in (0, 1)
    assert main(["report", str(tmp_path), "--database-url", url]) == 0
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    assert f"postgresql://postgres@{postgres_server.host}:{postgres_server.port}/postgres" in (
        captured.out
    )


def test_read_only_cannot_be_turned_off_by_dsn_or_role(postgres_database: str) -> None:
    with psycopg.connect(postgres_database, autocommit=True) as admin:
        admin.execute("CREATE TABLE t (id int)")
        admin.execute("DROP ROLE IF EXISTS writer")
        admin.execute("CREATE ROLE writer LOGIN")
        admin.execute("GRANT ALL ON t TO writer")
        admin.execute("ALTER ROLE writer SET default_transaction_read_only = off")
    as_writer = postgres_database.replace("postgres@", "writer@")
    for dsn in (
        f"{postgres_database}?options=-c%20default_transaction_read_only%3Doff",
        as_writer,
    ):
        with connect(dsn) as conn:
            assert conn.execute("SHOW transaction_read_only").fetchone() == ("on",)
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute("INSERT INTO t VALUES (1)")
    with psycopg.connect(postgres_database, autocommit=True) as admin:
        assert admin.execute("SELECT count(*) FROM t").fetchone() == (0,)
        admin.execute("DROP TABLE t")
        admin.execute("DROP OWNED BY writer")
        admin.execute("DROP ROLE writer")
