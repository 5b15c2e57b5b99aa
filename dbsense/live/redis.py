"""Live Redis checks: configuration, keyspace and a bounded key sample, read-only.

Only read commands run (``INFO``, ``CONFIG GET``, ``SCAN``, ``TYPE``, ``TTL``, ``MEMORY USAGE``);
never ``KEYS``, ``MONITOR``, ``DEBUG`` or a write. Every call has a socket timeout and the
sample stops at ``max_keys`` keys or ``budget`` seconds, whichever comes first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from dbsense.live import LiveError


@dataclass(frozen=True, slots=True)
class LiveNote:
    """One observation, tagged with the rule it supports."""

    code: str
    message: str


@dataclass(slots=True)
class RedisReport:
    dsn: str  # redacted
    config: dict[str, str] = field(default_factory=dict)
    keys: int = 0
    expires: int = 0
    sampled: int = 0
    without_ttl: list[str] = field(default_factory=list)
    big_keys: list[tuple[str, int]] = field(default_factory=list)
    notes: list[LiveNote] = field(default_factory=list)


def redact(url: str) -> str:
    """``scheme://user@host:port/db``: the password (and query string) removed."""
    try:
        parts = urlsplit(url)
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        host = parts.hostname or ""
    except ValueError:
        return "<invalid url>"
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def inspect_redis(
    url: str,
    timeout: float = 2.0,
    max_keys: int = 1000,
    budget: float = 2.0,
    big_key_bytes: int = 1_000_000,
) -> RedisReport:
    """Read the server's settings and sample its keys. Raises :class:`LiveError` (no secrets
    in the message) when the server cannot be reached."""
    import redis

    report = RedisReport(redact(url))
    try:
        client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, decode_responses=True
        )
        keyspace = client.info("keyspace")
        report.config = _config(client)
        for values in keyspace.values():
            if isinstance(values, dict):
                report.keys += int(values.get("keys", 0))
                report.expires += int(values.get("expires", 0))
        _sample(client, report, max_keys, budget, big_key_bytes)
        client.close()
    except redis.RedisError as error:
        raise LiveError(f"{report.dsn}: {type(error).__name__}") from None
    report.notes = _notes(report, big_key_bytes)
    return report


def _config(client) -> dict[str, str]:
    import redis

    values: dict[str, str] = {}
    for pattern in ("maxmemory", "maxmemory-policy", "appendonly", "save"):
        try:
            values.update(client.config_get(pattern))
        except redis.ResponseError:  # CONFIG blocked (managed services): INFO alone
            break
    return values


def _sample(client, report: RedisReport, max_keys: int, budget: float, big: int) -> None:
    deadline = time.monotonic() + budget
    for key in client.scan_iter(count=100):
        if report.sampled >= max_keys or time.monotonic() > deadline:
            break
        report.sampled += 1
        if client.ttl(key) == -1:
            report.without_ttl.append(key)
        size = client.memory_usage(key, samples=5) or 0
        if size >= big:
            report.big_keys.append((key, size))


def _notes(report: RedisReport, big: int) -> list[LiveNote]:
    notes: list[LiveNote] = []
    if report.sampled and report.without_ttl:
        share = len(report.without_ttl) * 100 // report.sampled
        examples = ", ".join(f"`{key}`" for key in report.without_ttl[:3])
        notes.append(
            LiveNote(
                "RD301",
                f"{report.dsn}: {share}% of {report.sampled} sampled keys have no TTL "
                f"(e.g. {examples}); {report.expires} of {report.keys} keys expire",
            )
        )
    for key, size in sorted(report.big_keys, key=lambda item: -item[1])[:5]:
        notes.append(LiveNote("RD201", f"{report.dsn}: key `{key}` uses {size} bytes (>= {big})"))
    policy = report.config.get("maxmemory-policy")
    if report.config.get("maxmemory") == "0" or policy == "noeviction":
        notes.append(
            LiveNote(
                "RD503",
                f"{report.dsn}: maxmemory {report.config.get('maxmemory')} with policy "
                f"`{policy}`: a cache fills memory and then fails writes",
            )
        )
    if report.config.get("appendonly") == "no" and report.config.get("save", "x") == "":
        notes.append(
            LiveNote("RD602", f"{report.dsn}: persistence is off (no AOF, no RDB snapshots)")
        )
    return notes
