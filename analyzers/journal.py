"""Put the catalog back, in place, as it was before one unit of its replay.

An edit to a migration changes the schema from that migration on; everything replayed before
it stays as it was. A :class:`Checkpoint` taken before unit ``position`` copies the catalog's
own containers once, and saves a table's state (its fields and those of its columns, indexes,
constraints and foreign keys) just before the first fact after the checkpoint that can change
it: :func:`reach` names those tables, generously. :meth:`Checkpoint.restore` writes every saved
value back into the same objects, so references between tables stay valid, and the checkpoint
can be restored again after the next replay: the work per edit is proportional to what the
changed units and the ones after them touch, not to the whole history.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Collection, Iterator
from typing import Any

from dbsense.analyzers import ir
from dbsense.analyzers.catalog import Catalog, Table, changes_schema, located_in, locations
from dbsense.analyzers.ir import Fact, QualifiedName, field_names, field_setters

_COPIED = (list, dict, set)
# Catalog attributes copied at the checkpoint (containers) or saved as they are (scalars).
_CONTAINERS = (
    "tables",
    "schemas",
    "views",
    "enums",
    "domains",
    "functions",
    "index_names",
    "_relations",
    "_constraint_names",
    "_lifetimes",
    "_unit_order",
    "types_before",
)
_SCALARS = ("default_schema", "search_path", "_unit", "_path", "_index_order")


class Checkpoint:
    """The catalog before unit ``position`` of its replay (``position`` units replayed)."""

    def __init__(self, catalog: Catalog, position: int) -> None:
        self.position = position
        self._containers = {name: _copy(getattr(catalog, name)) for name in _CONTAINERS}
        self._scalars = {name: getattr(catalog, name) for name in _SCALARS}
        self._lengths = (len(catalog.history), len(catalog.unparsed))
        self._open = [  # a lifetime only ever ends: restore reopens those open now
            life for lives in catalog._lifetimes.values() for life in lives if life.end is None
        ]
        self._enums = [_State(enum) for enum in catalog.enums.values()]
        self._python = _State(catalog.python)
        self._by_name = {name: list(models) for name, models in catalog.python._by_name.items()}
        self._existing = {id(table) for table in catalog.tables.values()}
        self._saved: dict[int, _TableState] = {}
        self._where: dict[str, set[int]] | None = None  # path -> unchanged tables located there

    def guard(self, catalog: Catalog, path: str, fact: Fact) -> None:
        """Save the tables ``fact`` can change that existed at the checkpoint and were not
        saved yet (a replay hook: called just before ``fact`` is applied)."""
        if not changes_schema(fact):
            return
        for table in reach(catalog, fact):
            key = id(table)
            if key in self._existing and key not in self._saved:
                self._saved[key] = _TableState.of(table)

    def restore(self, catalog: Catalog) -> None:
        """Make ``catalog`` what it was at the checkpoint; the checkpoint stays usable."""
        for table in catalog.tables.values():
            if id(table) not in self._existing:  # made since: unlink it, so it dies at once
                table.referenced_by.clear()  # (a cycle would wait for the garbage collector)
                table.partitions.clear()
        for name, value in self._containers.items():
            setattr(catalog, name, _copy(value))
        for name, value in self._scalars.items():
            setattr(catalog, name, value)
        history, unparsed = self._lengths
        del catalog.history[history:]
        del catalog.unparsed[unparsed:]
        for life in self._open:
            life.end = None
        for state in self._enums:
            state.restore()
        self._python.restore()
        catalog.python._by_name = {name: list(models) for name, models in self._by_name.items()}
        catalog.python._reverse = None
        for saved in self._saved.values():
            saved.restore()

    @property
    def saved_tables(self) -> int:
        return len(self._saved)

    def tables_in(self, catalog: Catalog, paths: Collection[str]) -> Iterator[Table]:
        """``catalog.tables_in(paths)`` for a catalog replayed from this checkpoint: a table no
        fact changed since the checkpoint (none saved it) is where it was then, so those are
        read from an index of their locations, made once; the others are scanned."""
        unchanged = self._existing - self._saved.keys()
        if self._where is None:
            self._where = {}
            for table in catalog.tables.values():
                if id(table) in unchanged:
                    for path in {loc.path for loc in locations(table) if loc is not None}:
                        self._where.setdefault(path, set()).add(id(table))
        found = set().union(*(self._where.get(path, ()) for path in paths))
        for table in catalog.tables.values():
            key = id(table)
            if key in found if key in unchanged else located_in(table, paths):
                yield table


# --- object states ---------------------------------------------------------------------------


class _State:
    """The field values of one object, containers copied."""

    __slots__ = ("containers", "plain", "target")

    def __init__(self, target: Any) -> None:
        self.target = target
        self.plain: list[tuple[Callable[[Any, Any], None], Any]] = []
        self.containers: list[tuple[Callable[[Any, Any], None], Any]] = []
        cls = type(target)
        for name, setter in zip(field_names(cls), field_setters(cls), strict=True):
            value = getattr(target, name)
            if isinstance(value, _COPIED):
                self.containers.append((setter, value.copy()))
            else:
                self.plain.append((setter, value))

    def restore(self) -> None:
        target = self.target
        for setter, value in self.plain:
            setter(target, value)
        for setter, value in self.containers:
            setter(target, value.copy())


@dataclasses.dataclass(slots=True)
class _TableState:
    """A table and every mutable object it owns."""

    states: list[_State]

    @classmethod
    def of(cls, table: Table) -> _TableState:
        states = [_State(table)]
        states.extend(_State(column) for column in table.columns.values())
        states.extend(_State(index) for index in table.indexes)
        states.extend(_State(constraint) for constraint in table.constraints.values())
        states.extend(_State(fk) for fk in table.foreign_keys)
        return cls(states)

    def restore(self) -> None:
        for state in self.states:
            state.restore()


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, _COPIED) else value


# --- what a fact can change ------------------------------------------------------------------


def reach(catalog: Catalog, fact: Fact) -> set[Table]:
    """Every table applying ``fact`` can change: the tables and indexes it names (through the
    search path and as a new object's name), their partitions at every level, and, unless the
    fact only adds to what it names, the neighbours of all of those (partition parents, tables
    whose foreign keys point at them, the tables theirs point at), which drops, renames and
    type changes update."""
    roots: list[Table] = []
    for name in _names(fact):
        for table in (catalog.table(name), catalog.tables.get(catalog._creation_key(name))):
            if table is not None:
                roots.append(table)
        found = catalog._find_index(name)
        if found is not None:
            roots.append(found[1])
    family: set[Table] = set()
    while roots:
        table = roots.pop()
        if table not in family:
            family.add(table)
            roots.extend(table.partitions)
    if _adds_only(catalog, fact):
        return family
    result = set(family)
    for table in family:
        result.update(owner for owner, _ in table.referenced_by)
        result.update(fk.target for fk in table.foreign_keys if fk.target is not None)
        if table.partition_of is not None:
            parent = catalog.table(table.partition_of)
            if parent is not None:
                result.add(parent)
    return result


# Facts that only add to, or set a flag on, the tables they name (a new foreign key names its
# target, whose incoming list it extends): they never edit a neighbour.
_ADDITIVE = (
    ir.AddColumnFact,
    ir.AddConstraintFact,
    ir.AddIdentityFact,
    ir.AlterColumnDefaultFact,
    ir.AlterColumnNullFact,
    ir.CreateIndexFact,
    ir.ValidateConstraintFact,
)


def _adds_only(catalog: Catalog, fact: Fact) -> bool:
    if isinstance(fact, ir.CreateTableFact):  # unless it replaces a table of the same name
        return catalog._creation_key(fact.table) not in catalog.tables
    return isinstance(fact, _ADDITIVE)


def _names(value: Any) -> list[QualifiedName]:
    """The qualified names inside ``value`` (a fact and the definitions it holds)."""
    found: list[QualifiedName] = []
    _collect(value, found)
    return found


def _collect(value: Any, found: list[QualifiedName]) -> None:
    cls = value.__class__
    if cls is QualifiedName:
        found.append(value)
    elif cls is tuple:
        for item in value:
            _collect(item, found)
    elif dataclasses.is_dataclass(cls):
        named = _NAMED.get(cls)
        for name in _named_fields(cls) if named is None else named:
            item = getattr(value, name)
            if item is not None:
                _collect(item, found)


_NAMED: dict[type, tuple[str, ...]] = {}


def _named_fields(cls: type) -> tuple[str, ...]:
    """The fields of ``cls`` whose type can hold a :class:`QualifiedName`."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable hints: look into every field
        hints = {}
    names = tuple(
        field.name
        for field in dataclasses.fields(cls)
        if _may_name(hints.get(field.name, Any), set())
    )
    _NAMED[cls] = names
    return names


def _may_name(hint: Any, seen: set[type]) -> bool:
    if hint is QualifiedName or hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType, tuple):
        return any(arg is not Ellipsis and _may_name(arg, seen) for arg in typing.get_args(hint))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint not in seen:
        seen.add(hint)
        try:
            hints = typing.get_type_hints(hint)
        except Exception:
            return True
        return any(_may_name(value, seen) for value in hints.values())
    return False
