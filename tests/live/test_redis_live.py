"""Live Redis checks against a real redis-server: read-only, bounded, credentials redacted."""

from __future__ import annotations

import pytest
import redis

from dbsense.live import LiveError
from dbsense.live.redis import inspect_redis, redact
from tests.support.services import RedisServer, free_port


@pytest.fixture
def populated(redis_server: RedisServer) -> RedisServer:
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    client.set("cache:a", "1")
    client.set("cache:b", "2", ex=300)
    client.set("blob", "x" * 200_000)
    client.config_set("maxmemory", "0")
    yield redis_server
    client.flushdb()


def test_sample_ttl_big_keys_and_config(populated: RedisServer) -> None:
    client = redis.Redis.from_url(populated.url)
    before = client.info("commandstats")
    report = inspect_redis(populated.url, big_key_bytes=100_000)
    assert (report.keys, report.expires, report.sampled) == (3, 1, 3)
    assert sorted(report.without_ttl) == ["blob", "cache:a"]
    assert [key for key, _ in report.big_keys] == ["blob"]
    codes = [note.code for note in report.notes]
    assert codes[:2] == ["RD301", "RD201"] and "RD503" in codes
    after = client.info("commandstats")
    new = {name for name in after if after[name] != before.get(name)}
    assert new <= {
        "cmdstat_info",
        "cmdstat_config|get",
        "cmdstat_scan",
        "cmdstat_ttl",
        "cmdstat_memory|usage",
        "cmdstat_client|setinfo",
        "cmdstat_hello",
    }, new


def test_sample_is_capped(populated: RedisServer) -> None:
    assert inspect_redis(populated.url, max_keys=1).sampled == 1


def test_unreachable_server_names_no_secret() -> None:
    url = f"redis://admin:s3cret@127.0.0.1:{free_port()}/0"
    with pytest.raises(LiveError) as raised:
        inspect_redis(url, timeout=0.5)
    assert "s3cret" not in str(raised.value)
    assert str(raised.value).startswith(f"redis://admin@127.0.0.1:{url.rsplit(':', 1)[1][:-2]}")


def test_redact() -> None:
    assert redact("redis://u:pw@h:6380/2?ssl=1") == "redis://u@h:6380/2"
    assert redact("mongodb://h/db") == "mongodb://h/db"


def test_cli_prints_live_notes(populated: RedisServer, tmp_path, capsys) -> None:
    from dbsense.cli import main

    (tmp_path / "app.py").write_text("x = 1\n")
    main(["check", str(tmp_path), "--no-cache", "--redis-url", populated.url])
    out = capsys.readouterr().out
    assert "live: RD301" in out and "live: RD503" in out
