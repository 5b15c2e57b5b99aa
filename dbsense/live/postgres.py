"""Live PostgreSQL: a read-only session, the catalog and statistics it reads, and their facts.

:func:`connect` opens a session that can only read: ``default_transaction_read_only`` is set in
the startup packet (overriding anything in the DSN) and verified with ``SHOW``; every statement
has a ``statement_timeout`` and ``lock_timeout``. :func:`read_snapshot` then reads the catalog
and statistics views once, each check bounded by a row cap; a check that fails (a missing
privilege, a timeout) is recorded in ``Snapshot.unavailable`` and the others still run.
Nothing here writes, and nothing runs DDL, ``VACUUM``, ``ANALYZE``, ``LOCK`` or ``CALL``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from dbsense.analyzers.ir import Fact, Span
from dbsense.analyzers.live import (
    LiveArchivingFact,
    LiveIndexFact,
    LiveSequenceFact,
    LiveTableFact,
    LiveUnavailableFact,
)
from dbsense.live import LiveError

APPLICATION_NAME = "dbsense"
SESSION_OPTIONS = "-c default_transaction_read_only=on -c statement_timeout=5s -c lock_timeout=1s"
CONNECT_TIMEOUT = 5
ROW_CAP = 500
ORIGIN = "live"
NO_SPAN = Span(0, 0)
TYPE_MAX = {"smallint": 2**15 - 1, "integer": 2**31 - 1, "bigint": 2**63 - 1}
SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema', 'pg_toast')"


# --- connection --------------------------------------------------------------------------------


def redact(dsn: str) -> str:
    """``postgresql://user@host:port/db`` for a URL or key=value DSN, never the password."""
    try:
        params = conninfo_to_dict(dsn)
    except (psycopg.ProgrammingError, ValueError, TypeError):
        return "postgresql://(unparsable DSN)"
    user = params.get("user")
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or "5432"
    dbname = params.get("dbname") or user or ""
    return f"postgresql://{f'{user}@' if user else ''}{host}:{port}/{dbname}"


def _password(dsn: str) -> str | None:
    try:
        return conninfo_to_dict(dsn).get("password") or None
    except (psycopg.ProgrammingError, ValueError, TypeError):
        return None


def describe_error(error: Exception, dsn: str, timeout: int = CONNECT_TIMEOUT) -> str:
    """One line naming the problem (refused, authentication, timeout...), password-free."""
    target = redact(dsn)
    text = str(error).strip()
    lower = text.lower()
    params: dict[str, Any] = {}
    try:
        params = conninfo_to_dict(dsn)
    except (psycopg.ProgrammingError, ValueError, TypeError):
        return f"cannot connect to {target}: the database URL is not valid"
    user = params.get("user") or "the default user"
    if "connection refused" in lower:
        problem = "connection refused (is the server running and accepting TCP connections?)"
    elif "timeout expired" in lower or "timed out" in lower:
        problem = f"connection timed out after {timeout} s"
    elif "password authentication failed" in lower or "no password supplied" in lower:
        problem = f"authentication failed for user {user}"
    elif re.search(r'role "[^"]*" does not exist', lower):
        problem = f"authentication failed: role {user} does not exist"
    elif re.search(r'database "[^"]*" does not exist', lower):
        problem = f"database {params.get('dbname', '')} does not exist"
    elif "could not translate host name" in lower or "name or service not known" in lower:
        problem = f"unknown host {params.get('host', '')}"
    elif "permission denied" in lower:
        problem = "permission denied (the role needs CONNECT on the database; pg_monitor helps)"
    else:
        problem = next((line for line in text.splitlines() if line.strip()), "unknown error")
    secret = _password(dsn)
    if secret:
        problem = problem.replace(secret, "***")
    return f"cannot connect to {target}: {problem}"


def connect(dsn: str, timeout: int = CONNECT_TIMEOUT) -> psycopg.Connection:
    """A read-only autocommit session; raises :class:`LiveError` (one clean line) on failure."""
    try:
        conn = psycopg.connect(
            dsn,
            application_name=APPLICATION_NAME,
            options=SESSION_OPTIONS,
            connect_timeout=timeout,
            autocommit=True,
        )
    except (psycopg.Error, ValueError, TypeError) as error:
        raise LiveError(describe_error(error, dsn, timeout)) from None
    try:
        row = conn.execute("SHOW transaction_read_only").fetchone()
    except psycopg.Error as error:
        conn.close()
        raise LiveError(describe_error(error, dsn)) from None
    if not row or row[0] != "on":
        conn.close()
        raise LiveError(f"refusing {redact(dsn)}: the session is not read-only")
    return conn


# --- what is read ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiveColumn:
    name: str
    type: str  # format_type() spelling
    not_null: bool


@dataclass(frozen=True, slots=True)
class LiveIndex:
    name: str
    columns: tuple[str | None, ...]  # key columns; None for an expression key
    unique: bool
    primary: bool
    valid: bool
    method: str
    partial: bool
    definition: str


@dataclass(frozen=True, slots=True)
class LiveConstraint:
    name: str
    kind: str  # primary-key | unique | check | foreign-key | exclude
    columns: tuple[str, ...]
    ref_table: tuple[str, str] | None = None  # (schema, table)
    ref_columns: tuple[str, ...] = ()


@dataclass(slots=True)
class LiveTable:
    schema: str
    name: str
    columns: list[LiveColumn] = field(default_factory=list)
    indexes: list[LiveIndex] = field(default_factory=list)
    constraints: list[LiveConstraint] = field(default_factory=list)
    row_estimate: int = 0
    size_bytes: int = 0

    @property
    def qualified(self) -> str:
        return self.name if self.schema == "public" else f"{self.schema}.{self.name}"

    def column(self, name: str) -> LiveColumn | None:
        return next((column for column in self.columns if column.name == name), None)


@dataclass(frozen=True, slots=True)
class Activity:
    """A session of interest: idle in transaction, or blocked by others."""

    pid: int
    user: str
    application: str
    state: str
    seconds: float
    query: str
    blocked_by: tuple[int, ...] = ()
    relation: str | None = None  # the relation whose lock it waits for


@dataclass(frozen=True, slots=True)
class TopQuery:
    query: str
    calls: int
    total_ms: float
    mean_ms: float
    rows: int


@dataclass(slots=True)
class Snapshot:
    """Everything one live run read; ``unavailable`` lists the checks that could not run."""

    target: str
    version: str = ""
    settings: dict[str, str] = field(default_factory=dict)
    tables: dict[tuple[str, str], LiveTable] = field(default_factory=dict)
    table_facts: list[LiveTableFact] = field(default_factory=list)
    index_facts: list[LiveIndexFact] = field(default_factory=list)
    sequences: list[LiveSequenceFact] = field(default_factory=list)
    archiving: LiveArchivingFact | None = None
    connections: int = 0
    idle_in_transaction: list[Activity] = field(default_factory=list)
    blocked: list[Activity] = field(default_factory=list)
    activities: dict[int, Activity] = field(default_factory=dict)
    cache_hit_ratio: float | None = None
    table_cache_ratios: list[tuple[str, float, int]] = field(default_factory=list)
    database_xid_age: list[tuple[str, int]] = field(default_factory=list)
    top_queries: list[TopQuery] = field(default_factory=list)
    extensions: set[str] = field(default_factory=set)
    unavailable: list[str] = field(default_factory=list)

    def setting(self, name: str, default: str = "") -> str:
        return self.settings.get(name, default)

    def facts(self) -> list[Fact]:
        """The facts live rules consume, in a stable order."""
        found: list[Fact] = [*self.table_facts, *self.index_facts, *self.sequences]
        if self.archiving is not None:
            found.append(self.archiving)
        found.extend(
            LiveUnavailableFact(NO_SPAN, ORIGIN, self.target, reason) for reason in self.unavailable
        )
        return found


def unavailable_fact(target: str, reason: str) -> LiveUnavailableFact:
    return LiveUnavailableFact(NO_SPAN, ORIGIN, target, reason)


SETTINGS = (
    "server_version",
    "max_connections",
    "superuser_reserved_connections",
    "archive_mode",
    "archive_command",
    "archive_library",
    "wal_level",
    "autovacuum",
    "autovacuum_vacuum_threshold",
    "autovacuum_vacuum_scale_factor",
    "autovacuum_freeze_max_age",
    "autovacuum_analyze_threshold",
    "autovacuum_analyze_scale_factor",
    "TimeZone",
)


def read_snapshot(conn: psycopg.Connection, target: str) -> Snapshot:
    """Read every check once; a failing check is noted in ``unavailable``, the rest go on."""
    snapshot = Snapshot(target)
    checks: list[tuple[str, Callable[[psycopg.Connection, Snapshot], None]]] = [
        ("server settings (pg_settings)", _read_settings),
        ("extensions (pg_extension)", _read_extensions),
        ("schema (pg_class, pg_attribute, pg_index, pg_constraint)", _read_catalog),
        ("table statistics (pg_stat_user_tables)", _read_tables),
        ("index statistics (pg_stat_user_indexes)", _read_indexes),
        ("sequences (pg_sequences)", _read_sequences),
        ("WAL archiving (pg_stat_archiver)", _read_archiving),
        ("sessions and locks (pg_stat_activity, pg_locks)", _read_activity),
        ("cache hit ratio (pg_statio_user_tables)", _read_cache),
        ("transaction ID age (pg_database)", _read_xid_age),
    ]
    for label, check in checks:
        try:
            check(conn, snapshot)
        except psycopg.Error as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else "failed"
            snapshot.unavailable.append(f"{label}: {first}")
    if "pg_stat_statements" in snapshot.extensions:
        try:
            _read_statements(conn, snapshot)
        except psycopg.Error as error:
            snapshot.unavailable.append(f"pg_stat_statements: {str(error).strip()[:200]}")
    else:
        snapshot.unavailable.append(
            "pg_stat_statements is not installed in this database: "
            "top queries come from the workspace only"
        )
    if "hypopg" not in snapshot.extensions:
        snapshot.unavailable.append(
            "hypopg is not installed in this database: index advice cannot be verified"
        )
    return snapshot


def _rows(conn: psycopg.Connection, query: str, params: tuple[Any, ...] | None = None) -> list:
    return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


def _read_settings(conn: psycopg.Connection, snapshot: Snapshot) -> None:
    rows = _rows(
        conn, "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", (list(SETTINGS),)
    )
    snapshot.settings = {name: value or "" for name, value in rows}
    snapshot.version = snapshot.settings.get("server_version", "")


def _read_extensions(conn: psycopg.Connection, snapshot: Snapshot) -> None:
    snapshot.extensions = {name for (name,) in _rows(conn, "SELECT extname FROM pg_extension")}


def _read_catalog(conn: psycopg.Connection, snapshot: Snapshot) -> None:
    tables: dict[tuple[str, str], LiveTable] = {}
    for schema, name, rows, size in _rows(
        conn,
        f"""SELECT n.nspname, c.relname, greatest(c.reltuples, 0)::bigint,
                   pg_total_relation_size(c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN {SYSTEM_SCHEMAS}
              AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast%'
            ORDER BY 1, 2 LIMIT {ROW_CAP}""",
    ):
        tables[(schema, name)] = LiveTable(schema, name, row_estimate=rows, size_bytes=size)
    for schema, name, column, type_name, not_null in _rows(
        conn,
        f"""SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
              AND n.nspname NOT IN {SYSTEM_SCHEMAS}
            ORDER BY n.nspname, c.relname, a.attnum LIMIT {ROW_CAP * 20}""",
    ):
        table = tables.get((schema, name))
        if table is not None:
            table.columns.append(LiveColumn(column, type_name, not_null))
    for schema, name, index, columns, unique, primary, valid, method, partial, definition in _rows(
        conn,
        f"""SELECT n.nspname, t.relname, i.relname,
                   ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                         LEFT JOIN pg_attribute a
                           ON a.attrelid = t.oid AND a.attnum = k.attnum
                         WHERE k.ord <= x.indnkeyatts ORDER BY k.ord),
                   x.indisunique, x.indisprimary, x.indisvalid, am.amname,
                   x.indpred IS NOT NULL, pg_get_indexdef(x.indexrelid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am am ON am.oid = i.relam
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname NOT IN {SYSTEM_SCHEMAS}
            ORDER BY 1, 2, 3 LIMIT {ROW_CAP * 4}""",
    ):
        table = tables.get((schema, name))
        if table is not None:
            table.indexes.append(
                LiveIndex(
                    index, tuple(columns), unique, primary, valid, method, partial, definition
                )
            )
    kinds = {"p": "primary-key", "u": "unique", "c": "check", "f": "foreign-key", "x": "exclude"}
    for schema, name, constraint, kind, columns, ref_schema, ref_table, ref_columns in _rows(
        conn,
        f"""SELECT n.nspname, t.relname, con.conname, con.contype,
                   ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                         ORDER BY k.ord),
                   rn.nspname, r.relname,
                   ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                         JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = k.attnum
                         ORDER BY k.ord)
            FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            LEFT JOIN pg_class r ON r.oid = con.confrelid
            LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
            WHERE n.nspname NOT IN {SYSTEM_SCHEMAS} AND con.contype IN ('p','u','c','f','x')
            ORDER BY 1, 2, 3 LIMIT {ROW_CAP * 4}""",
    ):
        table = tables.get((schema, name))
        if table is not None:
            ref = (ref_schema, ref_table) if ref_table else None
            table.constraints.append(
                LiveConstraint(
                    constraint, kinds[kind], tuple(columns or ()), ref, tuple(ref_columns or ())
                )
            )
    snapshot.tables = tables


def _reloption(options: list[str] | None, name: str) -> str | None:
    for option in options or ():
        key, _, value = option.partition("=")
        if key == name:
            return value
    return None


def _read_tables(conn: psycopg.Connection, snapshot: Snapshot) -> None:
    base = float(snapshot.setting("autovacuum_vacuum_threshold", "50") or 50)
    scale = float(snapshot.setting("autovacuum_vacuum_scale_factor", "0.2") or 0.2)
    freeze_max = int(snapshot.setting("autovacuum_freeze_max_age", "200000000") or 200000000)
    autovacuum_on = snapshot.setting("autovacuum", "on") == "on"
    analyze_base = float(snapshot.setting("autovacuum_analyze_threshold", "50") or 50)
    analyze_scale = float(snapshot.setting("autovacuum_analyze_scale_factor", "0.1") or 0.1)
    rows = _rows(
        conn,
        f"""SELECT s.schemaname, s.relname, s.n_live_tup, s.n_dead_tup,
                   extract(epoch FROM now() - greatest(s.last_vacuum, s.last_autovacuum)) / 3600,
                   age(c.relfrozenxid), c.reloptions, c.reltuples, s.n_mod_since_analyze,
                   extract(epoch FROM now() - greatest(s.last_analyze, s.last_autoanalyze)) / 3600
            FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
            ORDER BY s.n_dead_tup DESC, 1, 2 LIMIT {ROW_CAP}""",
    )
    for (
        schema,
        table,
        live,
        dead,
        hours,
        freeze_age,
        options,
        reltuples,
        modified,
        analyzed,
    ) in rows:
        table_base = float(_reloption(options, "autovacuum_vacuum_threshold") or base)
        table_scale = float(_reloption(options, "autovacuum_vacuum_scale_factor") or scale)
        enabled = autovacuum_on and (
            (_reloption(options, "autovacuum_enabled") or "true").lower() not in ("false", "off")
        )
        tuples = reltuples if reltuples is not None and reltuples >= 0 else live
        table_analyze_base = float(
            _reloption(options, "autovacuum_analyze_threshold") or analyze_base
        )
        table_analyze_scale = float(
            _reloption(options, "autovacuum_analyze_scale_factor") or analyze_scale
        )
        snapshot.table_facts.append(
            LiveTableFact(
                NO_SPAN,
                ORIGIN,
                schema,
                table,
                int(live),
                int(dead),
                table_base + table_scale * float(tuples),
                None if hours is None else float(hours),
                int(freeze_age),
                freeze_max,
                enabled,
                int(modified or 0),
                table_analyze_base + table_analyze_scale * float(tuples),
                None if analyzed is None else float(analyzed),
            )
        )


def _read_indexes(conn: psycopg.Connection, snapshot: Snapshot) -> None:
    (age_days,) = _rows(
        conn,
        """SELECT extract(epoch FROM now() - coalesce(stats_reset, pg_postmaster_start_time()))
                  / 86400
           FROM pg_stat_database WHERE datname = current_database()""",
    )[0]
    for schema, table, index, scans, size, unique, primary, valid, definition in _rows(
        conn,
        f"""SELECT s.schemaname, s.relname, s.indexrelname, s.idx_scan,
                   pg_relation_size(s.indexrelid), x.indisunique, x.indisprimary, x.indisvalid,
                   pg_get_indexdef(s.indexrelid)
            FROM pg_stat_user_indexes s JOIN pg_index x ON x.indexrelid = s.indexrelid
            WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid)
               OR x.indisprimary OR x.indisunique
            ORDER BY 1, 2, 3 LIMIT {ROW_CAP}""",
    ):
        snapshot.index_facts.append(
            LiveIndexFact(
                NO_SPAN,
                ORIGIN,
                schema,
                table,
                index,
                int(scans),
                int(size),
                unique,
                primary,
                valid,
                float(age_days),
                definition,
            )
        )


def _read_sequences(conn: psycopg.Connection, snapshot: Snapshot) -> None:
    for schema, name, data_type, last_value, max_value, owner, owner_type in _rows(
        conn,
        f"""SELECT s.schemaname, s.sequencename, s.data_type::text, s.last_value, s.max_value,
                   o.owner, o.owner_type
            FROM pg_sequences s
            LEFT JOIN LATERAL (
                SELECT t.relname || '.' || a.attname AS owner,
                       format_type(a.atttypid, a.atttypmod) AS owner_type
                FROM pg_depend d
                JOIN pg_class t ON t.oid = d.refobjid
                JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass
                  AND d.deptype IN ('a', 'i')
                LIMIT 1) o ON true
            ORDER BY 1, 2 LIMIT {ROW_CAP}""",
    ):
        limit = int(max_value)
        if owner_type in TYPE_MAX:
            limit = min(limit, TYPE_MAX[owner_type])
        snapshot.sequences.append(
            LiveSequenceFact(
                NO_SPAN,
                ORIGIN,
                schema,
                name,
                owner_type if owner_type in TYPE_MAX else data_type,
                None if last_value is None else int(last_value),
                limit,
                owner,
            )
        )


def _read_archiving(conn: psycopg.Connection, snapshot: Snapshot) -> None:
    archived, failed, newer_failure, hours = _rows(
        conn,
        """SELECT archived_count, failed_count,
                  last_failed_time IS NOT NULL
                    AND (last_archived_time IS NULL OR last_failed_time > last_archived_time),
                  extract(epoch FROM now() - last_archived_time) / 3600
           FROM pg_stat_archiver""",
    )[0]
    snapshot.archiving = LiveArchivingFact(
        NO_SPAN,
        ORIGIN,
        snapshot.setting("archive_mode", "off"),
        snapshot.setting("archive_command"),
        snapshot.setting("archive_library"),
        snapshot.setting("wal_level", "replica"),
        int(archived),
        int(failed),
        bool(newer_failure),
        None if hours is None else float(hours),
    )


def _read_activity(conn: psycopg.Connection, snapshot: Snapshot) -> None:
    (snapshot.connections,) = _rows(
        conn, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
    )[0]
    for pid, user, app, state, seconds, query, blocked_by, relation in _rows(
        conn,
        f"""SELECT a.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''),
                   coalesce(a.state, ''),
                   coalesce(extract(epoch FROM now() - coalesce(a.xact_start, a.query_start)), 0),
                   left(coalesce(a.query, ''), 300), pg_blocking_pids(a.pid),
                   (SELECT l.relation::regclass::text FROM pg_locks l
                     WHERE l.pid = a.pid AND NOT l.granted AND l.relation IS NOT NULL LIMIT 1)
            FROM pg_stat_activity a
            WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
            ORDER BY a.pid LIMIT {ROW_CAP}""",
    ):
        activity = Activity(
            pid, user, app, state, float(seconds), query, tuple(blocked_by or ()), relation
        )
        snapshot.activities[pid] = activity
        if state.startswith("idle in transaction"):
            snapshot.idle_in_transaction.append(activity)
        if activity.blocked_by:
            snapshot.blocked.append(activity)


def _read_cache(conn: psycopg.Connection, snapshot: Snapshot) -> None:
    hit, read = _rows(
        conn,
        """SELECT coalesce(sum(heap_blks_hit), 0), coalesce(sum(heap_blks_read), 0)
           FROM pg_statio_user_tables""",
    )[0]
    if hit + read:
        snapshot.cache_hit_ratio = float(hit) / float(hit + read)
    for schema, table, ratio, reads in _rows(
        conn,
        """SELECT schemaname, relname,
                  heap_blks_hit::float8 / nullif(heap_blks_hit + heap_blks_read, 0), heap_blks_read
           FROM pg_statio_user_tables WHERE heap_blks_hit + heap_blks_read > 0
           ORDER BY 3 ASC, 4 DESC LIMIT 10""",
    ):
        name = table if schema == "public" else f"{schema}.{table}"
        snapshot.table_cache_ratios.append((name, float(ratio), int(reads)))


def _read_xid_age(conn: psycopg.Connection, snapshot: Snapshot) -> None:
    snapshot.database_xid_age = [
        (name, int(age))
        for name, age in _rows(
            conn, "SELECT datname, age(datfrozenxid) FROM pg_database ORDER BY 2 DESC LIMIT 20"
        )
    ]


def _read_statements(conn: psycopg.Connection, snapshot: Snapshot) -> None:
    snapshot.top_queries = [
        TopQuery(query, int(calls), float(total), float(mean), int(rows))
        for query, calls, total, mean, rows in _rows(
            conn,
            """SELECT query, calls, total_exec_time, mean_exec_time, rows
               FROM pg_stat_statements
               WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND query ~* '^\\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\\M'
                 AND query !~ '\\mpg_[a-z_]+' AND query NOT LIKE '%hypopg%'
               ORDER BY total_exec_time DESC LIMIT 50""",
        )
    ]
