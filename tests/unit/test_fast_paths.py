"""Shortcuts taken for speed give exactly what the slow path gives."""

from __future__ import annotations

from pathlib import Path

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres

from dbsense.analyzers.naming import _fit, object_name
from dbsense.analyzers.sql.types import expression_sql
from dbsense.config import Settings
from dbsense.engines.core import registry
from dbsense.workspace import Workspace

LITERALS = """SELECT 'plain', 'it''s', 'back\\slash', 'tab\there', '', 'é ü', 12, 1.5e3, -3,
  TRUE, FALSE, NULL, 'commented' /* note */, 7 /* seven */, E'esc\\n', $$dollar$$"""


def _slow_fit(chars1: int, chars2: int, available: int) -> tuple[int, int]:
    while chars1 + chars2 > available:
        if chars1 > chars2:
            chars1 -= 1
        else:
            chars2 -= 1
    return chars1, chars2


def test_literals_are_spelled_like_the_generator() -> None:
    tree = Postgres().parse(LITERALS)[0]
    nodes = list(tree.walk())
    assert sum(isinstance(node, (exp.Literal, exp.Boolean, exp.Null)) for node in nodes) >= 14
    for node in nodes:
        assert expression_sql(node) == node.sql(dialect="postgres"), repr(node)


def test_name_clipping_matches_postgres_loop() -> None:
    for chars1 in range(0, 80):
        for chars2 in range(0, 80):
            for available in range(-5, 64):
                assert _fit(chars1, chars2, available) == _slow_fit(chars1, chars2, available)
    long = "a" * 40
    assert object_name(long, "b" * 40, "fkey") == f"{'a' * 29}_{'b' * 28}_fkey"
    assert len(object_name("é" * 40, "b" * 40, "key").encode()) <= 63


def test_pg311_during_the_workspace_replay_equals_its_own_replay(tmp_path: Path) -> None:
    settings = Settings()
    settings.select = ["PG311"]
    workspace = Workspace(tmp_path, settings)
    workspace.set_document(
        "V1__a.sql", "CREATE TABLE t (id bigint PRIMARY KEY, a text);\nCREATE INDEX ON t (b);\n"
    )
    workspace.set_document(
        "V2__b.sql", "ALTER TABLE t ADD COLUMN b text;\nALTER TABLE t DROP COLUMN c;\n"
    )
    hooked = [(v.path, v.span, v.message) for v in workspace.check().violations]
    assert {path for path, _, _ in hooked} == {"V1__a.sql", "V2__b.sql"}

    rule = registry().get("PG311")
    recorded = rule._history(workspace.catalog)  # what the observer recorded
    assert recorded is workspace.catalog.observations["PG311"]
    del workspace.catalog.observations["PG311"]  # without it, the rule replays on its own
    own = rule._history(workspace.catalog)
    assert own is not recorded
    assert {key: known.columns for key, known in recorded.known.items()} == {
        key: known.columns for key, known in own.known.items()
    }
    assert len(own.known) == 2  # the index key and the dropped column
