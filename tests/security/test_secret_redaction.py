"""Secrets in DSNs never reach any output: text, JSON, SARIF and GitHub reports, stderr, and the
``DBSENSE_DATABASE_URL`` route. Each run really attempts the live check (it reports DBS006)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SECRETS = ("hunter2-pw", "query-pw-77", "redis-pw-42")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dsns(port: int) -> list[str]:
    return [
        f"postgresql://admin:{SECRETS[0]}@127.0.0.1:{port}/prod?password={SECRETS[1]}",
        f"postgres://admin:{SECRETS[0]}@127.0.0.1:{port}/prod?sslpassword={SECRETS[1]}",
        f"host=127.0.0.1 port={port} user=admin password={SECRETS[0]} dbname=prod",
    ]


def run(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DBSENSE_")}
    completed = subprocess.run(
        [sys.executable, "-m", "dbsense", "check", ".", "--no-cache", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
    )
    assert completed.returncode in (0, 1), completed.stderr
    return completed.stdout + completed.stderr


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "0001.sql").write_text("CREATE TABLE t (id bigint PRIMARY KEY, at timestamp);\n")
    return tmp_path


@pytest.mark.parametrize(
    ("fmt", "form"),
    [("text", 0), ("json", 0), ("sarif", 0), ("github", 0), ("text", 1), ("text", 2)],
)
def test_database_url_is_redacted_everywhere(root: Path, fmt: str, form: int):
    dsn = dsns(closed_port())[form]
    output = run(root, "--format", fmt, "--database-url", dsn)
    assert "DBS006" in output and "admin" in output  # the live check ran and named its target
    assert not [secret for secret in SECRETS if secret in output], output


def test_database_url_from_the_environment_is_redacted(root: Path):
    output = run(root, "--format", "sarif", env={"DBSENSE_DATABASE_URL": dsns(closed_port())[0]})
    assert "DBS006" in output
    assert not [secret for secret in SECRETS if secret in output], output


def test_redis_url_is_redacted(root: Path):
    url = f"redis://default:{SECRETS[2]}@127.0.0.1:{closed_port()}/0"
    output = run(root, "--redis-url", url)
    assert "DBS006" in output and "127.0.0.1" in output
    assert SECRETS[2] not in output, output
