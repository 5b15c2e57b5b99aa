"""The same schema facts read two ways: from dbsense's offline catalog and from ``pg_catalog``.

Both sides produce plain, sorted data structures so a test can compare them with ``==`` and
print a readable difference. Objects Postgres derives by itself (partition copies of a parent's
indexes and constraints) are left out on the server side, as the catalog models them once on the
parent.
"""

from __future__ import annotations

from typing import Any

import psycopg

from dbsense.analyzers.catalog import Catalog
from dbsense.analyzers.sql.types import formatted

_CONSTRAINT_KINDS = {
    "primary-key": "p",
    "unique": "u",
    "foreign-key": "f",
    "check": "c",
    "exclude": "x",
}
_USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'"


def _qualified(schema: str | None, name: str) -> str:
    return f"{schema or 'public'}.{name}"


def catalog_snapshot(catalog: Catalog) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for table in catalog.iter_tables():
        if table.temporary:
            continue
        key = _qualified(table.name.schema, table.name.name)
        columns = [
            (column.name, formatted(column.type) if column.type else None, not column.nullable)
            for column in table.columns.values()
        ]
        constraints = []
        for constraint in table.constraints.values():
            ref_table = ref_columns = None
            if constraint.foreign_key is not None:
                fk = constraint.foreign_key
                ref_table = _qualified(fk.ref_table.schema, fk.ref_table.name)
                ref_columns = tuple(fk.definition.ref_columns)
            columns_of = tuple(constraint.columns) if constraint.kind != "check" else ()
            constraints.append(
                (
                    constraint.name,
                    _CONSTRAINT_KINDS[constraint.kind],
                    columns_of,
                    ref_table,
                    ref_columns,
                    constraint.validated,
                )
            )
        indexes = []
        for index in table.indexes:
            keys = tuple(
                (key.column or "expr") + (" DESC" if key.descending else "") for key in index.keys
            )
            indexes.append(
                (
                    index.name,
                    index.unique,
                    index.constraint == "primary-key",
                    index.method,
                    keys,
                    index.where is not None,
                    tuple(index.include),
                )
            )
        parent = table.partition_of
        tables[key] = {
            "kind": "p" if table.partitioned else "r",
            "partition_of": _qualified(parent.schema, parent.name) if parent else None,
            "columns": columns,
            "constraints": sorted(constraints, key=repr),
            "indexes": sorted(indexes, key=repr),
        }
    return {
        "tables": tables,
        "views": sorted(
            (_qualified(v.name.schema, v.name.name), v.materialized) for v in catalog.views.values()
        ),
        "enums": {
            _qualified(e.name.schema, e.name.name): list(e.labels) for e in catalog.enums.values()
        },
        "domains": sorted(_qualified(d.name.schema, d.name.name) for d in catalog.domains.values()),
        "functions": {
            _qualified(f.name.schema, f.name.name): f.volatility for f in catalog.functions.values()
        },
        "schemas": sorted(catalog.schemas),
    }


def _rows(conn: psycopg.Connection, query: str) -> list[tuple]:
    return conn.execute(query).fetchall()


def server_snapshot(conn: psycopg.Connection) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for oid, schema, name, kind, parent in _rows(
        conn,
        f"""
        SELECT c.oid, n.nspname, c.relname, c.relkind,
               (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i
                  JOIN pg_class p ON p.oid = i.inhparent
                  JOIN pg_namespace pn ON pn.oid = p.relnamespace
                 WHERE i.inhrelid = c.oid AND c.relispartition)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' AND {_USER_SCHEMAS}
        """,
    ):
        tables[oid] = (
            f"{schema}.{name}",
            {
                "kind": kind,
                "partition_of": parent,
                "columns": [],
                "constraints": [],
                "indexes": [],
            },
        )
    for oid, column, type_, notnull in _rows(
        conn,
        """
        SELECT attrelid, attname, format_type(atttypid, atttypmod), attnotnull
          FROM pg_attribute WHERE attnum > 0 AND NOT attisdropped ORDER BY attrelid, attnum
        """,
    ):
        if oid in tables:
            tables[oid][1]["columns"].append((column, type_, notnull))
    for oid, name, kind, columns, ref_table, ref_columns, validated in _rows(
        conn,
        """
        SELECT k.conrelid, k.conname, k.contype,
               ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
                       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n
                      ORDER BY u.o),
               (SELECT rn.nspname || '.' || r.relname FROM pg_class r
                  JOIN pg_namespace rn ON rn.oid = r.relnamespace WHERE r.oid = k.confrelid),
               ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
                       JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n
                      ORDER BY u.o),
               k.convalidated
          FROM pg_constraint k
         WHERE k.conrelid <> 0 AND k.conparentid = 0 AND k.conislocal
           AND k.contype IN ('p', 'u', 'f', 'c', 'x')
        """,
    ):
        if oid in tables:
            is_fk = kind == "f"
            tables[oid][1]["constraints"].append(
                (
                    name,
                    kind,
                    () if kind == "c" else tuple(columns),
                    ref_table if is_fk else None,
                    tuple(ref_columns) if is_fk else None,
                    validated,
                )
            )
    for oid, name, unique, primary, method, keys, partial, include in _rows(
        conn,
        """
        SELECT i.indrelid, ic.relname, i.indisunique, i.indisprimary, a.amname,
               ARRAY(SELECT CASE WHEN u.n = 0 THEN 'expr' ELSE
                              (SELECT attname FROM pg_attribute
                                WHERE attrelid = i.indrelid AND attnum = u.n) END
                            || CASE WHEN (i.indoption[u.o - 1] & 1) = 1 THEN ' DESC' ELSE '' END
                       FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, o)
                      WHERE u.o <= i.indnkeyatts ORDER BY u.o),
               i.indpred IS NOT NULL,
               ARRAY(SELECT attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, o)
                       JOIN pg_attribute ON attrelid = i.indrelid AND attnum = u.n
                      WHERE u.o > i.indnkeyatts ORDER BY u.o)
          FROM pg_index i
          JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_am a ON a.oid = ic.relam
         WHERE NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
        """,
    ):
        if oid in tables:
            tables[oid][1]["indexes"].append(
                (name, unique, primary, method, tuple(keys), partial, tuple(include))
            )
    by_name = {}
    for key, table in tables.values():
        table["constraints"].sort(key=repr)
        table["indexes"].sort(key=repr)
        by_name[key] = table
    return {
        "tables": by_name,
        "views": sorted(
            (f"{schema}.{name}", kind == "m")
            for schema, name, kind in _rows(
                conn,
                f"""SELECT n.nspname, c.relname, c.relkind FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.relkind IN ('v', 'm') AND {_USER_SCHEMAS}""",
            )
        ),
        "enums": {
            name: list(labels)
            for name, labels in _rows(
                conn,
                f"""SELECT n.nspname || '.' || t.typname,
                           ARRAY(SELECT enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid
                                  ORDER BY e.enumsortorder)
                      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                     WHERE t.typtype = 'e' AND {_USER_SCHEMAS}""",
            )
        },
        "domains": sorted(
            name
            for (name,) in _rows(
                conn,
                f"""SELECT n.nspname || '.' || t.typname FROM pg_type t
                    JOIN pg_namespace n ON n.oid = t.typnamespace
                   WHERE t.typtype = 'd' AND {_USER_SCHEMAS}""",
            )
        ),
        "functions": {
            name: {"i": "immutable", "s": "stable", "v": "volatile"}[volatility]
            for name, volatility in _rows(
                conn,
                f"""SELECT n.nspname || '.' || p.proname, p.provolatile FROM pg_proc p
                    JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE {_USER_SCHEMAS} AND p.prokind IN ('f', 'p')""",
            )
        },
        "schemas": sorted(
            name
            for (name,) in _rows(
                conn,
                "SELECT nspname FROM pg_namespace n WHERE " + _USER_SCHEMAS,
            )
        ),
    }
