"""The workspace schema catalog, replayed from the DDL facts of ordered migration units.

Every object remembers where it was defined (path and span), so workspace rules can point at
the defining statement and hover can say which migration created what.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from dbsense.analyzers.ir import (
    AddColumnFact,
    AddConstraintFact,
    ColumnDef,
    ConstraintDef,
    CreateIndexFact,
    CreateTableFact,
    Fact,
    ForeignKeyDef,
    IndexKey,
    QualifiedName,
    Span,
)


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    span: Span  # the part that matters (a column, a constraint)
    statement: Span  # the whole statement it sits in


@dataclass(slots=True)
class Column:
    definition: ColumnDef
    location: Location

    @property
    def name(self) -> str:
        return self.definition.name


@dataclass(slots=True)
class ForeignKey:
    definition: ForeignKeyDef
    location: Location
    table_created_in_unit: bool


@dataclass(slots=True)
class Index:
    """An index, or the index behind a PK/UNIQUE constraint (``constraint`` set)."""

    name: str | None
    keys: tuple[IndexKey, ...]
    location: Location
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    constraint: str | None = None  # "primary-key" | "unique"

    @property
    def columns(self) -> tuple[str | None, ...]:
        return tuple(key.column for key in self.keys)


@dataclass(slots=True)
class Table:
    name: QualifiedName
    location: Location
    columns: dict[str, Column] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    checks: list[ConstraintDef] = field(default_factory=list)
    temporary: bool = False
    partition_of: QualifiedName | None = None

    @property
    def primary_key(self) -> Index | None:
        return next((i for i in self.indexes if i.constraint == "primary-key"), None)


@dataclass(frozen=True, slots=True)
class Unit:
    """One migration unit: a document's path and its facts in source order."""

    path: str
    facts: tuple[Fact, ...]


@dataclass(slots=True)
class Catalog:
    tables: dict[QualifiedName, Table] = field(default_factory=dict)
    default_schema: str = "public"

    def table(self, name: QualifiedName) -> Table | None:
        return self.tables.get(self._key(name))

    def _key(self, name: QualifiedName) -> QualifiedName:
        return name if name.schema else QualifiedName(name.name, self.default_schema)

    def iter_tables(self) -> Iterator[Table]:
        return iter(self.tables.values())

    # --- replay ----------------------------------------------------------------------------

    def replay(self, units: Iterable[Unit]) -> Catalog:
        for unit in units:
            for fact in unit.facts:
                self.apply(unit.path, fact)
        return self

    def apply(self, path: str, fact: Fact) -> None:
        if isinstance(fact, CreateTableFact):
            self._create_table(path, fact)
        elif isinstance(fact, AddColumnFact):
            table = self.table(fact.table)
            if table is not None:
                self._add_column(table, path, fact.column, fact.span, fact.table_created_in_unit)
        elif isinstance(fact, AddConstraintFact):
            table = self.table(fact.table)
            if table is not None:
                self._add_constraint(
                    table, path, fact.constraint, fact.span, fact.table_created_in_unit
                )
        elif isinstance(fact, CreateIndexFact):
            table = self.table(fact.table)
            if table is not None:
                table.indexes.append(
                    Index(
                        name=fact.name,
                        keys=fact.keys,
                        location=Location(path, fact.span, fact.span),
                        unique=fact.unique,
                        method=fact.method,
                        where=fact.where,
                        include=fact.include,
                    )
                )

    def _create_table(self, path: str, fact: CreateTableFact) -> None:
        key = self._key(fact.table)
        if fact.if_not_exists and key in self.tables:
            return
        table = Table(
            name=key,
            location=Location(path, fact.name_span, fact.span),
            temporary=fact.temporary,
            partition_of=fact.partition_of,
        )
        self.tables[key] = table
        for column in fact.columns:
            self._add_column(table, path, column, fact.span, True)
        for constraint in fact.constraints:
            self._add_constraint(table, path, constraint, fact.span, True)

    def _add_column(
        self, table: Table, path: str, column: ColumnDef, statement: Span, new_table: bool
    ) -> None:
        location = Location(path, column.span, statement)
        table.columns[column.name] = Column(column, location)
        if column.primary_key or column.unique:
            kind = "primary-key" if column.primary_key else "unique"
            table.indexes.append(
                Index(None, (IndexKey(column.name, column.name),), location, True, constraint=kind)
            )
        if column.references is not None:
            table.foreign_keys.append(ForeignKey(column.references, location, new_table))

    def _add_constraint(
        self, table: Table, path: str, constraint: ConstraintDef, statement: Span, new_table: bool
    ) -> None:
        location = Location(path, constraint.span, statement)
        if constraint.kind in ("primary-key", "unique"):
            keys = tuple(IndexKey(column, column) for column in constraint.columns)
            table.indexes.append(
                Index(constraint.name, keys, location, True, constraint=constraint.kind)
            )
        elif constraint.kind == "foreign-key" and constraint.foreign_key is not None:
            table.foreign_keys.append(ForeignKey(constraint.foreign_key, location, new_table))
        elif constraint.kind == "check":
            table.checks.append(constraint)
