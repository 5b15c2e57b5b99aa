"""Helpers shared by PostgreSQL rules: naming, index coverage and index comparison."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

from dbsense.analyzers.catalog import Catalog, Index, Table
from dbsense.analyzers.ir import IndexKey, QualifiedName

MAX_IDENTIFIER = 63
_NOT_NULL_PREDICATE = re.compile(r"^\(?\s*\"?(?P<column>\w+)\"?\s+IS\s+NOT\s+NULL\s*\)?$", re.I)


def display_name(name: QualifiedName) -> str:
    """``orders`` for the default schema, ``billing.invoices`` otherwise."""
    return name.name if name.schema in (None, "public") else f"{name.schema}.{name.name}"


def sql_name(name: QualifiedName) -> str:
    return display_name(name)


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
