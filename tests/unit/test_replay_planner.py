"""The replay planner gives, version after version, exactly the order planned from scratch,
and keeps the last plan when an edit leaves every unit's place as it was."""

from __future__ import annotations

import pytest

from dbsense.analyzers.catalog import Unit
from dbsense.analyzers.frontends import document_facts
from dbsense.analyzers.incremental import ReplayPlanner, replay_plan
from dbsense.analyzers.ir import SourceFile, UnitFacts

MODELS = """import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
"""
SERVICE = "def total(session):\n    return session.execute('SELECT count(*) FROM accounts')\n"
SETUP = "\n\ndef setup(session):\n    session.execute('CREATE TABLE x (id int)')\n"
FILES = {
    "migrations/V1__accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
    "migrations/V2__orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
    "migrations/V3__note.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
    "service/models.py": MODELS,
    "service/queries.py": SERVICE,
}
# Each edit in turn, applied to the files as the edits before it left them.
EDITS = [
    ("migrations/V3__note.sql", "ALTER TABLE orders ADD COLUMN note varchar(10);\n"),
    ("migrations/V2__orders.sql", "-CREATE TABLE orders (id bigint PRIMARY KEY);\n"),
    ("migrations/V2__orders.sql", FILES["migrations/V2__orders.sql"]),
    ("migrations/V1__accounts.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY;\n"),
    ("migrations/V1__accounts.sql", FILES["migrations/V1__accounts.sql"]),
    ("service/queries.py", SERVICE + "\n\ndef drop(session):\n    return 1\n"),
    ("service/queries.py", SERVICE + SETUP),
    ("service/queries.py", MODELS.replace("Account", "Other") + SERVICE + SETUP),
    ("service/queries.py", SERVICE),
    ("service/models.py", MODELS.replace('"accounts"', '"orders"')),
    ("migrations/V3__note.sql", "CREATE TABLE notes (id int);\n"),
]


def _units(files: dict[str, str], known: dict[tuple[str, str], UnitFacts]) -> list[UnitFacts]:
    """The units of ``files``, the same objects for texts seen before (as the fact cache)."""
    units = []
    for path, text in sorted(files.items()):
        if (path, text) not in known:
            known[path, text] = document_facts(SourceFile(path, text))
        units.append(known[path, text])
    return units


def _from_scratch(units: list[UnitFacts]) -> tuple[list[Unit], int]:
    ordered, history_end = replay_plan(units)
    return [Unit(unit.path, unit.facts) for unit in ordered], history_end


@pytest.mark.parametrize("with_models", [True, False])
def test_every_version_is_planned_as_from_scratch(with_models: bool) -> None:
    files = dict(FILES) if with_models else {p: t for p, t in FILES.items() if "models" not in p}
    known: dict[tuple[str, str], UnitFacts] = {}
    planner = ReplayPlanner()
    assert planner.plan(_units(files, known)) == _from_scratch(_units(files, known))
    for path, text in EDITS:
        if path in files:
            files[path] = text
        units = _units(files, known)
        assert planner.plan(units) == _from_scratch(units), f"after editing {path}"


def test_an_edit_that_keeps_every_place_keeps_the_plan() -> None:
    known: dict[tuple[str, str], UnitFacts] = {}
    planner = ReplayPlanner()
    before, _ = planner.plan(_units(FILES, known))
    edited = {**FILES, "migrations/V3__note.sql": "ALTER TABLE orders ADD COLUMN n int;\n"}
    after, _ = planner.plan(_units(edited, known))
    kept = [new is old for old, new in zip(before, after, strict=True)]
    assert kept.count(False) == 1  # only the edited unit is new
    assert after[kept.index(False)].path == "migrations/V3__note.sql"


def test_a_new_order_keeps_the_split_of_unchanged_model_files() -> None:
    """Ordering again (a migration stops creating its table) splits the unchanged models file
    into the same baseline and overlay units as before: the catalog need not replay them."""
    known: dict[tuple[str, str], UnitFacts] = {}
    planner = ReplayPlanner()
    before, _ = planner.plan(_units(FILES, known))
    edited = {**FILES, "migrations/V2__orders.sql": "-CREATE TABLE orders (id bigint);\n"}
    after, _ = planner.plan(_units(edited, known))
    models = [unit.facts for unit in before if unit.path == "service/models.py"]
    kept = [unit.facts for unit in after if unit.path == "service/models.py"]
    assert len(models) == 2  # the baseline and the overlay of the migrated accounts table
    assert len(kept) == 2 and all(new is old for old, new in zip(models, kept, strict=True))
