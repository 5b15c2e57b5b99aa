"""Index advice verified with hypothetical indexes (hypopg), on the read-only session.

For each query: plan it (a generic plan when it has parameters), stop when its estimated cost
is below ``min_cost``; otherwise propose btree indexes on its filter, join and sort columns
(equality columns first, never a json column, never a column that already leads an index),
create each as a hypothetical index, re-plan, and keep it only when the plan uses it and the
cost drops to ``1 - min_saving`` of the original or less. Two-column candidates are tried only
while the best cost is still above ``min_cost``. ``hypopg_reset()`` always runs at the end.
Nothing is written: hypopg keeps its indexes in the session's memory.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import permutations
from typing import Any

import psycopg
import sqlglot
from sqlglot import exp

from dbsense.live.postgres import LiveTable, Snapshot
from dbsense.query_sources import quote

MIN_COST = 100.0
MIN_SAVING = 0.5
MAX_CANDIDATES = 8
STATEMENT = "dbsense_advice"
_SKIP_TYPES = ("json", "jsonb", "xml", "bytea")


@dataclass(frozen=True, slots=True)
class Candidate:
    schema: str
    table: str
    columns: tuple[str, ...]

    @property
    def table_label(self) -> str:
        return self.table if self.schema == "public" else f"{self.schema}.{self.table}"

    @property
    def label(self) -> str:
        """``events (account_id)``."""
        return f"{self.table_label} ({', '.join(self.columns)})"

    def statement(self) -> str:
        table = f"{quote(self.schema)}.{quote(self.table)}"
        return f"CREATE INDEX ON {table} ({', '.join(quote(c) for c in self.columns)})"


@dataclass(frozen=True, slots=True)
class Evaluation:
    candidate: Candidate
    cost: float | None  # estimated total cost with the hypothetical index
    used: bool
    accepted: bool
    reason: str
    plan: str = ""


@dataclass(slots=True)
class QueryAdvice:
    query: str
    source: str  # "pg_stat_statements" or "path:line"
    cost: float | None = None
    plan: str = ""
    evaluations: list[Evaluation] = field(default_factory=list)
    note: str = ""  # why it was not analysed, or why no candidate was tried

    @property
    def best(self) -> Evaluation | None:
        accepted = [e for e in self.evaluations if e.accepted and e.cost is not None]
        return min(accepted, key=lambda e: e.cost or 0.0, default=None)


@dataclass(slots=True)
class Recommendation:
    candidate: Candidate
    evidence: list[tuple[QueryAdvice, Evaluation]] = field(default_factory=list)


@dataclass(slots=True)
class Advice:
    queries: list[QueryAdvice] = field(default_factory=list)
    available: bool = True
    note: str = ""

    @property
    def recommendations(self) -> list[Recommendation]:
        """One index per table and leading columns: an index whose columns lead another
        recommended index on the same table is served by that one, so they merge."""
        found: dict[Candidate, Recommendation] = {}
        for query in self.queries:
            best = query.best
            if best is not None:
                found.setdefault(best.candidate, Recommendation(best.candidate))
                found[best.candidate].evidence.append((query, best))
        for candidate in sorted(found, key=lambda c: len(c.columns)):
            wider = next(
                (
                    other
                    for other in found
                    if other is not candidate
                    and (other.schema, other.table) == (candidate.schema, candidate.table)
                    and other.columns[: len(candidate.columns)] == candidate.columns
                ),
                None,
            )
            if wider is not None:
                found[wider].evidence[:0] = found.pop(candidate).evidence
        return list(found.values())

    @property
    def rejected(self) -> list[tuple[QueryAdvice, Evaluation]]:
        return [(q, e) for q in self.queries for e in q.evaluations if not e.accepted]


def _select(sql: str) -> exp.Select | None:
    try:
        trees = sqlglot.parse(sql, read="postgres")
    except sqlglot.errors.SqlglotError:
        return None
    if len(trees) != 1 or not isinstance(trees[0], exp.Select):
        return None
    return trees[0]


def candidate_columns(tree: exp.Select, tables: dict[tuple[str, str], LiveTable]) -> list:
    """(table, column, role) triples in the order candidates are tried: equality, join,
    range, then sort columns."""
    aliases: dict[str, LiveTable] = {}
    in_from: list[LiveTable] = []
    for node in tree.find_all(exp.Table):
        table = tables.get((node.db or "public", node.name))
        if table is None:
            continue
        in_from.append(table)
        aliases[node.alias_or_name] = table
        aliases[node.name] = table

    def resolve(column: exp.Column) -> tuple[LiveTable, str] | None:
        name = column.name
        if column.table:
            table = aliases.get(column.table)
            return (table, name) if table is not None and table.column(name) else None
        owners = {id(t): t for t in in_from if t.column(name)}
        return (next(iter(owners.values())), name) if len(owners) == 1 else None

    found: list[tuple[LiveTable, str, str]] = []

    def add(node: exp.Expression | None, role: str) -> None:
        if isinstance(node, exp.Column):
            resolved = resolve(node)
            if resolved and all((t, c) != resolved for t, c, _ in found):
                found.append((*resolved, role))

    where = tree.args.get("where")
    if where is not None:
        for node in where.find_all(exp.EQ, exp.In, exp.Is):
            add(node.this, "equality")
            if isinstance(node, exp.EQ):
                add(node.expression, "equality")
    for join in tree.args.get("joins") or ():
        on = join.args.get("on")
        if on is not None:
            for node in on.find_all(exp.EQ):
                add(node.this, "join")
                add(node.expression, "join")
    if where is not None:
        for node in where.find_all(exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between, exp.Like):
            add(node.this, "range")
    order = tree.args.get("order")
    if order is not None:
        for ordered in order.expressions:
            add(ordered.this, "sort")
    return found


def _leads_index(table: LiveTable, columns: tuple[str, ...]) -> bool:
    """True when a valid btree index already starts with ``columns``."""
    count = len(columns)
    return any(
        index.valid and index.method == "btree" and tuple(index.columns[:count]) == columns
        for index in table.indexes
    )


def candidates_for(tree: exp.Select, snapshot: Snapshot, pairs: bool) -> list[Candidate]:
    triples = candidate_columns(tree, snapshot.tables)
    usable = [
        (table, column)
        for table, column, _ in triples
        if not (table.column(column) and table.column(column).type.startswith(_SKIP_TYPES))  # type: ignore[union-attr]
    ]
    result: list[Candidate] = []
    if not pairs:
        for table, column in usable:
            if not _leads_index(table, (column,)):
                result.append(Candidate(table.schema, table.name, (column,)))
    else:
        for (t1, c1), (t2, c2) in permutations(usable, 2):
            ordered = usable.index((t1, c1)) < usable.index((t2, c2))
            if t1 is t2 and ordered and not _leads_index(t1, (c1, c2)):
                result.append(Candidate(t1.schema, t1.name, (c1, c2)))
    return result[:MAX_CANDIDATES]


# --- planning ----------------------------------------------------------------------------------


def explain(conn: psycopg.Connection, sql: str) -> dict[str, Any]:
    """The JSON plan of ``sql`` (never executed); a generic plan when it has parameters."""
    if not re.search(r"\$\d", sql):
        row = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()  # type: ignore[arg-type]
        return _plan(row)
    conn.execute(f"PREPARE {STATEMENT} AS {sql}")  # type: ignore[arg-type]
    try:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        (count,) = conn.execute(  # type: ignore[misc]
            "SELECT cardinality(parameter_types) FROM pg_prepared_statements WHERE name = %s",
            (STATEMENT,),
        ).fetchone()
        arguments = ", ".join(["NULL"] * int(count))
        row = conn.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {STATEMENT}({arguments})").fetchone()  # type: ignore[arg-type]
        return _plan(row)
    finally:
        conn.execute(f"DEALLOCATE {STATEMENT}")  # type: ignore[arg-type]
        conn.execute("RESET plan_cache_mode")


def _plan(row: Any) -> dict[str, Any]:
    value = row[0]
    data = json.loads(value) if isinstance(value, str) else value
    return data[0]["Plan"]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def plan_summary(plan: dict[str, Any]) -> str:
    """``Seq Scan on events`` / ``Index Scan using events_account_id on events``."""
    parts = []
    for node in _nodes(plan):
        if "Relation Name" not in node and "Index Name" not in node:
            continue
        text = node["Node Type"]
        if "Index Name" in node:
            text += f" using {node['Index Name']}"
        if "Relation Name" in node:
            text += f" on {node['Relation Name']}"
        parts.append(text)
    return "; ".join(parts) or plan.get("Node Type", "")


def _uses(plan: dict[str, Any], index_name: str) -> bool:
    return any(node.get("Index Name") == index_name for node in _nodes(plan))


# --- the flow ----------------------------------------------------------------------------------


def advise(
    conn: psycopg.Connection,
    snapshot: Snapshot,
    queries: Iterable[tuple[str, str]],
    min_cost: float = MIN_COST,
    min_saving: float = MIN_SAVING,
) -> Advice:
    """Verified index advice for ``queries`` (``(sql, source)`` pairs)."""
    advice = Advice()
    if "hypopg" not in snapshot.extensions:
        advice.available = False
        advice.note = "hypopg is not installed in this database: index advice is not verified"
        return advice
    seen: set[str] = set()
    try:
        for sql, source in queries:
            text = sql.strip().rstrip(";").strip()
            if text in seen:
                continue
            seen.add(text)
            advice.queries.append(_advise_one(conn, snapshot, text, source, min_cost, min_saving))
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.execute("SELECT hypopg_reset()")
    return advice


def _advise_one(
    conn: psycopg.Connection,
    snapshot: Snapshot,
    sql: str,
    source: str,
    min_cost: float,
    min_saving: float,
) -> QueryAdvice:
    advice = QueryAdvice(sql, source)
    tree = _select(sql)
    if tree is None:
        advice.note = "not a single SELECT: not analysed"
        return advice
    try:
        plan = explain(conn, sql)
    except psycopg.Error as error:
        advice.note = f"cannot be planned: {str(error).strip().splitlines()[0]}"
        return advice
    advice.cost = float(plan["Total Cost"])
    advice.plan = plan_summary(plan)
    if advice.cost < min_cost:
        advice.note = f"estimated cost {advice.cost:.0f} is below {min_cost:.0f}: no index needed"
        return advice
    for pairs in (False, True):
        best = advice.best
        if pairs and best is not None and (best.cost or 0.0) <= min_cost:
            break
        for candidate in candidates_for(tree, snapshot, pairs):
            advice.evaluations.append(_evaluate(conn, sql, candidate, advice.cost, min_saving))
    if not advice.evaluations:
        advice.note = "no candidate column: filter, join and sort columns already lead an index"
    return advice


def _evaluate(
    conn: psycopg.Connection, sql: str, candidate: Candidate, before: float, min_saving: float
) -> Evaluation:
    try:
        (oid, name) = conn.execute(  # type: ignore[misc]
            "SELECT indexrelid, indexname FROM hypopg_create_index(%s)", (candidate.statement(),)
        ).fetchone()
    except psycopg.Error as error:
        reason = f"hypopg could not create it: {str(error).strip().splitlines()[0]}"
        return Evaluation(candidate, None, False, False, reason)
    try:
        plan = explain(conn, sql)
    except psycopg.Error as error:
        reason = f"cannot be planned: {str(error).strip().splitlines()[0]}"
        return Evaluation(candidate, None, False, False, reason)
    finally:
        conn.execute("SELECT hypopg_drop_index(%s)", (oid,))
    cost = float(plan["Total Cost"])
    used = _uses(plan, name)
    summary = plan_summary(plan).replace(name, f"<hypothetical {candidate.label}>")
    if not used:
        return Evaluation(candidate, cost, False, False, "the planner does not use it", summary)
    saving = 1 - cost / before if before else 0.0
    if saving < min_saving:
        reason = f"saves only {saving:.0%} (needs {min_saving:.0%})"
        return Evaluation(candidate, cost, True, False, reason, summary)
    return Evaluation(candidate, cost, True, True, f"saves {saving:.0%}", summary)
