"""Incremental analysis equals analysis from scratch.

After every edit of a random sequence (typing, deleting, pasting DDL that renames, drops,
partitions, adds foreign keys and indexes, whole files added and removed), a workspace that
re-parses only changed statements, replays the catalog only from the first changed unit and
checks only focused documents must give exactly what a fresh workspace gives: the same
catalog, the same records of the rules that observe the replay, the same findings.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from bench.generate import generate
from dbsense.analyzers.catalog import Catalog, Table, Unit
from dbsense.analyzers.journal import Checkpoint
from dbsense.analyzers.sql.frontend import analyze_sql
from dbsense.analyzers.sql.memo import StatementMemo
from dbsense.config import Settings
from dbsense.workspace import FactCache, Workspace

FIXTURES = Path(__file__).parents[1] / "fixtures"

SNIPPETS = [
    "CREATE TABLE {t}_copy (id bigint PRIMARY KEY, {t}_id bigint REFERENCES {t} (id));\n",
    "DROP TABLE {t} CASCADE;\n",
    "DROP TABLE IF EXISTS {t};\n",
    "ALTER TABLE {t} RENAME TO {t}_renamed;\n",
    "CREATE TABLE {t} (id int);\n",
    "ALTER TABLE {t} ADD COLUMN note text;\n",
    "ALTER TABLE {t} ADD COLUMN other_id bigint REFERENCES {u} (id);\n",
    "ALTER TABLE {t} DROP COLUMN id;\n",
    "ALTER TABLE {t} RENAME COLUMN id TO ident;\n",
    "ALTER TABLE {t} ALTER COLUMN id TYPE numeric;\n",
    "ALTER TABLE {t} ALTER COLUMN id SET NOT NULL;\n",
    "ALTER TABLE {t} ADD CONSTRAINT {t}_fk FOREIGN KEY (id) REFERENCES {u} (id) NOT VALID;\n",
    "ALTER TABLE {t} VALIDATE CONSTRAINT {t}_fk;\n",
    "ALTER TABLE {t} DROP CONSTRAINT {t}_pkey;\n",
    "CREATE INDEX ON {t} (id);\n",
    "CREATE UNIQUE INDEX {t}_uniq ON {t} (id) WHERE id > 0;\n",
    "DROP INDEX {t}_pkey;\n",
    "ALTER INDEX {t}_uniq RENAME TO {t}_uniq2;\n",
    "CREATE TABLE {t}_parts (id bigint, at date) PARTITION BY RANGE (at);\n",
    "CREATE TABLE {t}_p1 PARTITION OF {t}_parts\n"
    "    FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n",
    "ALTER TABLE {t}_parts DETACH PARTITION {t}_p1;\n",
    "CREATE SCHEMA extra;\nSET search_path = extra, public;\nCREATE TABLE {t} (id int);\n",
    "CREATE TYPE mood AS ENUM ('a');\nALTER TYPE mood ADD VALUE 'b';\n",
    "UPDATE {t} SET missing_column = 1 WHERE id = 2;\n",
    "SELECT * FROM {t} WHERE nope = 1;\n",
    "DO $$ BEGIN PERFORM 1; END $$;\n",
    "BEGIN;\nCREATE INDEX {t}_x ON {t} (id);\nCOMMIT;\n",
    "CREATE TABLE broken (\n",
    ";",
    "-- a comment\n",
]


# A history whose tables are tied together (foreign keys both ways, partitions at two levels,
# a schema of its own): the snippets below name these tables often.
BASE = """CREATE TABLE parent (id bigint PRIMARY KEY, name text);
CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint REFERENCES parent (id));
ALTER TABLE parent ADD COLUMN favourite_id bigint REFERENCES child (id);
CREATE TABLE events (id bigint, at date, parent_id bigint REFERENCES parent (id))
    PARTITION BY RANGE (at);
CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')
    PARTITION BY LIST (id);
CREATE TABLE events_2020_a PARTITION OF events_2020 FOR VALUES IN (1, 2);
CREATE INDEX ON events (parent_id);
CREATE SCHEMA extra;
CREATE TABLE extra.parent (id bigint PRIMARY KEY);
"""
LINKED = ["parent", "child", "events", "events_2020", "events_2020_a", "extra.parent"]
LINKED_SNIPPETS = [
    "CREATE TABLE events_2021 PARTITION OF events\n"
    "    FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');\n",
    "ALTER TABLE events DETACH PARTITION events_2020;\n",
    "ALTER TABLE events ATTACH PARTITION events_2020\n"
    "    FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n",
    "ALTER TABLE events RENAME COLUMN parent_id TO owner_id;\n",
    "ALTER TABLE events ADD COLUMN kind text;\n",
    "ALTER TABLE events ALTER COLUMN at SET NOT NULL;\n",
    "ALTER TABLE parent RENAME COLUMN id TO parent_key;\n",
    "CREATE INDEX events_at_idx ON events (at);\nDROP INDEX events_at_idx;\n",
]


def _workspaces() -> list[tuple[str, dict[str, str]]]:
    cases = []
    for directory in sorted(FIXTURES.glob("postgres/*")):
        if directory.is_dir():
            files = {
                path.relative_to(directory).as_posix(): path.read_text(encoding="utf-8")
                for path in sorted(directory.rglob("*"))
                if path.suffix in (".sql", ".py")
            }
            cases.append((directory.name, files))
    singles = {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted((FIXTURES / "postgres").glob("*.sql"))
    }
    cases.append(("sql-fixtures-as-one-history", singles))
    cases.append(("linked", {"V1__base.sql": BASE, "V2__more.sql": "", "V3__last.sql": ""}))
    return cases


def _generated(tmp_path: Path, statements: int) -> dict[str, str]:
    written = generate(statements, tmp_path)
    return {path.relative_to(tmp_path).as_posix(): path.read_text("utf-8") for path in written}


def _tables(files: dict[str, str]) -> list[str]:
    names = list(LINKED)
    for text in files.values():
        for word in text.split():
            if word.isidentifier() and word.islower() and len(word) > 3 and len(names) < 400:
                names.append(word)
    return names or ["orders"]


def _edit(rng: random.Random, files: dict[str, str], tables: list[str]) -> dict[str, str]:
    files = dict(files)
    roll = rng.random()
    if roll < 0.05 and len(files) > 1:
        del files[rng.choice(sorted(files))]
        return files
    if roll < 0.1:
        name = f"migrations/V{rng.randrange(1, 9999)}__added.sql"
        files[name] = _snippet(rng, tables)
        return files
    path = rng.choice(sorted(files))
    text = files[path]
    position = rng.randrange(len(text) + 1)
    if roll < 0.4:
        insert = _snippet(rng, tables) if path.endswith(".sql") else rng.choice(["x", "\n", " "])
        text = text[:position] + insert + text[position:]
    elif roll < 0.7:
        text = text[:position] + text[position + rng.randrange(1, 40) :]
    else:
        text = text[:position] + rng.choice(["x", " ", "\n", ";", "(", "'"]) + text[position:]
    files[path] = text
    return files


def _snippet(rng: random.Random, tables: list[str]) -> str:
    if rng.random() < 0.2:
        return rng.choice(LINKED_SNIPPETS)
    pick = (lambda: rng.choice(LINKED)) if rng.random() < 0.5 else (lambda: rng.choice(tables))
    return rng.choice(SNIPPETS).format(t=pick(), u=pick())


def _fresh(root: Path, files: dict[str, str], settings: Settings) -> Workspace:
    workspace = Workspace(root, settings, FactCache(workers=1))
    for path, text in files.items():
        workspace.set_document(path, text)
    return workspace


def _sync(workspace: Workspace, files: dict[str, str]) -> None:
    for path in list(workspace.documents):
        if path not in files:
            workspace.remove_document(path)
    for path, text in files.items():
        current = workspace.documents.get(path)
        if current is None or current.text != text:
            workspace.set_document(path, text)


def _assert_same(incremental: Workspace, files: dict[str, str], root: Path, step: int) -> None:
    focus = sorted(files)[: max(1, len(files) // 3)]
    focused = incremental.check(focus)
    full = incremental.check()
    fresh = _fresh(root, files, incremental.settings)
    expected = fresh.check()
    assert full.violations == expected.violations, f"step {step}: findings differ"
    assert focused.violations == [v for v in expected.violations if v.path in focus], (
        f"step {step}: focused findings differ"
    )
    assert dump(incremental.catalog) == dump(fresh.catalog), f"step {step}: catalogs differ"
    assert observed(incremental.catalog) == observed(fresh.catalog), f"step {step}: records"


@pytest.mark.parametrize(("name", "files"), _workspaces(), ids=lambda value: str(value)[:40])
def test_edits_of_fixture_workspaces_equal_fresh_analysis(
    name: str, files: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(name)
    workspace = _fresh(tmp_path, files, Settings())
    workspace.cache.editing = frozenset(files)
    workspace.check()
    tables = _tables(files)
    for step in range(30 if name == "linked" else 8):
        files = _edit(rng, files, tables)
        workspace.cache.editing = frozenset(files)
        _sync(workspace, files)
        _assert_same(workspace, files, tmp_path, step)


def test_edits_of_a_generated_history_equal_fresh_analysis(tmp_path: Path) -> None:
    root = tmp_path / "generated"
    files = {"migrations/V0__base.sql": BASE, **_generated(root, 800)}
    rng = random.Random(7)
    workspace = _fresh(root, files, Settings())
    workspace.check()
    tables = _tables(files)
    paths = sorted(files, key=lambda path: int(path.split("/V")[1].split("__")[0]))
    for step in range(25):
        # Mostly the newest migrations, as when writing one; sometimes anywhere in the history.
        target = paths[-1 - rng.randrange(3)] if rng.random() < 0.7 else rng.choice(paths)
        edited = _edit(rng, {target: files[target]}, tables)
        files = {**{p: t for p, t in files.items() if p != target}, **edited}
        paths = sorted(files, key=lambda path: int(path.split("/V")[1].split("__")[0]))
        workspace.cache.editing = frozenset(edited)
        _sync(workspace, files)
        _assert_same(workspace, files, root, step)


def test_an_edit_of_the_newest_migration_replays_one_unit(tmp_path: Path) -> None:
    root = tmp_path / "generated"
    files = _generated(root, 600)
    newest = max(files, key=lambda path: int(path.split("/V")[1].split("__")[0]))
    workspace = _fresh(root, files, Settings())
    workspace.cache.editing = frozenset({newest})
    workspace.check()
    _sync(workspace, {**files, newest: files[newest] + "CREATE TABLE z (id int);\n"})
    workspace.check([newest])
    assert workspace._catalog.replayed == 1
    workspace.check([newest])
    assert workspace._catalog.replayed == 0  # nothing changed


def test_an_edit_reparses_only_the_changed_statement() -> None:
    text = "".join(f"CREATE TABLE t{n} (id bigint PRIMARY KEY);\n" for n in range(50))
    memo = StatementMemo()
    analyze_sql(text, memo=memo)
    edited = text.replace("t25 (id bigint", "t25 (id integer")
    facts = analyze_sql(edited, memo=memo).facts
    assert memo.hits == 49
    assert facts == analyze_sql(edited).facts
    # A statement whose answer about the unit's tables changed is analysed again.
    text = "CREATE TABLE a (id int);\nCREATE INDEX ON a (id);\n"
    memo = StatementMemo()
    analyze_sql(text, memo=memo)
    renamed = text.replace("TABLE a", "TABLE b")
    facts = analyze_sql(renamed, memo=memo).facts
    assert memo.hits == 0
    assert facts == analyze_sql(renamed).facts
    # A reused statement re-creates its table even when, last time, an earlier statement had
    # created it already (and that statement no longer does).
    twice = "CREATE TABLE t (id int);\nCREATE TABLE t (id int);\nDROP TABLE t;\n"
    memo = StatementMemo()
    analyze_sql(twice, memo=memo)
    broken = twice.replace("id int)", "id in", 1)
    assert analyze_sql(broken, memo=memo).facts == analyze_sql(broken).facts


STATEMENTS = [
    "CREATE TABLE t (id bigint PRIMARY KEY);\n",
    "CREATE TABLE t (id bigint PRIMARY KEY, at timestamp NOT NULL);\n",
    "DROP TABLE t; -- noqa: PG114\n",
    "ALTER TABLE t RENAME TO u;\n",
    "ALTER TABLE u ADD COLUMN x int;\n",
    "CREATE INDEX ON t (id);\n",
    "CREATE TABLE v (;",
    "BEGIN;\n",
    "COMMIT;\n",
    "/* unterminated\n",
    "'",
]


@pytest.mark.parametrize("seed", range(40))
def test_random_edits_of_one_file_equal_a_fresh_parse(seed: int) -> None:
    """Statements are added, copied, removed and broken by a typo, one edit at a time."""
    rng = random.Random(seed)
    memo = StatementMemo()
    lines = [rng.choice(STATEMENTS) for _ in range(6)]
    for _ in range(60):
        at = rng.randrange(len(lines) + 1)
        edit = rng.random()
        if edit < 0.3 or not lines:
            lines.insert(at, rng.choice(STATEMENTS))
        elif edit < 0.5:
            lines.insert(at, rng.choice(lines))
        elif edit < 0.7:
            del lines[min(at, len(lines) - 1)]
        else:
            at = min(at, len(lines) - 1)
            typo = rng.randrange(len(lines[at]))
            lines[at] = lines[at][:typo] + lines[at][typo + 1 :]
        lines = [line for line in lines if line]
        text = "".join(lines)
        assert analyze_sql(text, memo=memo).facts == analyze_sql(text).facts, text


# --- structural comparison ------------------------------------------------------------------


def dump(catalog: Catalog) -> object:
    """Everything replay built, with references between tables written as names."""
    skip = {"observations", "python"}
    result = {}
    for field in dataclasses.fields(catalog):
        if field.name in skip or not field.compare:  # compare=False: not replayed state
            continue
        result[field.name] = _dump(getattr(catalog, field.name), top=True)
    python = catalog.python
    result["python"] = _dump(
        {name: getattr(python, name) for name in ("models", "functions", "connections", "fixes")}
    )
    return result


def _dump(value: object, top: bool = False) -> object:
    if isinstance(value, Table) and not top:
        return ("table", str(value.name))
    if isinstance(value, Table):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            [_dump(getattr(value, f.name)) for f in dataclasses.fields(value)],
        )
    if isinstance(value, dict):
        return [(_dump(k), _dump(v, top=top)) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [_dump(item, top=top and isinstance(value, list)) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(repr(_dump(item)) for item in value)
    return value


def observed(catalog: Catalog) -> list[object]:
    """What PG311 recorded for each fact of each replayed unit, by position."""
    history = catalog.observations.get("PG311")
    if history is None:
        return []
    records = []
    for unit in catalog.history:
        for position, fact in enumerate(unit.facts):
            known = history.known.get(id(fact))
            if known is not None:
                columns = sorted(known.columns) if known.columns is not None else None
                table = str(known.table.name) if known.table is not None else None
                records.append((unit.path, position, columns, table))
    return records


def _linked_operations() -> list[str]:
    operations = list(LINKED_SNIPPETS)
    for snippet in SNIPPETS:
        for table, other in (("parent", "child"), ("child", "parent"), ("events", "parent")):
            operations.append(snippet.format(t=table, u=other))
        operations.append(snippet.format(t="events_2020", u="extra.parent"))
    return operations


@pytest.mark.parametrize("operation", _linked_operations())
def test_a_checkpoint_undoes_each_kind_of_change(operation: str) -> None:
    """Replay the linked schema, take a checkpoint, apply ``operation`` (guarded), restore:
    the catalog equals the schema replayed without it; again after a second round."""
    base = Unit("V1__base.sql", tuple(analyze_sql(BASE).facts))
    change = Unit("V2__change.sql", tuple(analyze_sql(operation).facts))
    expected = dump(Catalog().replay([base]))
    catalog = Catalog().replay([base])
    checkpoint = Checkpoint(catalog, 1)
    for _ in range(2):
        catalog.replay([change], checkpoint.guard)
        checkpoint.restore(catalog)
        assert dump(catalog) == expected
