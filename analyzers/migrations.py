"""Order migration units so the catalog replays history as it happened.

The replay order is:

1. **Schema dumps** (``pg_dump --schema-only`` output, ``structure.sql``): the baseline.
2. **File-named units**, directory by directory (natural order of directory paths):
   Flyway versioned files ``V<version>__<name>.sql`` by version (dotted or underscored parts
   compared as numbers: ``V1_2`` < ``V1_10`` < ``V2``), then the other files by natural name
   order (numeric and timestamp prefixes compare as numbers), then Flyway repeatables
   ``R__<name>.sql`` by name. Flyway undo files (``U<version>__``) and ``*.down.sql`` files
   are not replayed.
3. **Graph-ordered units** (``UnitFacts.unit_id`` / ``depends_on``, filled by the Alembic and
   Django front-ends): a topological order of their dependency graph, merges and branches
   included. Ties, and the units of a cycle, go by natural path order, so the order is stable.
   Django's ``run_before`` adds the reverse edge. A squashed migration (``replaces``) is
   replayed instead of the migrations it replaces, as Django does on a database where none of
   them is applied (the offline view): they leave the graph, and edges to them lead to the
   squash.
4. **ORM model declarations of migrated tables** (Django models, SQLAlchemy tables whose
   table a migration creates), by natural path: laid over the migrated schema (see
   ``Catalog``), never replayed under it. Model tables no migration creates stay with the
   file-named units: they are the baseline that SQL files may alter.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import PurePosixPath

from dbsense.analyzers.ir import (
    DJANGO,
    SQLALCHEMY,
    CreateIndexFact,
    CreateTableFact,
    Fact,
    QualifiedName,
    UnitFacts,
)

MODEL_ORIGINS = (DJANGO, SQLALCHEMY)  # ORM model declarations, laid over migrations
_NUMBER = re.compile(r"(\d+)")
_FLYWAY = re.compile(r"^(?P<kind>[VUR])(?P<version>[0-9][0-9._]*)?__(?P<name>.+)$")
_DUMP_NAMES = {"structure.sql", "schema.sql"}
_DUMP_MARKERS = ("-- PostgreSQL database dump", "-- Dumped from database version")


def natural_key(path: str) -> tuple:
    """Sort key that compares digit runs as numbers: ``2_x.sql`` before ``10_x.sql``."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in _NUMBER.split(path)
        if part
    )


def is_schema_dump(path: str, text: str) -> bool:
    """True for ``pg_dump`` output and ``structure.sql``-style schema baselines."""
    if PurePosixPath(path).name.lower() in _DUMP_NAMES:
        return True
    head = text[:2000]
    return any(marker in head for marker in _DUMP_MARKERS)


@lru_cache(maxsize=65536)
def replayed(path: str) -> bool:
    """False for files that undo migrations (Flyway ``U`` files, ``*.down.sql``)."""
    name = PurePosixPath(path).name
    match = _FLYWAY.match(name)
    if match and match.group("kind") == "U":
        return False
    return not name.lower().endswith((".down.sql", "_down.sql"))


@lru_cache(maxsize=65536)
def _file_key(path: str) -> tuple:
    """Replay key of a file-named unit: directory, then Flyway rank and version or name."""
    pure = PurePosixPath(path)
    name = pure.name
    match = _FLYWAY.match(name)
    if match and match.group("kind") == "V" and match.group("version"):
        version = tuple(int(p) for p in re.split(r"[._]", match.group("version")) if p)
        return (natural_key(str(pure.parent)), 0, version, natural_key(name))
    if match and match.group("kind") == "R":
        return (natural_key(str(pure.parent)), 2, (), natural_key(name))
    return (natural_key(str(pure.parent)), 1, (), natural_key(name))


def _squash(units: list[UnitFacts]) -> list[UnitFacts]:
    """The graph with squashed migrations in place of those they replace, and ``run_before``
    turned into dependencies (Django's ``MigrationLoader.build_graph`` with nothing applied)."""
    replaced_by: dict[str, str] = {}
    for unit in units:
        for replaced in unit.replaces:
            if replaced != unit.unit_id and unit.unit_id is not None:
                replaced_by.setdefault(replaced, unit.unit_id)

    def resolve(key: str) -> str:
        seen = {key}
        while key in replaced_by and replaced_by[key] not in seen:  # a squash of a squash
            key = replaced_by[key]
            seen.add(key)
        return key

    kept = [unit for unit in units if unit.unit_id not in replaced_by]
    before: dict[str, list[str]] = {}
    for unit in units:
        for follower in unit.run_before:
            before.setdefault(resolve(follower), []).append(resolve(unit.unit_id or ""))
    if not replaced_by and not before:
        return units
    result: list[UnitFacts] = []
    for unit in kept:
        own = unit.unit_id or ""
        depends = [resolve(dep) for dep in (*unit.depends_on, *before.get(own, ()))]
        depends = [dep for dep in dict.fromkeys(depends) if dep != own]
        result.append(replace(unit, depends_on=tuple(depends)))
    return result


def _graph_order(units: list[UnitFacts]) -> list[UnitFacts]:
    """Kahn's algorithm; the ready unit with the smallest natural path goes first."""
    units = _squash(units)
    by_id = {unit.unit_id: unit for unit in units}
    waiting: dict[str, int] = {}
    followers: dict[str, list[UnitFacts]] = {}
    for unit in units:
        known = [dep for dep in dict.fromkeys(unit.depends_on) if dep in by_id]
        waiting[unit.path] = len(known)
        for dep in known:
            followers.setdefault(dep, []).append(unit)
    ready = [(natural_key(u.path), u.path, u) for u in units if waiting[u.path] == 0]
    heapq.heapify(ready)
    ordered: list[UnitFacts] = []
    while ready:
        _, _, unit = heapq.heappop(ready)
        ordered.append(unit)
        for follower in followers.get(unit.unit_id or "", ()):
            waiting[follower.path] -= 1
            if waiting[follower.path] == 0:
                heapq.heappush(ready, (natural_key(follower.path), follower.path, follower))
    if len(ordered) < len(units):  # a cycle: keep going in path order
        done = {unit.path for unit in ordered}
        ordered.extend(sorted((u for u in units if u.path not in done), key=_path_key))
    return ordered


def _path_key(unit: UnitFacts) -> tuple:
    return natural_key(unit.path)


def _table_key(name: QualifiedName) -> tuple[str, str]:
    return (name.schema or "public", name.name)


def _model_fact(fact: Fact) -> bool:
    return isinstance(fact, CreateTableFact | CreateIndexFact) and fact.origin in MODEL_ORIGINS


@dataclass(slots=True)
class _Summary:
    """What ordering needs from one unit's facts (kept across calls: facts rarely change)."""

    facts: tuple[Fact, ...]  # the facts summarised (held, so their identity stays valid)
    migrated: frozenset[tuple[str, str]]  # tables that SQL or migrations create
    models: tuple[Fact, ...]  # model tables and their indexes
    split: tuple[tuple[int, ...], UnitFacts, UnitFacts] | None = None


Memo = dict[str, _Summary]  # unit path -> summary


def summary(unit: UnitFacts, memo: Memo) -> _Summary:
    """What ordering reads of ``unit``, from ``memo`` while its facts are the same objects."""
    found = memo.get(unit.path)
    if found is None or found.facts is not unit.facts:
        migrated = frozenset(
            _table_key(fact.table)
            for fact in unit.facts
            if isinstance(fact, CreateTableFact) and fact.origin not in MODEL_ORIGINS
        )
        found = memo[unit.path] = _Summary(
            unit.facts, migrated, tuple(f for f in unit.facts if _model_fact(f))
        )
    return found


def split_models(
    unit: UnitFacts, migrated: set[tuple[str, str]], memo: Memo | None = None
) -> tuple[UnitFacts, UnitFacts | None]:
    """``unit`` as its baseline part and its overlay part (``None`` when empty): the overlay
    holds the model tables (and their indexes) that migrations create, laid over the migrated
    schema at the end; the baseline holds the rest, replayed in file order like before any
    migration touches them."""
    read = summary(unit, {} if memo is None else memo)
    overlay = [f for f in read.models if _table_key(f.table) in migrated]
    if not overlay:
        return unit, None
    chosen = tuple(map(id, overlay))
    if read.split is None or read.split[0] != chosen:
        picked = set(chosen)
        base = tuple(f for f in unit.facts if id(f) not in picked)
        read.split = (chosen, replace(unit, facts=base), replace(unit, facts=tuple(overlay)))
    return read.split[1], read.split[2]


def order_units(units: Iterable[UnitFacts], memo: Memo | None = None) -> list[UnitFacts]:
    """The units to replay, in replay order (undo files left out). A ``memo`` passed again
    with the next version of the same workspace saves re-reading the units that did not
    change."""
    memo = {} if memo is None else memo
    dumps: list[UnitFacts] = []
    files: list[UnitFacts] = []
    graph: list[UnitFacts] = []
    seen: set[str] = set()
    for unit in units:
        seen.add(unit.path)
        if not replayed(unit.path):
            continue
        if unit.dump:
            dumps.append(unit)
        elif unit.unit_id is not None:
            graph.append(unit)
        else:
            files.append(unit)
    migrated = set().union(*(summary(unit, memo).migrated for unit in (*dumps, *files, *graph)))
    overlays: list[UnitFacts] = []
    for position, unit in enumerate(files):
        files[position], overlay = split_models(unit, migrated, memo)
        if overlay is not None:
            overlays.append(overlay)
    for gone in memo.keys() - seen:
        del memo[gone]
    dumps.sort(key=_path_key)
    files.sort(key=lambda unit: _file_key(unit.path))
    overlays.sort(key=_path_key)
    return [*dumps, *files, *_graph_order(graph), *overlays]
