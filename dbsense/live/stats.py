"""One table's live statistics, read on demand (for the editor's hover).

Three small catalog queries on the read-only session: the table's size, row estimate, tuple
counts and (auto)vacuum/analyze times; its indexes with their scan counts; and how long the
usage counters have been collecting. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

MAX_INDEXES = 50


@dataclass(frozen=True, slots=True)
class IndexUsage:
    name: str
    scans: int
    size_bytes: int
    unique: bool
    primary: bool
    valid: bool

    @property
    def unused(self) -> bool:
        """Never scanned and enforcing nothing: a candidate for dropping."""
        return self.valid and not self.scans and not (self.unique or self.primary)


@dataclass(frozen=True, slots=True)
class TableStats:
    schema: str
    name: str
    exists: bool = True
    size_bytes: int = 0  # table, TOAST and indexes
    row_estimate: int = 0
    dead_tuples: int = 0
    # Hours since each maintenance run; ``None``: never.
    hours_since_vacuum: float | None = None
    hours_since_autovacuum: float | None = None
    hours_since_analyze: float | None = None
    hours_since_autoanalyze: float | None = None
    indexes: tuple[IndexUsage, ...] = field(default=())
    stats_age_days: float | None = None  # how long the usage counters have been collecting

    @property
    def label(self) -> str:
        return self.name if self.schema == "public" else f"{self.schema}.{self.name}"


def _hours(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def read_table_stats(conn: psycopg.Connection, schema: str, name: str) -> TableStats:
    """The statistics of ``schema.name``; ``exists=False`` when the database has no such table."""
    row = conn.execute(
        """SELECT c.oid, pg_total_relation_size(c.oid), c.reltuples, s.n_live_tup, s.n_dead_tup,
                  extract(epoch FROM now() - s.last_vacuum) / 3600,
                  extract(epoch FROM now() - s.last_autovacuum) / 3600,
                  extract(epoch FROM now() - s.last_analyze) / 3600,
                  extract(epoch FROM now() - s.last_autoanalyze) / 3600
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
           WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p')""",
        (schema, name),
    ).fetchone()
    if row is None:
        return TableStats(schema, name, exists=False)
    oid, size, reltuples, live, dead, vacuum, autovacuum, analyze, autoanalyze = row
    indexes = tuple(
        IndexUsage(index, int(scans), int(index_size), unique, primary, valid)
        for index, scans, index_size, unique, primary, valid in conn.execute(
            f"""SELECT i.relname, coalesce(s.idx_scan, 0), pg_relation_size(i.oid),
                       x.indisunique, x.indisprimary, x.indisvalid
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = x.indexrelid
                WHERE x.indrelid = %s ORDER BY i.relname LIMIT {MAX_INDEXES}""",
            (oid,),
        ).fetchall()
    )
    age = conn.execute(
        """SELECT extract(epoch FROM now() - coalesce(stats_reset, pg_postmaster_start_time()))
                  / 86400
           FROM pg_stat_database WHERE datname = current_database()"""
    ).fetchone()
    estimate = int(reltuples) if reltuples is not None and reltuples >= 0 else int(live or 0)
    return TableStats(
        schema,
        name,
        size_bytes=int(size),
        row_estimate=estimate,
        dead_tuples=int(dead or 0),
        hours_since_vacuum=_hours(vacuum),
        hours_since_autovacuum=_hours(autovacuum),
        hours_since_analyze=_hours(analyze),
        hours_since_autoanalyze=_hours(autoanalyze),
        indexes=indexes,
        stats_age_days=None if age is None or age[0] is None else float(age[0]),
    )
