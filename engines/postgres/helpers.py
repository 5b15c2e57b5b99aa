"""Helpers shared by PostgreSQL rules: naming and index coverage."""

from __future__ import annotations

import re

from dbsense.analyzers.catalog import Index
from dbsense.analyzers.ir import QualifiedName

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
