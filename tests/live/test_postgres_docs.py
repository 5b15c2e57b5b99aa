"""The examples of the live PostgreSQL rule pages, run against a real database: a ``sql``
example seeds a fresh database and is the workspace's migration too (up to a line starting
with ``-- run by hand``: what follows runs on the database only), an ``ini`` example is the
server configuration the rule reads, a ``shell`` example is the command line. Each Example must
trigger its rule, each Use instead must not (the offline doc test in tests/test_docs.py leaves
these rules to this module)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import psycopg
import pytest

from dbsense.analyzers.live import LiveArchivingFact
from dbsense.config import Settings
from dbsense.engines.core import Rule, registry
from dbsense.live.check import run_live, violations_for
from dbsense.live.postgres import NO_SPAN, ORIGIN
from dbsense.workspace import Workspace
from tests.support.services import PostgresServer
from tests.test_docs import example_blocks

LIVE = [r for r in registry() if "live" in r.tags and r.engine() in ("postgres", "meta")]
SETTINGS = Settings(engines={"postgres": {"unused-index-days": 0}})


def _settings_fact(body: str) -> LiveArchivingFact:
    values = dict(
        (key.strip(), value.strip().strip("'"))
        for key, _, value in (line.partition("=") for line in body.splitlines() if "=" in line)
    )
    return LiveArchivingFact(
        NO_SPAN,
        ORIGIN,
        values.get("archive_mode", "off"),
        values.get("archive_command", ""),
        values.get("archive_library", ""),
        values.get("wal_level", "replica"),
        archived_count=0,
        failed_count=0,
        last_failed_after_archived=False,
        hours_since_archived=None,
    )


def workspace(body: str, root: Path) -> Workspace:
    """A checked workspace whose one migration is ``body`` up to ``-- run by hand``."""
    migration = re.split(r"^-- run by hand.*$", body, maxsplit=1, flags=re.M)[0]
    root.mkdir()
    checked = Workspace(root, SETTINGS)
    checked.set_document("migrations/0001_example.sql", migration)
    checked.check()
    return checked


def codes(block: re.Match, server: PostgresServer, name: str, root: Path) -> set[str]:
    lang, body = block.group("lang"), block.group("body")
    if lang == "ini":
        found = violations_for([_settings_fact(body)], "postgresql://server", SETTINGS)
        return {violation.code for violation in found}
    assert lang in ("sql", "shell"), f"unexpected example language {lang}"
    if lang == "shell":
        words = shlex.split(body)
        url = next(w.split("=", 1)[1] for w in words if w.startswith("DBSENSE_DATABASE_URL="))
        if url.startswith("postgresql://app@127.0.0.1:1/"):  # nothing listens on port 1
            return {violation.code for violation in run_live(url, SETTINGS).violations}
        body = ""  # the reachable server the page describes: the test server, set up as advised
    dsn = server.create_database(name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION hypopg")
            conn.execute("CREATE EXTENSION pg_stat_statements")
            for statement in filter(str.strip, body.split(";\n")):
                conn.execute(statement)  # type: ignore[arg-type]
        checked = workspace(body, root)
        return {violation.code for violation in run_live(dsn, SETTINGS, checked).violations}
    finally:
        server.drop_database(name)


@pytest.mark.parametrize("rule", LIVE, ids=[r.code for r in LIVE])
def test_live_example_triggers_and_use_instead_does_not(
    rule: Rule, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    bad, good = example_blocks(rule)
    slug = rule.code.lower()
    found = codes(bad, postgres_server, f"doc_{slug}_bad", tmp_path / "bad")
    assert rule.code in found, "Example is silent"
    found = codes(good, postgres_server, f"doc_{slug}_good", tmp_path / "good")
    assert rule.code not in found, "Use instead triggers"


def test_every_live_rule_is_covered() -> None:
    expected = {"DBS006", "PG207", "PG209", "PG503", "PG504", "PG505", "PG507"}
    assert {r.code for r in LIVE} >= expected
