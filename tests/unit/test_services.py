"""The real-service fixtures start working servers, and the system tools are installed."""

from __future__ import annotations

import subprocess

import psycopg
import redis

from tests.support.services import PostgresServer, RedisServer


def test_postgres_is_version_15(postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_server.dsn) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    assert row is not None
    assert row[0].startswith("15")


def test_postgres_dsn_parts(postgres_server: PostgresServer) -> None:
    assert postgres_server.dsn == (
        f"postgresql://postgres@{postgres_server.host}:{postgres_server.port}/postgres"
    )


def test_pg_stat_statements_is_preloaded(postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_server.dsn) as conn:
        row = conn.execute("SHOW shared_preload_libraries").fetchone()
    assert row is not None
    assert "pg_stat_statements" in row[0]


def test_pg_stat_statements_records_queries(postgres_database: str) -> None:
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_stat_statements")
        conn.execute("SELECT 41 + 1")
        rows = conn.execute("SELECT query FROM pg_stat_statements").fetchall()
    assert any("SELECT $1 + $2" in query for (query,) in rows)


def test_hypopg_index_shows_in_explain(postgres_database: str) -> None:
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION hypopg")
        conn.execute("CREATE TABLE orders (id int, user_id int)")
        conn.execute("INSERT INTO orders SELECT i, i % 1000 FROM generate_series(1, 20000) i")
        conn.execute("ANALYZE orders")
        query = "EXPLAIN SELECT * FROM orders WHERE user_id = 7"
        before = "\n".join(line for (line,) in conn.execute(query))
        row = conn.execute(
            "SELECT indexname FROM hypopg_create_index('CREATE INDEX ON orders (user_id)')"
        ).fetchone()
        after = "\n".join(line for (line,) in conn.execute(query))
    assert row is not None
    assert row[0] not in before
    assert "Seq Scan on orders" in before
    assert row[0] in after
    assert "Index Scan" in after or "Bitmap" in after


def test_create_database_is_fresh_and_isolated(postgres_server: PostgresServer) -> None:
    dsn = postgres_server.create_database("isolation check")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE leftover (x int)")
    assert postgres_server.create_database("isolation check") == dsn
    with psycopg.connect(dsn) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'")
        assert tables.fetchone() == (0,)
    assert name == ("isolation check",)
    with psycopg.connect(postgres_server.dsn) as conn:
        other = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'")
        assert other.fetchone() == (0,)
    postgres_server.drop_database("isolation check")


def test_redis_set_get_round_trip(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert client.set("dbsense:key", "value")
        assert client.get("dbsense:key") == b"value"
        assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
        info = client.info("server")
        assert int(str(info["redis_version"]).split(".")[0]) >= 7
    finally:
        client.close()


def test_neovim_runs_headless() -> None:
    result = subprocess.run(["nvim", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("NVIM v")


def test_graphviz_renders_svg() -> None:
    result = subprocess.run(
        ["dot", "-Tsvg"], input="digraph { a -> b }", capture_output=True, text=True, check=True
    )
    assert "<svg" in result.stdout


def test_chromium_is_installed() -> None:
    result = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("Chromium ")
