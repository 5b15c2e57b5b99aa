"""PG201, PG202, PG203 and PG301 computed twice: by dbsense and by queries on ``pg_catalog``.

Each side yields a set of plain tuples naming the objects concerned, so the test compares
``set == set``. The SQL states each rule's definition (RULES.md section 3) directly on the
server's catalog, independently of dbsense's code.
"""

from __future__ import annotations

import psycopg

from dbsense.analyzers.catalog import Catalog
from dbsense.engines.core import Violation

_USER = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'"

PG301_SQL = f"""
SELECT n.nspname || '.' || c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence <> 't' AND {_USER}
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
"""

# An FK is covered by an index on its table (for a partition, Postgres' copy of the parent's
# index counts) whose first n keys are the FK columns in any order, that is a btree (or a hash
# on one column), and that is not partial unless the predicate is `<fk column> IS NOT NULL`.
PG201_SQL = f"""
SELECT n.nspname || '.' || c.relname, k.conname
  FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE k.contype = 'f' AND k.conparentid = 0 AND {_USER}
   AND NOT EXISTS (
     SELECT 1 FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_am a ON a.oid = ic.relam
      WHERE i.indrelid = k.conrelid
        AND (a.amname = 'btree' OR (a.amname = 'hash' AND cardinality(k.conkey) = 1))
        AND i.indnkeyatts >= cardinality(k.conkey)
        AND ARRAY(SELECT x FROM unnest((i.indkey::int2[])[0:cardinality(k.conkey) - 1]) x
                   ORDER BY x)
          = ARRAY(SELECT x FROM unnest(k.conkey) x ORDER BY x)
        AND (i.indpred IS NULL OR substring(pg_get_expr(i.indpred, i.indrelid)
                                            FROM '^\\(*(\\w+) IS NOT NULL\\)*$')
             IN (SELECT attname FROM pg_attribute
                  WHERE attrelid = k.conrelid AND attnum = ANY (k.conkey))))
"""

# Two indexes of one table are duplicates when Postgres deparses them identically (method,
# keys, opclasses, collations, directions, INCLUDE, predicate) and both are unique or both not;
# the later one (higher oid) is reported.
_INDEXES = f"""
SELECT i.indexrelid AS oid, i.indrelid AS rel, n.nspname AS schema, ic.relname AS name,
       i.indisunique AS uniq,
       regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON ', '')
         AS body
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = ic.relnamespace
 WHERE {_USER} AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
"""
PG202_SQL = f"""
WITH idx AS ({_INDEXES})
SELECT later.schema || '.' || later.name
  FROM idx later
 WHERE EXISTS (SELECT 1 FROM idx earlier
                WHERE earlier.rel = later.rel AND earlier.oid < later.oid
                  AND earlier.body = later.body AND earlier.uniq = later.uniq)
"""

# A plain btree A (not unique, backing no constraint) is redundant when another btree B on the
# same table has more key columns, the same first keys (column or expression, opclass,
# collation, direction), A's INCLUDE columns among B's columns, and B has A's predicate or none.
PG203_SQL = f"""
WITH idx AS (
  SELECT i.*, ic.relname AS name, n.nspname AS schema, a.amname AS method,
         ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
                 FROM generate_series(1, i.indnkeyatts) k ORDER BY k) AS keys,
         pg_get_expr(i.indpred, i.indrelid) AS predicate
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = ic.relnamespace
    JOIN pg_am a ON a.oid = ic.relam
   WHERE {_USER} AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
)
SELECT DISTINCT a.schema || '.' || a.name
  FROM idx a JOIN idx b ON b.indrelid = a.indrelid AND b.indexrelid <> a.indexrelid
 WHERE a.method = 'btree' AND b.method = 'btree' AND NOT a.indisunique
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = a.indexrelid
                      AND k.conrelid = a.indrelid)
   AND a.indnkeyatts < b.indnkeyatts
   AND a.keys = b.keys[1:a.indnkeyatts]
   AND (a.indclass::oid[])[0:a.indnkeyatts - 1] = (b.indclass::oid[])[0:a.indnkeyatts - 1]
   AND (a.indcollation::oid[])[0:a.indnkeyatts - 1]
       = (b.indcollation::oid[])[0:a.indnkeyatts - 1]
   AND (a.indoption::int2[])[0:a.indnkeyatts - 1] = (b.indoption::int2[])[0:a.indnkeyatts - 1]
   AND ARRAY(SELECT x FROM unnest((a.indkey::int2[])[a.indnkeyatts:]) x)
       <@ (b.indkey::int2[])
   AND (b.indpred IS NULL OR a.predicate = b.predicate)
"""


def server_findings(conn: psycopg.Connection) -> dict[str, set[tuple]]:
    def rows(query: str) -> set[tuple]:
        return {tuple(row) for row in conn.execute(query).fetchall()}

    return {
        "PG201": rows(PG201_SQL),
        "PG202": rows(PG202_SQL),
        "PG203": rows(PG203_SQL),
        "PG301": rows(PG301_SQL),
    }


def dbsense_findings(catalog: Catalog, violations: list[Violation]) -> dict[str, set[tuple]]:
    """The same tuples from dbsense's violations, located through the catalog objects."""
    fks: dict[tuple, tuple] = {}
    indexes: dict[tuple, str] = {}
    tables: dict[tuple, str] = {}
    for table in catalog.iter_tables():
        name = f"{table.name.schema or 'public'}.{table.name.name}"
        tables[(table.location.path, table.location.span)] = name
        for fk in table.foreign_keys:
            fks[(fk.location.path, fk.location.span)] = (name, fk.name)
        for index in table.indexes:
            qualified = f"{table.name.schema or 'public'}.{index.name}"
            indexes[(index.location.path, index.location.span, index.name)] = qualified
    by_location: dict[tuple, list[str]] = {}
    for (path, span, _name), qualified in indexes.items():
        by_location.setdefault((path, span), []).append(qualified)
    result: dict[str, set[tuple]] = {"PG201": set(), "PG202": set(), "PG203": set(), "PG301": set()}
    for violation in violations:
        where = (violation.path, violation.span)
        if violation.code == "PG201":
            result["PG201"].add(fks[where])
        elif violation.code == "PG301":
            result["PG301"].add((tables[where],))
        elif violation.code in ("PG202", "PG203"):
            # The message starts with "index <name> (...)": pick the index of that name.
            named = violation.message.split(" ", 2)[1]
            matches = [q for q in by_location.get(where, ()) if q.endswith(f".{named}")]
            assert len(matches) == 1, (violation, matches)
            result[violation.code].add((matches[0],))
    return result
