"""Verified index advice on the workspace's own queries, as PG207 facts with their migration.

:func:`advice_context` copies what the advice needs from the workspace (its queries, where each
table's migrations go, the indexes the migrations already create); :func:`advice_facts` plans
the queries on the read-only session (:func:`dbsense.advisor.advise`) and turns every accepted
candidate into one fact per query location, carrying the migration files that add the index.
The two halves can run on different threads: the context holds no reference to the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import psycopg

from dbsense.advisor import Candidate, advise
from dbsense.analyzers.catalog import Catalog
from dbsense.analyzers.ir import Fact
from dbsense.analyzers.live import LiveIndexAdviceFact
from dbsense.live.postgres import ORIGIN, Snapshot
from dbsense.migration_target import MigrationTarget, TableKey, migration_targets
from dbsense.migration_writer import IndexChange, MigrationError, render_migration
from dbsense.query_sources import WorkspaceQuery, workspace_queries


@dataclass(frozen=True, slots=True)
class AdviceContext:
    """What index advice reads from the workspace, copied where the workspace lives."""

    root: Path
    queries: tuple[WorkspaceQuery, ...]
    targets: Mapping[TableKey, MigrationTarget]
    default: MigrationTarget
    planned: Mapping[TableKey, tuple[tuple[str | None, ...], ...]]  # btree keys in migrations


def advice_context(
    root: Path,
    catalog: Catalog,
    texts: Mapping[str, str],
    facts: Mapping[str, tuple[Fact, ...]],
) -> AdviceContext:
    targets, default = migration_targets(catalog)
    planned = {
        (table.name.schema or "public", table.name.name): tuple(
            index.columns for index in table.indexes if index.method == "btree" and not index.where
        )
        for table in catalog.iter_tables()
    }
    queries = tuple(workspace_queries(texts, facts, catalog))
    return AdviceContext(root, queries, targets, default, planned)


def advice_facts(
    conn: psycopg.Connection,
    snapshot: Snapshot,
    context: AdviceContext,
    now: datetime | None = None,
) -> list[tuple[str, LiveIndexAdviceFact]]:
    """(path, fact) for every workspace query an accepted index helps; empty without hypopg."""
    by_text: dict[str, list[WorkspaceQuery]] = {}
    for query in context.queries:
        by_text.setdefault(query.sql.strip().rstrip(";").strip(), []).append(query)
    advice = advise(conn, snapshot, [(query.sql, query.source) for query in context.queries])
    found = []
    for query_advice in advice.queries:
        best = query_advice.best
        if best is None or query_advice.cost is None or best.cost is None:
            continue
        candidate = best.candidate
        if _planned(context, candidate):
            continue
        migration = _migration(context, candidate, now)
        for query in by_text.get(query_advice.query, ()):
            fact = LiveIndexAdviceFact(
                query.span,
                ORIGIN,
                candidate.schema,
                candidate.table,
                candidate.columns,
                query_advice.cost,
                best.cost,
                query_advice.plan,
                best.plan,
                migration,
            )
            found.append((query.path, fact))
    return found


def _planned(context: AdviceContext, candidate: Candidate) -> bool:
    """True when a migration of the workspace already creates an index the candidate leads."""
    width = len(candidate.columns)
    keys = context.planned.get((candidate.schema, candidate.table), ())
    return any(tuple(columns[:width]) == candidate.columns for columns in keys)


def _migration(
    context: AdviceContext, candidate: Candidate, now: datetime | None
) -> tuple[tuple[str, str], ...]:
    """(workspace path, text) of the migration files that add the candidate index."""
    target = context.targets.get((candidate.schema, candidate.table), context.default)
    change = IndexChange(candidate.schema, candidate.table, candidate.columns, target.model)
    directory = context.root / target.directory
    try:
        files = render_migration([change], target.format, directory, now, target.app_label)
    except (MigrationError, OSError):
        return ()
    base = PurePosixPath(target.directory)
    return tuple(((base / name).as_posix(), text) for name, text in files.items())
