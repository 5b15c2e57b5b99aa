"""The workspace schema catalog, replayed from the facts of ordered migration units.

Replay is one linear pass over the units (see :mod:`dbsense.analyzers.migrations` for the
order). It models schemas, tables (partitioned parents and their partitions), columns with
type, default, nullability and identity, PK/UNIQUE/CHECK/FK/EXCLUDE constraints with their
validation state, indexes (keys, expressions, predicate, method, INCLUDE), views, enums, domains
and functions with their volatility; renames and drops remove or move what they name.

Every object keeps its ``location`` (the statement that created it) and ``changes`` (the
statements that altered it later), for ``relatedInformation`` and for hover's "which migration
created or changed this". Names Postgres would choose (``orders_pkey``, ``orders_a_idx``) are
chosen the same way, so a later ``DROP INDEX orders_a_idx`` finds its index.

Unqualified names resolve through ``search_path``, which starts as ``public`` in every unit and
follows the unit's ``SET search_path`` statements, as it would in a fresh session per migration.

**Pre-existing tables.** File rules see the *final* catalog. For the locking rules' notion of a
table that existed before the current unit, the catalog keeps each table name's lifetimes in
replay order; :meth:`Catalog.existed_before` answers "did ``name`` exist when unit ``path``
started?" in constant time per lifetime. A rename keeps the table's age: a table renamed in an
earlier unit is still pre-existing under its new name.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from dbsense.analyzers.ir import (
    AddColumnFact,
    AddConstraintFact,
    AddEnumValueFact,
    AddIdentityFact,
    AlterColumnDefaultFact,
    AlterColumnNullFact,
    AlterColumnTypeFact,
    AttachPartitionFact,
    ColumnDef,
    ConstraintDef,
    CreateDomainFact,
    CreateEnumFact,
    CreateFunctionFact,
    CreateIndexFact,
    CreateSchemaFact,
    CreateTableFact,
    CreateViewFact,
    DropColumnFact,
    DropConstraintFact,
    DropIndexFact,
    DropTableFact,
    Fact,
    ForeignKeyDef,
    IndexKey,
    ParseErrorFact,
    QualifiedName,
    RenameColumnFact,
    RenameIndexFact,
    RenameTableFact,
    SettingFact,
    Span,
    TypeRef,
    ValidateConstraintFact,
)
from dbsense.analyzers.migrations import MODEL_ORIGINS
from dbsense.analyzers.naming import choose_name, column_part, unique_column_names
from dbsense.analyzers.python.index import INDEXED_FACTS, PythonIndex

DEFAULT_SCHEMA = "public"
_WORD = re.compile(r'"([^"]+)"|([A-Za-z_][A-Za-z0-9_$]*)')
_SERIAL = {"serial", "bigserial", "smallserial"}


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: replay and the rules allocate many small objects
    while millions of facts are alive, and the collector would rescan those facts again and
    again (4x the replay time at 50,000 statements). Little of it is garbage."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    span: Span  # the part that matters (a column, a constraint, a name)
    statement: Span  # the whole statement it sits in


@dataclass(slots=True, eq=False)
class Column:
    name: str
    type: TypeRef | None
    location: Location
    definition: ColumnDef
    nullable: bool = True
    default: str | None = None
    identity: bool = False
    generated: bool = False
    changes: list[Location] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class ForeignKey:
    definition: ForeignKeyDef
    location: Location
    table_created_in_unit: bool
    name: str = ""
    validated: bool = True
    target: Table | None = None  # the referenced table, when the catalog knows it

    @property
    def columns(self) -> tuple[str, ...]:
        return self.definition.columns

    @property
    def ref_table(self) -> QualifiedName:
        return self.target.name if self.target is not None else self.definition.ref_table


@dataclass(slots=True, eq=False)
class Index:
    """An index, or the index behind a PK/UNIQUE/EXCLUDE constraint (``constraint`` set)."""

    name: str | None
    keys: tuple[IndexKey, ...]
    location: Location
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    constraint: str | None = None  # "primary-key" | "unique" | "exclude"
    order: int = 0  # replay order: a higher number was created later
    changes: list[Location] = field(default_factory=list)

    @property
    def columns(self) -> tuple[str | None, ...]:
        return tuple(key.column for key in self.keys)


@dataclass(slots=True, eq=False)
class Constraint:
    """A named table constraint; PK/UNIQUE/EXCLUDE point at their ``index``."""

    name: str
    kind: str  # "primary-key" | "unique" | "check" | "foreign-key" | "exclude"
    columns: tuple[str, ...]
    location: Location
    expression: str | None = None
    validated: bool = True
    index: Index | None = None
    foreign_key: ForeignKey | None = None
    changes: list[Location] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DroppedIndex:
    """An index removed by a later ``DROP INDEX``: what it was and where it was dropped."""

    index: Index
    dropped_at: Location


@dataclass(slots=True, eq=False)
class Table:
    name: QualifiedName
    location: Location
    columns: dict[str, Column] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    constraints: dict[str, Constraint] = field(default_factory=dict)
    temporary: bool = False
    partitioned: bool = False
    partition_of: QualifiedName | None = None
    created_order: int = 0  # the unit that created it (replay position)
    changes: list[Location] = field(default_factory=list)
    dropped_indexes: list[DroppedIndex] = field(default_factory=list)
    # Where a new first column goes in the CREATE TABLE, and the separator after it.
    element_insert: tuple[int, str] | None = None
    partitions: list[Table] = field(default_factory=list)
    referenced_by: list[tuple[Table, ForeignKey]] = field(default_factory=list)  # incoming FKs
    model: Location | None = None  # the ORM model class that declares the table
    declared: dict[str, Location] = field(default_factory=dict)  # columns the model declares

    @property
    def primary_key(self) -> Index | None:
        return next((i for i in self.indexes if i.constraint == "primary-key"), None)

    @property
    def checks(self) -> list[Constraint]:
        return [c for c in self.constraints.values() if c.kind == "check"]


@dataclass(slots=True)
class View:
    name: QualifiedName
    location: Location
    materialized: bool = False


@dataclass(slots=True)
class EnumType:
    name: QualifiedName
    labels: list[str]
    location: Location
    changes: list[Location] = field(default_factory=list)


@dataclass(slots=True)
class Domain:
    name: QualifiedName
    base_type: str
    location: Location
    not_null: bool = False
    check: str | None = None


@dataclass(slots=True)
class Function:
    name: QualifiedName
    volatility: str
    location: Location
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    """One migration unit: a document's path and its facts in source order."""

    path: str
    facts: tuple[Fact, ...]


@dataclass(slots=True)
class _Lifetime:
    """A table known under one name from unit ``start`` to unit ``end`` (inclusive)."""

    start: int
    end: int | None
    created: int  # the unit that created the table itself (renames keep it)


@dataclass(slots=True)
class Catalog:
    tables: dict[QualifiedName, Table] = field(default_factory=dict)
    schemas: dict[str, Location | None] = field(default_factory=lambda: {DEFAULT_SCHEMA: None})
    views: dict[QualifiedName, View] = field(default_factory=dict)
    enums: dict[QualifiedName, EnumType] = field(default_factory=dict)
    domains: dict[QualifiedName, Domain] = field(default_factory=dict)
    functions: dict[QualifiedName, Function] = field(default_factory=dict)
    index_names: dict[QualifiedName, tuple[Index, Table]] = field(default_factory=dict)
    unparsed: list[Location] = field(default_factory=list)  # statements replay could not read
    python: PythonIndex = field(default_factory=PythonIndex)  # ORM models, function summaries
    default_schema: str = DEFAULT_SCHEMA
    search_path: tuple[str, ...] = (DEFAULT_SCHEMA,)
    _relations: set[QualifiedName] = field(default_factory=set)
    _constraint_names: set[tuple[str, str]] = field(default_factory=set)
    # Per name, its lifetimes in order; tuples, so a checkpoint copies the dict alone.
    _lifetimes: dict[QualifiedName, tuple[_Lifetime, ...]] = field(default_factory=dict)
    _unit_order: dict[str, int] = field(default_factory=dict)
    _unit: int = 0
    _path: str = ""
    _index_order: int = 0
    history: list[Unit] = field(default_factory=list)  # the replayed units, in replay order
    # The column type just before each type change: (path, action span) -> type.
    types_before: dict[tuple[str, Span], TypeRef | None] = field(default_factory=dict)
    # What replay observers (rules judging statements by the schema of their time) recorded,
    # by rule code; and the units after the history, which see the final schema.
    observations: dict[str, Any] = field(default_factory=dict)
    application_paths: frozenset[str] = frozenset()
    # The checkpoint of the incremental catalog that replayed this one, if any: it answers
    # ``tables_in`` from an index for the tables unchanged since then.
    checkpoint: Any = field(default=None, compare=False, repr=False)

    # --- queries -----------------------------------------------------------------------------

    def table(self, name: QualifiedName) -> Table | None:
        """The table ``name`` resolves to through the search path, or ``None``."""
        if name.schema is not None:
            return self.tables.get(name)
        for schema in self.search_path:
            table = self.tables.get(QualifiedName(name.name, schema))
            if table is not None:
                return table
        return None

    def iter_tables(self) -> Iterator[Table]:
        return iter(self.tables.values())

    def tables_in(self, paths: Collection[str]) -> Iterator[Table]:
        """Tables created, declared or changed (a column, index, constraint...) in one of
        ``paths``: where a finding about a table can be located."""
        if self.checkpoint is not None:
            return self.checkpoint.tables_in(self, paths)
        return (table for table in self.tables.values() if located_in(table, paths))

    def index(self, name: QualifiedName) -> Index | None:
        found = self._find_index(name)
        return found[0] if found else None

    def function(self, name: QualifiedName) -> Function | None:
        if name.schema is not None:
            return self.functions.get(name)
        for schema in self.search_path:
            function = self.functions.get(QualifiedName(name.name, schema))
            if function is not None:
                return function
        return None

    def existed_before(self, name: QualifiedName, path: str) -> bool:
        """True when a table known as ``name`` during unit ``path`` was created in an earlier
        unit (the locking rules' "pre-existing table"). Unknown units count as after all."""
        unit = self._unit_order.get(path, len(self._unit_order) + 1)
        keys = (
            [name]
            if name.schema is not None
            else [QualifiedName(name.name, schema) for schema in self.search_path]
        )
        for key in keys:
            for life in self._lifetimes.get(key, ()):
                alive = life.start <= unit and (life.end is None or life.end >= unit)
                if alive and life.created < unit:
                    return True
        return False

    def type_before(self, path: str, fact: AlterColumnTypeFact) -> TypeRef | None:
        """The type the column had when the type change ``fact`` of unit ``path`` ran, or
        ``None`` when replay did not know the column then."""
        return self.types_before.get((path, fact.action_span))

    # --- replay ------------------------------------------------------------------------------

    def replay(
        self, units: Iterable[Unit], before: Callable[[Catalog, str, Fact], None] | None = None
    ) -> Catalog:
        """Apply ``units`` in order and keep them in ``history``. ``before(catalog, path,
        fact)`` sees the catalog as it is just before each fact: the state "at that point of
        the history" (see ``replay_history``)."""
        with paused_gc():
            for unit in units:
                self.history.append(unit)
                self._unit = self._unit_order.setdefault(unit.path, len(self._unit_order))
                self._path = unit.path
                self.search_path = (DEFAULT_SCHEMA,)
                for fact in unit.facts:
                    if before is not None:
                        before(self, unit.path, fact)
                    self.apply(unit.path, fact)
        self.search_path = (DEFAULT_SCHEMA,)
        return self

    def replay_history(self, before: Callable[[Catalog, str, Fact], None]) -> Catalog:
        """Replay this catalog's history into a new catalog, calling ``before`` ahead of each
        fact (rules that judge a statement against the schema of its own time)."""
        return Catalog().replay(self.history, before)

    def apply(self, path: str, fact: Fact) -> None:
        handler = _HANDLERS.get(type(fact))
        if handler is not None:
            handler(self, path, fact)
        elif isinstance(fact, INDEXED_FACTS):
            self.python.add(path, fact)

    # --- names -------------------------------------------------------------------------------

    def _creation_key(self, name: QualifiedName) -> QualifiedName:
        if name.schema is not None:
            return name
        for schema in self.search_path:
            if schema in self.schemas:
                return QualifiedName(name.name, schema)
        return QualifiedName(name.name, DEFAULT_SCHEMA)

    def _find_index(self, name: QualifiedName) -> tuple[Index, Table] | None:
        if name.schema is not None:
            return self.index_names.get(name)
        for schema in self.search_path:
            found = self.index_names.get(QualifiedName(name.name, schema))
            if found is not None:
                return found
        return None

    def _relation_taken(self, schema: str) -> Callable[[str], bool]:
        return lambda candidate: QualifiedName(candidate, schema) in self._relations

    def _constraint_taken(self, schema: str) -> Callable[[str], bool]:
        return lambda candidate: (schema, candidate) in self._constraint_names

    # --- tables ------------------------------------------------------------------------------

    def _create_table(self, path: str, fact: CreateTableFact) -> None:
        key = self._creation_key(fact.table)
        existing = self.tables.get(key)
        if fact.origin in MODEL_ORIGINS and existing is not None and existing.model is None:
            self._overlay_model(existing, path, fact)
            return
        if key in self.tables:
            if fact.if_not_exists:
                return
            self._drop_table(self.tables[key], None)
        table = Table(
            name=key,
            location=Location(path, fact.name_span, fact.span),
            temporary=fact.temporary,
            partitioned=fact.partitioned,
            partition_of=None,
            created_order=self._unit,
        )
        if fact.element_insert_at is not None and fact.partition_of is None:
            table.element_insert = (fact.element_insert_at, fact.element_separator)
        self.tables[key] = table
        self._relations.add(key)
        self._lifetimes[key] = (
            *self._lifetimes.get(key, ()),
            _Lifetime(self._unit, None, self._unit),
        )
        if fact.partition_of is not None:
            parent = self.table(fact.partition_of)
            table.partition_of = parent.name if parent else fact.partition_of
            if parent is not None:
                parent.partitions.append(table)
            if parent is not None:
                for column in parent.columns.values():
                    copy = replace(column, changes=[], default=column.default)
                    table.columns[column.name] = copy
        for source_name in fact.like:
            source = self.table(source_name)
            for column in source.columns.values() if source else ():
                table.columns[column.name] = replace(
                    column, default=None, identity=False, generated=False, changes=[]
                )
        for column in fact.columns:
            self._add_column(table, path, column, fact.span, True)
        for constraint in fact.constraints:
            self._add_constraint(table, path, constraint, fact.span, True)
        if fact.origin in MODEL_ORIGINS:
            table.model = Location(path, fact.name_span, fact.span)
            table.declared = {c.name: Location(path, c.span, fact.span) for c in fact.columns}

    def _overlay_model(self, table: Table, path: str, fact: CreateTableFact) -> None:
        """Lay an ORM model over the table its migrations created: the migrated schema stays
        (types, constraints, indexes, locations); columns only the model declares are added
        (a migration not written yet), and every declared column is remembered."""
        table.model = Location(path, fact.name_span, fact.span)
        for column in fact.columns:
            if column.name not in table.columns:
                self._add_column(table, path, column, fact.span, False)
            table.declared[column.name] = Location(path, column.span, fact.span)

    def declared_by_model(self, name: QualifiedName, column: str) -> Location | None:
        """Where an ORM model declares column ``column`` of table ``name``, if one does."""
        table = self.table(name)
        return table.declared.get(column) if table is not None else None

    def _add_column(
        self, table: Table, path: str, column: ColumnDef, statement: Span, new_table: bool
    ) -> None:
        location = Location(path, column.span, statement)
        existing = table.columns.get(column.name)
        if existing is not None and table.partition_of is not None:
            # A partition's column clause only adds constraints and defaults to the parent's.
            existing.nullable = existing.nullable and column.nullable
            existing.default = column.default or existing.default
        else:
            serial = column.type is not None and column.type.name in _SERIAL
            table.columns[column.name] = Column(
                name=column.name,
                type=column.type,
                location=location,
                definition=column,
                nullable=column.nullable and not serial and not column.identity,
                default=column.default,
                identity=column.identity,
                generated=column.generated,
            )
            if serial or column.identity:
                schema = table.name.schema or DEFAULT_SCHEMA
                sequence = choose_name(
                    table.name.name, column.name, "seq", self._relation_taken(schema)
                )
                self._relations.add(QualifiedName(sequence, schema))
        if column.primary_key or column.unique:
            kind = "primary-key" if column.primary_key else "unique"
            self._add_constraint(
                table,
                path,
                ConstraintDef(kind, column.span, None, (column.name,)),
                statement,
                new_table,
            )
        if column.check is not None:
            constraint = ConstraintDef("check", column.span, None, expression=column.check)
            self._add_constraint(table, path, constraint, statement, new_table)
        if column.references is not None:
            constraint = ConstraintDef(
                "foreign-key",
                column.span,
                column.references.name,
                (column.name,),
                column.references,
                not_valid=column.references.not_valid,
            )
            self._add_constraint(table, path, constraint, statement, new_table)

    def _add_constraint(
        self, table: Table, path: str, constraint: ConstraintDef, statement: Span, new_table: bool
    ) -> None:
        location = Location(path, constraint.span, statement)
        schema = table.name.schema or DEFAULT_SCHEMA
        kind = constraint.kind
        if kind in ("primary-key", "unique") and constraint.using_index:
            self._constraint_using_index(table, constraint, location)
            return
        if kind in ("primary-key", "unique", "exclude"):
            keys = tuple(IndexKey(column, column, label=column) for column in constraint.columns)
            label = {"primary-key": "pkey", "unique": "key", "exclude": "excl"}[kind]
            name = constraint.name or choose_name(
                table.name.name,
                None if kind == "primary-key" else column_part(constraint.columns),
                label,
                self._relation_taken(schema),
            )
            method = "gist" if kind == "exclude" else "btree"
            index = self._new_index(
                table, name, keys, location, unique=kind != "exclude", method=method
            )
            index.include = constraint.include
            index.constraint = kind
            if kind == "primary-key":
                for column in constraint.columns:
                    if column in table.columns:
                        table.columns[column].nullable = False
            self._register_constraint(table, Constraint(name, kind, keys_of(index), location))
            table.constraints[name].index = index
            return
        if kind == "foreign-key" and constraint.foreign_key is not None:
            fk_def = constraint.foreign_key
            name = constraint.name or fk_def.name
            name = name or choose_name(
                table.name.name,
                column_part(fk_def.columns),
                "fkey",
                self._constraint_taken(schema),
            )
            target = self.table(fk_def.ref_table)
            if target is not None and not fk_def.ref_columns and target.primary_key:
                fk_def = replace(fk_def, ref_columns=keys_of(target.primary_key))
            fk = ForeignKey(
                fk_def,
                location,
                new_table,
                name=name,
                validated=not constraint.not_valid,
                target=target,
            )
            table.foreign_keys.append(fk)
            if target is not None:
                target.referenced_by.append((table, fk))
            record = Constraint(name, kind, fk_def.columns, location, validated=fk.validated)
            record.foreign_key = fk
            self._register_constraint(table, record)
            return
        if kind == "check":
            referenced = _referenced_columns(constraint.expression or "", table)
            name = constraint.name or choose_name(
                table.name.name,
                referenced[0] if len(referenced) == 1 else None,
                "check",
                self._constraint_taken(schema),
            )
            record = Constraint(
                name,
                kind,
                tuple(referenced),
                location,
                expression=constraint.expression,
                validated=not constraint.not_valid,
            )
            self._register_constraint(table, record)

    def _register_constraint(self, table: Table, constraint: Constraint) -> None:
        table.constraints[constraint.name] = constraint
        self._constraint_names.add((table.name.schema or DEFAULT_SCHEMA, constraint.name))

    def _constraint_using_index(
        self, table: Table, constraint: ConstraintDef, location: Location
    ) -> None:
        found = self._find_index(QualifiedName(constraint.using_index or "", table.name.schema))
        if found is None or found[1] is not table:
            return
        index = found[0]
        name = constraint.name or index.name or ""
        if name != index.name:
            self._rename_index(index, table, name)
        index.constraint = constraint.kind
        index.changes.append(location)
        if constraint.kind == "primary-key":
            for key in index.keys:
                if key.column in table.columns:
                    table.columns[key.column].nullable = False
        self._register_constraint(
            table, Constraint(name, constraint.kind, keys_of(index), location, index=index)
        )

    def _new_index(
        self,
        table: Table,
        name: str,
        keys: tuple[IndexKey, ...],
        location: Location,
        unique: bool = False,
        method: str = "btree",
    ) -> Index:
        self._index_order += 1
        index = Index(name, keys, location, unique, method, order=self._index_order)
        table.indexes.append(index)
        key = QualifiedName(name, table.name.schema or DEFAULT_SCHEMA)
        self.index_names[key] = (index, table)
        self._relations.add(key)
        return index

    def _create_index(self, path: str, fact: CreateIndexFact) -> None:
        table = self.table(fact.table)
        if table is None:
            return
        if fact.origin in MODEL_ORIGINS and table.location.path != path:
            return  # a model's index on a migrated table: the migrations say what exists
        schema = table.name.schema or DEFAULT_SCHEMA
        if fact.name and fact.if_not_exists and QualifiedName(fact.name, schema) in self._relations:
            return
        name = fact.name or choose_name(
            table.name.name,
            column_part(unique_column_names(key.label or "expr" for key in fact.keys)),
            "idx",
            self._relation_taken(schema),
        )
        location = Location(path, fact.table_span, fact.span)
        index = self._new_index(table, name, fact.keys, location, fact.unique, fact.method)
        index.where = fact.where
        index.include = fact.include
        table.changes.append(location)

    def _rename_index(self, index: Index, table: Table, new_name: str) -> None:
        schema = table.name.schema or DEFAULT_SCHEMA
        old = QualifiedName(index.name or "", schema)
        self.index_names.pop(old, None)
        self._relations.discard(old)
        for constraint in list(table.constraints.values()):
            if constraint.index is index:
                del table.constraints[constraint.name]
                constraint.name = new_name
                table.constraints[new_name] = constraint
        index.name = new_name
        key = QualifiedName(new_name, schema)
        self.index_names[key] = (index, table)
        self._relations.add(key)

    def _drop_table(self, table: Table, location: Location | None) -> None:
        self.tables.pop(table.name, None)
        self._relations.discard(table.name)
        for index in table.indexes:
            self._forget_index(index, table)
        for life in self._lifetimes.get(table.name, ()):
            if life.end is None:
                life.end = self._unit
        for child in list(table.partitions):
            self._drop_table(child, location)
        parent = self.table(table.partition_of) if table.partition_of else None
        if parent is not None and table in parent.partitions:
            parent.partitions.remove(table)
        for owner, fk in table.referenced_by:
            if owner is not table:
                self._remove_foreign_key(owner, fk)
        for fk in table.foreign_keys:
            if fk.target is not None and fk.target is not table:
                fk.target.referenced_by = [p for p in fk.target.referenced_by if p[1] is not fk]

    def _remove_foreign_key(self, table: Table, fk: ForeignKey) -> None:
        table.foreign_keys = [other for other in table.foreign_keys if other is not fk]
        for name, constraint in list(table.constraints.items()):
            if constraint.foreign_key is fk:
                del table.constraints[name]
        if fk.target is not None:
            fk.target.referenced_by = [p for p in fk.target.referenced_by if p[1] is not fk]

    def _forget_index(self, index: Index, table: Table) -> None:
        key = QualifiedName(index.name or "", table.name.schema or DEFAULT_SCHEMA)
        if self.index_names.get(key, (None,))[0] is index:
            del self.index_names[key]
            self._relations.discard(key)

    def _remove_index(self, index: Index, table: Table) -> None:
        self._forget_index(index, table)
        table.indexes = [other for other in table.indexes if other is not index]
        for name, constraint in list(table.constraints.items()):
            if constraint.index is index:
                del table.constraints[name]

    def _remove_constraint(self, table: Table, constraint: Constraint) -> None:
        table.constraints.pop(constraint.name, None)
        if constraint.index is not None:
            self._remove_index(constraint.index, table)
        if constraint.foreign_key is not None:
            self._remove_foreign_key(table, constraint.foreign_key)

    def _rename_table(self, table: Table, new_name: str) -> None:
        old = table.name
        new = QualifiedName(new_name, old.schema)
        del self.tables[old]
        self._relations.discard(old)
        for life in self._lifetimes.get(old, ()):
            if life.end is None:
                life.end = self._unit
        life = _Lifetime(self._unit, None, table.created_order)
        self._lifetimes[new] = (*self._lifetimes.get(new, ()), life)
        table.name = new
        self.tables[new] = table
        self._relations.add(new)
        for child in table.partitions:
            child.partition_of = new

    def _rename_column(self, table: Table, old: str, new: str, location: Location) -> None:
        column = table.columns.get(old)
        if column is None or new in table.columns:
            return
        table.columns = {(new if name == old else name): c for name, c in table.columns.items()}
        column.name = new
        column.changes.append(location)
        for index in table.indexes:
            if any(key.column == old for key in index.keys) or old in index.include:
                index.keys = tuple(
                    replace(key, column=new, expression=new) if key.column == old else key
                    for key in index.keys
                )
                index.include = tuple(new if c == old else c for c in index.include)
        for constraint in table.constraints.values():
            constraint.columns = tuple(new if c == old else c for c in constraint.columns)
        for fk in table.foreign_keys:
            if old in fk.definition.columns:
                columns = tuple(new if c == old else c for c in fk.definition.columns)
                fk.definition = replace(fk.definition, columns=columns)
        for _, fk in table.referenced_by:
            if old in fk.definition.ref_columns:
                refs = tuple(new if c == old else c for c in fk.definition.ref_columns)
                fk.definition = replace(fk.definition, ref_columns=refs)

    def _drop_column(self, table: Table, name: str) -> None:
        if table.columns.pop(name, None) is None:
            return
        for index in list(table.indexes):
            uses = any(key.column == name for key in index.keys) or name in index.include
            if uses or any(_mentions(key.expression, name) for key in index.keys if not key.column):
                self._remove_index(index, table)
        for constraint in list(table.constraints.values()):
            if name in constraint.columns:
                self._remove_constraint(table, constraint)


def located_in(table: Table, paths: Collection[str]) -> bool:
    return any(location is not None and location.path in paths for location in locations(table))


def locations(table: Table) -> Iterator[Location | None]:
    yield table.location
    yield table.model
    yield from table.changes
    yield from table.declared.values()
    for column in table.columns.values():
        yield column.location
        yield from column.changes
    for index in table.indexes:
        yield index.location
        yield from index.changes
    for fk in table.foreign_keys:
        yield fk.location
    for constraint in table.constraints.values():
        yield constraint.location
        yield from constraint.changes
    for dropped in table.dropped_indexes:
        yield dropped.dropped_at


def keys_of(index: Index) -> tuple[str, ...]:
    return tuple(key.column or key.expression for key in index.keys)


def _mentions(expression: str, column: str) -> bool:
    return any((m.group(1) or m.group(2).lower()) == column for m in _WORD.finditer(expression))


def _referenced_columns(expression: str, table: Table) -> list[str]:
    found: list[str] = []
    for match in _WORD.finditer(expression):
        word = match.group(1) or match.group(2).lower()
        if word in table.columns and word not in found:
            found.append(word)
    return found


# --- fact handlers -------------------------------------------------------------------------------


def _alter(catalog: Catalog, path: str, fact: Fact, name: QualifiedName) -> Table | None:
    """The table an ALTER fact changes, with the statement recorded in its history."""
    table = catalog.table(name)
    if table is not None:
        span = getattr(fact, "action_span", fact.span)
        table.changes.append(Location(path, span, fact.span))
    return table


def _family(catalog: Catalog, table: Table) -> list[Table]:
    """``table`` and, for a partitioned table, its partitions at every level: column changes
    on a partitioned table apply to all of them."""
    family = [table]
    for child in table.partitions:
        family.extend(_family(catalog, child))
    return family


def _h_create_table(catalog: Catalog, path: str, fact: CreateTableFact) -> None:
    catalog._create_table(path, fact)


def _h_add_column(catalog: Catalog, path: str, fact: AddColumnFact) -> None:
    table = _alter(catalog, path, fact, fact.table)
    for member in _family(catalog, table) if table is not None else ():
        if fact.column.name not in member.columns:
            created = fact.table_created_in_unit
            if member is not table:  # partitions get the column, not its constraints
                column = replace(fact.column, primary_key=False, unique=False, references=None)
                catalog._add_column(member, path, column, fact.span, created)
            else:
                catalog._add_column(member, path, fact.column, fact.span, created)


def _h_add_constraint(catalog: Catalog, path: str, fact: AddConstraintFact) -> None:
    table = _alter(catalog, path, fact, fact.table)
    if table is not None:
        created = fact.table_created_in_unit
        catalog._add_constraint(table, path, fact.constraint, fact.span, created)


def _h_create_index(catalog: Catalog, path: str, fact: CreateIndexFact) -> None:
    catalog._create_index(path, fact)


def _h_schema(catalog: Catalog, path: str, fact: CreateSchemaFact) -> None:
    if fact.name not in catalog.schemas or catalog.schemas[fact.name] is None:
        catalog.schemas.setdefault(fact.name, Location(path, fact.span, fact.span))


def _h_view(catalog: Catalog, path: str, fact: CreateViewFact) -> None:
    key = catalog._creation_key(fact.view)
    catalog.views[key] = View(key, Location(path, fact.name_span, fact.span), fact.materialized)
    catalog._relations.add(key)


def _h_enum(catalog: Catalog, path: str, fact: CreateEnumFact) -> None:
    key = catalog._creation_key(fact.type)
    catalog.enums[key] = EnumType(key, list(fact.labels), Location(path, fact.span, fact.span))


def _h_enum_value(catalog: Catalog, path: str, fact: AddEnumValueFact) -> None:
    for schema in (fact.type.schema,) if fact.type.schema else catalog.search_path:
        enum = catalog.enums.get(QualifiedName(fact.type.name, schema))
        if enum is not None:
            if fact.label not in enum.labels:
                enum.labels.append(fact.label)
            enum.changes.append(Location(path, fact.span, fact.span))
            return


def _h_domain(catalog: Catalog, path: str, fact: CreateDomainFact) -> None:
    key = catalog._creation_key(fact.domain)
    location = Location(path, fact.span, fact.span)
    catalog.domains[key] = Domain(key, fact.base_type, location, fact.not_null, fact.check)


def _h_function(catalog: Catalog, path: str, fact: CreateFunctionFact) -> None:
    key = catalog._creation_key(fact.function)
    location = Location(path, fact.span, fact.span)
    catalog.functions[key] = Function(key, fact.volatility, location, fact.language)


def _h_setting(catalog: Catalog, path: str, fact: SettingFact) -> None:
    if fact.name != "search_path":
        return
    schemas = []
    for part in fact.value.split(","):
        schema = part.strip().strip('"')
        if schema and schema != "$user" and schema.lower() != "default":
            schemas.append(schema)
    is_default = fact.value.strip().lower() == "default"
    catalog.search_path = (DEFAULT_SCHEMA,) if is_default else tuple(schemas)


def _h_parse_error(catalog: Catalog, path: str, fact: ParseErrorFact) -> None:
    catalog.unparsed.append(Location(path, fact.span, fact.span))


def _h_attach(catalog: Catalog, path: str, fact: AttachPartitionFact) -> None:
    if fact.index:
        # The child index becomes the parent index's copy on one partition, which the catalog
        # models once, on the parent.
        found = catalog._find_index(fact.partition)
        if found is not None and catalog._find_index(fact.table) is not None:
            catalog._remove_index(*found)
        return
    parent = _alter(catalog, path, fact, fact.table)
    child = catalog.table(fact.partition)
    if parent is not None and child is not None:
        child.partition_of = parent.name if fact.attach else None
        if fact.attach and child not in parent.partitions:
            parent.partitions.append(child)
        elif not fact.attach and child in parent.partitions:
            parent.partitions.remove(child)
        child.changes.append(Location(path, fact.span, fact.span))
        if fact.attach:  # a child CHECK named like the parent's merges into the inherited one
            for name, check in list(child.constraints.items()):
                inherited = parent.constraints.get(name)
                if check.kind == "check" and inherited is not None and inherited.kind == "check":
                    del child.constraints[name]


def _h_identity(catalog: Catalog, path: str, fact: AddIdentityFact) -> None:
    table = _alter(catalog, path, fact, fact.table)
    column = table.columns.get(fact.column) if table else None
    if column is not None:
        column.identity, column.nullable = True, False
        column.changes.append(Location(path, fact.span, fact.span))


def _h_rename_index(catalog: Catalog, path: str, fact: RenameIndexFact) -> None:
    found = catalog._find_index(fact.index)
    if found is not None:
        index, table = found
        catalog._rename_index(index, table, fact.new_name)
        index.changes.append(Location(path, fact.span, fact.span))


def _h_column_type(catalog: Catalog, path: str, fact: AlterColumnTypeFact) -> None:
    table = _alter(catalog, path, fact, fact.table)
    for member in _family(catalog, table) if table is not None else ():
        column = member.columns.get(fact.column)
        if column is not None and fact.type is not None:
            if member is table:
                catalog.types_before.setdefault((path, fact.action_span), column.type)
            column.type = fact.type
            column.changes.append(Location(path, fact.action_span, fact.span))


def _h_column_null(catalog: Catalog, path: str, fact: AlterColumnNullFact) -> None:
    table = _alter(catalog, path, fact, fact.table)
    for member in _family(catalog, table) if table is not None else ():
        column = member.columns.get(fact.column)
        if column is not None:
            column.nullable = not fact.not_null
            column.changes.append(Location(path, fact.action_span, fact.span))


def _h_column_default(catalog: Catalog, path: str, fact: AlterColumnDefaultFact) -> None:
    table = _alter(catalog, path, fact, fact.table)
    column = table.columns.get(fact.column) if table else None
    if column is not None:
        column.default = fact.default
        column.changes.append(Location(path, fact.action_span, fact.span))


def _h_rename_column(catalog: Catalog, path: str, fact: RenameColumnFact) -> None:
    table = _alter(catalog, path, fact, fact.table)
    location = Location(path, fact.action_span, fact.span)
    for member in _family(catalog, table) if table is not None else ():
        catalog._rename_column(member, fact.column, fact.new_name, location)


def _h_rename_table(catalog: Catalog, path: str, fact: RenameTableFact) -> None:
    table = _alter(catalog, path, fact, fact.table)
    if table is not None and QualifiedName(fact.new_name, table.name.schema) not in catalog.tables:
        catalog._rename_table(table, fact.new_name)


def _h_drop_column(catalog: Catalog, path: str, fact: DropColumnFact) -> None:
    table = _alter(catalog, path, fact, fact.table)
    for member in _family(catalog, table) if table is not None else ():
        catalog._drop_column(member, fact.column)


def _h_validate(catalog: Catalog, path: str, fact: ValidateConstraintFact) -> None:
    table = _alter(catalog, path, fact, fact.table)
    constraint = table.constraints.get(fact.name) if table else None
    if constraint is not None:
        constraint.validated = True
        constraint.changes.append(Location(path, fact.action_span, fact.span))
        if constraint.foreign_key is not None:
            constraint.foreign_key.validated = True


def _h_drop_constraint(catalog: Catalog, path: str, fact: DropConstraintFact) -> None:
    table = _alter(catalog, path, fact, fact.table)
    constraint = table.constraints.get(fact.name) if table else None
    if table is not None and constraint is not None:
        catalog._remove_constraint(table, constraint)


def _h_drop_table(catalog: Catalog, path: str, fact: DropTableFact) -> None:
    table = catalog.table(fact.table)
    if table is not None:
        catalog._drop_table(table, Location(path, fact.action_span, fact.span))


def _h_drop_index(catalog: Catalog, path: str, fact: DropIndexFact) -> None:
    found = catalog._find_index(fact.index)
    if found is None:
        return
    index, table = found
    location = Location(path, fact.action_span, fact.span)
    catalog._remove_index(index, table)
    table.dropped_indexes.append(DroppedIndex(index, location))
    table.changes.append(location)


def changes_schema(fact: Fact) -> bool:
    """Whether replaying ``fact`` changes the schema (or what replay records of it)."""
    return type(fact) in _HANDLERS


_HANDLERS: dict[type, Callable[[Catalog, str, Any], None]] = {
    CreateTableFact: _h_create_table,
    AddColumnFact: _h_add_column,
    AddConstraintFact: _h_add_constraint,
    CreateIndexFact: _h_create_index,
    CreateSchemaFact: _h_schema,
    CreateViewFact: _h_view,
    CreateEnumFact: _h_enum,
    AddEnumValueFact: _h_enum_value,
    CreateDomainFact: _h_domain,
    CreateFunctionFact: _h_function,
    SettingFact: _h_setting,
    ParseErrorFact: _h_parse_error,
    AttachPartitionFact: _h_attach,
    AddIdentityFact: _h_identity,
    RenameIndexFact: _h_rename_index,
    AlterColumnTypeFact: _h_column_type,
    AlterColumnNullFact: _h_column_null,
    AlterColumnDefaultFact: _h_column_default,
    RenameColumnFact: _h_rename_column,
    RenameTableFact: _h_rename_table,
    DropColumnFact: _h_drop_column,
    ValidateConstraintFact: _h_validate,
    DropConstraintFact: _h_drop_constraint,
    DropTableFact: _h_drop_table,
    DropIndexFact: _h_drop_index,
}
