"""Helpers shared by PostgreSQL rules: naming, index coverage and index comparison."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator

from dbsense.analyzers.catalog import Catalog, ForeignKey, Index, Table
from dbsense.analyzers.ir import (
    AddColumnFact,
    DropColumnFact,
    DropTableFact,
    Fact,
    IndexKey,
    QualifiedName,
)
from dbsense.engines.core import Applicability, Edit, Finding, Fix, RuleContext
from dbsense.engines.postgres.units import earlier

MAX_IDENTIFIER = 63
_NOT_NULL_PREDICATE = re.compile(r"^\(?\s*\"?(?P<column>\w+)\"?\s+IS\s+NOT\s+NULL\s*\)?$", re.I)


def display_name(name: QualifiedName) -> str:
    """``orders`` for the default schema, ``billing.invoices`` otherwise."""
    return name.name if name.schema in (None, "public") else f"{name.schema}.{name.name}"


def index_name(table: QualifiedName, columns: tuple[str, ...], suffix: str = "idx") -> str:
    """Postgres' own naming scheme (``orders_customer_id_idx``), cut to 63 bytes."""
    base = "_".join((table.name, *columns))
    room = MAX_IDENTIFIER - len(suffix) - 1
    return f"{base[:room]}_{suffix}"


def covers(index: Index, columns: tuple[str, ...]) -> bool:
    """True when ``index`` can serve lookups on ``columns`` (a foreign key's columns): its first
    ``len(columns)`` keys are exactly those plain columns in any order, it is a btree (or a hash
    on one column), and it is not partial unless the predicate only excludes NULLs of a key."""
    count = len(columns)
    if len(index.keys) < count:
        return False
    if index.method not in ("btree", "hash") or (index.method == "hash" and count != 1):
        return False
    leading = {key.column for key in index.keys[:count]}
    if None in leading or leading != set(columns):
        return False
    if index.where:
        match = _NOT_NULL_PREDICATE.match(index.where.strip())
        return bool(match and match.group("column").lower() in columns)
    return True


def index_label(index: Index) -> str:
    """``orders_customer_id_idx (customer_id)``: the index name and its key list."""
    keys = ", ".join(key_text(key) for key in index.keys)
    return f"{index.name} ({keys})" if index.name else f"({keys})"


def key_text(key: IndexKey) -> str:
    """One key as it would be written in ``CREATE INDEX``."""
    text = key.column or f"({key.expression})"
    if key.collation:
        text += f' COLLATE "{key.collation}"'
    if key.opclass:
        text += f" {key.opclass}"
    if key.descending:
        text += " DESC"
    return text


def key_signature(key: IndexKey) -> tuple:
    """What makes two keys the same for the planner: column or normalised expression, opclass,
    collation, direction and NULLS order (Postgres' defaults made explicit)."""
    nulls_first = key.descending if key.nulls_first is None else key.nulls_first
    return (
        key.column or key.expression,
        (key.opclass or "").lower(),
        key.collation or "",
        key.descending,
        nulls_first,
    )


def index_signature(index: Index) -> tuple:
    """An index after normalisation: equal signatures mean duplicate indexes. Whether the
    index backs a constraint does not matter (a UNIQUE index on the PK column duplicates it)."""
    return (
        index.method,
        tuple(key_signature(key) for key in index.keys),
        tuple(index.include),
        index.where,
        index.unique,
    )


def is_redundant_prefix(narrow: Index, wide: Index) -> bool:
    """True when ``narrow`` (a plain non-unique btree) is made redundant by ``wide``: its keys
    are a strict left prefix of ``wide``'s, its INCLUDE columns are among ``wide``'s columns,
    and it has ``wide``'s predicate (or ``wide`` has none)."""
    if narrow.unique or narrow.constraint or narrow.method != "btree" or wide.method != "btree":
        return False
    if len(narrow.keys) >= len(wide.keys):
        return False
    if any(
        key_signature(a) != key_signature(b) for a, b in zip(narrow.keys, wide.keys, strict=False)
    ):
        return False
    wide_columns = {key.column for key in wide.keys if key.column} | set(wide.include)
    if not set(narrow.include) <= wide_columns:
        return False
    return wide.where is None or wide.where == narrow.where


def table_indexes(catalog: Catalog, table: Table) -> list[Index]:
    """The indexes that serve ``table``: its own and, for a partition, its parent's (an index
    on a partitioned table is created on every partition)."""
    indexes = list(table.indexes)
    seen = {id(table)}
    parent_name = table.partition_of
    while parent_name is not None:
        parent = catalog.table(parent_name)
        if parent is None or id(parent) in seen:
            break
        seen.add(id(parent))
        indexes.extend(parent.indexes)
        parent_name = parent.partition_of
    return indexes


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """True when ``name`` matches one of the glob ``patterns`` (``fnmatch`` syntax)."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name1``, ``name2``... the first one not in ``taken``."""
    candidate, attempt = name, 0
    while candidate in taken:
        attempt += 1
        candidate = f"{name}{attempt}"
    return candidate


def must_stay_compatible(table_created_in_unit: bool, ctx: RuleContext) -> bool:
    """True when a change must not break the release still running: the table existed before
    the migration and ``postgres.backward-compatible-migrations`` is not turned off."""
    if table_created_in_unit:
        return False
    return ctx.option("postgres", "backward-compatible-migrations") is not False


def column_added_earlier(ctx: RuleContext, fact: Fact, table: QualifiedName, column: str) -> bool:
    """True when ``table.column`` was added earlier in the same migration: no release reads it."""
    return any(
        other.table == table and other.column.name == column
        for other in earlier(ctx, fact, AddColumnFact)
    )


def foreign_keys_to(catalog: Catalog, target: QualifiedName) -> Iterator[tuple[Table, ForeignKey]]:
    """Every foreign key in the catalog that references ``target``, with its table."""
    wanted = display_name(target)
    for table in catalog.iter_tables():
        for fk in table.foreign_keys:
            if display_name(fk.definition.ref_table) == wanted:
                yield table, fk


def foreign_key_label(table: Table, fk: ForeignKey) -> str:
    """``foreign key orders(customer_id)``."""
    return f"foreign key {display_name(table.name)}({', '.join(fk.definition.columns)})"


def drop_in_later_release(
    fact: DropColumnFact | DropTableFact, message: str, recipe: str, dependents: list[str] | None
) -> Finding:
    """A drop that breaks the running release, with the two-release recipe (display-only);
    ``dependents`` is None without ``CASCADE``, else what the cascade also drops."""
    if dependents is not None:
        also = f": {', '.join(dependents)}" if dependents else ""
        message += f"; `CASCADE` also drops what depends on it{also}"
    return Finding(
        fact.action_span,
        message,
        Fix(
            "Remove it from the code first, drop it later",
            (Edit(fact.span, recipe),),
            Applicability.DISPLAY_ONLY,
        ),
    )
