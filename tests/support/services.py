"""Real PostgreSQL 15 and Redis servers for tests, started once per test session.

Both servers listen on 127.0.0.1 on a free port, keep their data in a private temporary
directory and are torn down (and the directory removed) when the session ends. Missing binaries
fail the requesting test with a message naming `make system-deps`; they never skip.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import redis
from psycopg import sql

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "shared_preload_libraries=pg_stat_statements",
)
HOST = "127.0.0.1"
START_ATTEMPTS = 3
REDIS_READY_TIMEOUT = 10.0
INSTALL_HINT = "run `make system-deps` (scripts/install-system-deps.sh) to install it"


class ServiceError(RuntimeError):
    """A test server could not be started."""


@dataclass(frozen=True, slots=True)
class PostgresServer:
    """A running PostgreSQL server that trusts the `postgres` user over TCP."""

    host: str
    port: int

    @property
    def dsn(self) -> str:
        """DSN of the default `postgres` database."""
        return self.dsn_for("postgres")

    def dsn_for(self, dbname: str) -> str:
        """DSN of database `dbname` on this server."""
        return f"postgresql://postgres@{self.host}:{self.port}/{quote(dbname, safe='')}"

    def create_database(self, name: str) -> str:
        """Create an empty database `name` (replacing any previous one) and return its DSN."""
        ident = sql.Identifier(name)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
        return self.dsn_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database `name`, disconnecting its sessions."""
        ident = sql.Identifier(name)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


@dataclass(frozen=True, slots=True)
class RedisServer:
    """A running Redis server without persistence."""

    host: str
    port: int

    @property
    def url(self) -> str:
        """URL of logical database 0."""
        return f"redis://{self.host}:{self.port}/0"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _require(path: Path, name: str) -> Path:
    if not path.is_file():
        pytest.fail(f"{name} not found; {INSTALL_HINT}", pytrace=False)
    return path


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the `postgres` user when we are root."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _run(argv: list[str]) -> None:
    result = subprocess.run(_as_postgres(argv), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ServiceError(f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")


def _pg_start(workdir: Path, port: int) -> bool:
    """Start the cluster in `workdir` on `port`; False when the server did not come up."""
    options = [f"-c listen_addresses={HOST}", f"-p {port}", f"-k {workdir}"]
    options += [f"-c {setting}" for setting in PG_SETTINGS]
    argv = [str(PG_BIN / "pg_ctl"), "-D", str(workdir / "data"), "-l", str(workdir / "log")]
    argv += ["-w", "-t", "30", "-o", " ".join(options), "start"]
    result = subprocess.run(_as_postgres(argv), capture_output=True, text=True, check=False)
    return result.returncode == 0


def start_postgres(workdir: Path) -> PostgresServer:
    """Initialise a cluster in `workdir` and start it; the caller stops it with `stop_postgres`."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        _require(PG_BIN / tool, f"PostgreSQL 15 `{tool}`")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    _run(
        [
            str(PG_BIN / "initdb"),
            *("-D", str(workdir / "data"), "-U", "postgres", "-A", "trust"),
            *("-E", "UTF8", "--no-locale", "--no-sync"),
        ]
    )
    for _ in range(START_ATTEMPTS):
        port = free_port()
        if _pg_start(workdir, port):
            return PostgresServer(HOST, port)
    raise ServiceError(f"PostgreSQL did not start; server log:\n{_tail(workdir / 'log')}")


def stop_postgres(workdir: Path) -> None:
    """Stop the cluster in `workdir` at once (data is throwaway)."""
    argv = [str(PG_BIN / "pg_ctl"), "-D", str(workdir / "data"), "-m", "immediate", "stop"]
    subprocess.run(_as_postgres(argv), capture_output=True, check=False)


def _redis_ready(proc: subprocess.Popen[bytes], port: int) -> bool:
    client = redis.Redis(host=HOST, port=port, socket_timeout=1, socket_connect_timeout=1)
    deadline = time.monotonic() + REDIS_READY_TIMEOUT
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if client.ping():
                    return True
            except redis.ConnectionError:
                time.sleep(0.02)
        return False
    finally:
        client.close()


def start_redis(workdir: Path) -> tuple[RedisServer, subprocess.Popen[bytes]]:
    """Start redis-server with its files in `workdir`; the caller kills the returned process."""
    binary = _require(Path(shutil.which("redis-server") or "/usr/bin/redis-server"), "redis-server")
    log = workdir / "log"
    for _ in range(START_ATTEMPTS):
        port = free_port()
        argv = [str(binary), "--port", str(port), "--bind", HOST]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        if _redis_ready(proc, port):
            return RedisServer(HOST, port), proc
        proc.kill()
        proc.wait()
    raise ServiceError(f"redis-server did not answer PING; log:\n{_tail(log)}")


def _database_name(node_name: str) -> str:
    """A valid, unique-enough database name derived from a test's node name."""
    slug = re.sub(r"[^a-z0-9]+", "_", node_name.lower()).strip("_")[:40]
    return f"t_{slug}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL 15 server with pg_stat_statements preloaded and hypopg installable."""
    workdir = Path(tempfile.mkdtemp(prefix="dbsense-pg-"))
    try:
        try:
            server = start_postgres(workdir)
        except ServiceError as exc:
            pytest.fail(str(exc), pytrace=False)
        try:
            yield server
        finally:
            stop_postgres(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def postgres_database(
    postgres_server: PostgresServer, request: pytest.FixtureRequest
) -> Iterator[str]:
    """DSN of a fresh database for one test, dropped afterwards."""
    name = _database_name(request.node.name)
    dsn = postgres_server.create_database(name)
    yield dsn
    postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server without persistence."""
    workdir = Path(tempfile.mkdtemp(prefix="dbsense-redis-"))
    try:
        try:
            server, proc = start_redis(workdir)
        except ServiceError as exc:
            pytest.fail(str(exc), pytrace=False)
        try:
            yield server
        finally:
            proc.kill()
            proc.wait()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
