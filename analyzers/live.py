"""Facts read from a live PostgreSQL server (``origin="live"``).

The live front-end (:mod:`dbsense.live.postgres`) reads the statistics views once and turns
each observed object into one fact; live rules consume them like any other fact. A fact's span
is empty: its location is the server, shown as a redacted DSN.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbsense.analyzers.ir import Fact, Span


@dataclass(frozen=True, slots=True)
class LiveTableFact(Fact):
    """A user table's tuple counts, vacuum history and freeze age (``pg_stat_user_tables``)."""

    schema: str
    table: str
    live_tuples: int
    dead_tuples: int
    vacuum_threshold: float  # dead tuples that trigger autovacuum for this table
    hours_since_vacuum: float | None  # last manual or auto vacuum; None: never vacuumed
    freeze_age: int  # age(relfrozenxid)
    freeze_max_age: int  # autovacuum_freeze_max_age
    autovacuum_enabled: bool = True
    modified_since_analyze: int = 0
    analyze_threshold: float = 0.0  # modifications that trigger autoanalyze for this table
    hours_since_analyze: float | None = None  # last manual or auto analyze; None: never


@dataclass(frozen=True, slots=True)
class LiveIndexFact(Fact):
    """An index's usage and state (``pg_stat_user_indexes`` + ``pg_index``)."""

    schema: str
    table: str
    index: str
    scans: int
    size_bytes: int
    unique: bool
    primary: bool
    valid: bool
    stats_age_days: float  # how long the usage counters have been collecting
    definition: str = ""


@dataclass(frozen=True, slots=True)
class LiveArchivingFact(Fact):
    """WAL archiving settings and ``pg_stat_archiver`` counters of the server."""

    archive_mode: str
    archive_command: str
    archive_library: str
    wal_level: str
    archived_count: int
    failed_count: int
    last_failed_after_archived: bool  # the last failure is newer than the last success
    hours_since_archived: float | None


@dataclass(frozen=True, slots=True)
class LiveSequenceFact(Fact):
    """A sequence's position against its maximum (``pg_sequences``)."""

    schema: str
    sequence: str
    data_type: str
    last_value: int | None
    max_value: int
    owner: str | None = None  # "table.column" owning the sequence, when one does


@dataclass(frozen=True, slots=True)
class LiveUnavailableFact(Fact):
    """Live mode was requested but could not run (or ran without an optional extension)."""

    target: str  # the redacted DSN
    reason: str


@dataclass(frozen=True, slots=True)
class LiveDriftFact(Fact):
    """A difference between the schema the migrations build and the live one.

    ``kind`` is ``table``, ``column``, ``column-type``, ``index`` or ``constraint``; ``only_in``
    says where the object exists (``migrations`` or ``database``; empty for a type that
    differs). ``name`` is the column, index or constraint; ``expected``/``actual`` the column
    types. ``defined`` is where the migrations define the object, when they do."""

    kind: str
    only_in: str
    schema: str
    table: str
    name: str = ""
    expected: str = ""
    actual: str = ""
    defined_path: str | None = None
    defined_span: Span | None = None


@dataclass(frozen=True, slots=True)
class LiveIndexAdviceFact(Fact):
    """A workspace query (``span``, in its document) whose estimated cost the planner cuts by
    half or more with a hypothetical index on ``columns`` of ``schema.table``. ``migration``
    holds the files that add the index: (workspace path, text) pairs."""

    schema: str
    table: str
    columns: tuple[str, ...]
    cost_before: float
    cost_after: float
    plan_before: str
    plan_after: str
    migration: tuple[tuple[str, str], ...] = ()
