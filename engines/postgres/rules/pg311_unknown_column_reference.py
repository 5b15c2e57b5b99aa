import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache

from dbsense.analyzers.catalog import Catalog, Table
from dbsense.analyzers.ir import (
    AddConstraintFact,
    AlterColumnDefaultFact,
    AlterColumnNullFact,
    AlterColumnTypeFact,
    ColumnRefFact,
    ComparisonFact,
    CreateTableFact,
    DropColumnFact,
    Fact,
    PatternMatchFact,
    QualifiedName,
    QueryFact,
    RenameColumnFact,
    Span,
    StatementFact,
)
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Related,
    Rule,
    RuleContext,
    Severity,
)
from dbsense.engines.postgres.helpers import display_name

_ALTERS = (
    AlterColumnTypeFact,
    AlterColumnNullFact,
    AlterColumnDefaultFact,
    RenameColumnFact,
    DropColumnFact,
)
_QUERIES = (ComparisonFact, PatternMatchFact)
_CHECKED = (*_ALTERS, AddConstraintFact, ColumnRefFact, *_QUERIES)
_ONE_COLUMN = (ColumnRefFact, *_QUERIES, *_ALTERS)  # facts naming a single column
# Unparsed statements that cannot add, rename or drop a column of an existing table.
_HARMLESS_WORDS = {
    "ANALYZE", "BEGIN", "CHECKPOINT", "CLUSTER", "COMMENT", "COMMIT", "COPY", "DELETE", "END",
    "GRANT", "INSERT", "LISTEN", "LOCK", "NOTIFY", "REFRESH", "REINDEX", "RESET", "REVOKE",
    "ROLLBACK", "SAVEPOINT", "SECURITY", "SELECT", "SET", "SHOW", "START", "TRUNCATE", "UPDATE",
    "VACUUM",
}  # fmt: skip
_HARMLESS_KINDS = {
    "CREATE AGGREGATE", "CREATE EXTENSION", "CREATE FUNCTION", "CREATE INDEX",
    "CREATE MATERIALIZED", "CREATE OPERATOR", "CREATE POLICY", "CREATE PROCEDURE",
    "CREATE PUBLICATION", "CREATE ROLE", "CREATE RULE", "CREATE SCHEMA", "CREATE SEQUENCE",
    "CREATE STATISTICS", "CREATE TRIGGER", "CREATE TYPE", "CREATE USER", "CREATE VIEW",
    "ALTER DEFAULT", "ALTER FUNCTION", "ALTER INDEX", "ALTER POLICY", "ALTER ROLE",
    "ALTER SCHEMA", "ALTER SEQUENCE", "ALTER TRIGGER", "ALTER USER", "ALTER VIEW",
    "DROP EXTENSION", "DROP FUNCTION", "DROP INDEX", "DROP MATERIALIZED", "DROP POLICY",
    "DROP PROCEDURE", "DROP SEQUENCE", "DROP TRIGGER", "DROP VIEW",
}  # fmt: skip
_PROCEDURAL = {"DO", "CALL", "EXECUTE"}
_MAX_DISTANCE = 2
_SHOWN_COLUMNS = 8


@dataclass(frozen=True, slots=True)
class _Known:
    """A table's columns when a statement ran (``None``: not fully known then)."""

    columns: frozenset[str] | None
    table: Table | None


class UnknownColumnReference(Rule):
    """## What it does
    Flags a statement that names a column its table does not have at that point of the
    migration history: an index key, `INCLUDE` column or partial-index predicate, a constraint,
    an `ALTER COLUMN`/`RENAME COLUMN`/`DROP COLUMN`, or a filter in a query. Only tables the
    workspace knows completely are checked: created by a migration in the workspace and never
    touched by a statement dbsense could not analyse.

    ## Why is this bad?
    Postgres rejects the statement with `column "..." does not exist`, so the migration fails
    when it runs, often in production only, because the column was renamed or dropped by a
    migration that the author's local database never ran, or it is a typo. A soft-delete
    predicate (`WHERE deleted_at IS NULL`) copied onto a table without that column is a common
    case. Queries are checked against the final schema too: a filter on a column that is gone
    fails on every call.

    ## Example
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
    CREATE UNIQUE INDEX users_email_key ON users (emial);
    ```

    Use instead:
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
    CREATE UNIQUE INDEX users_email_key ON users (email);
    ```

    ## Fix safety
    The fix replaces the name with the nearest existing column (at most two edits away). It is
    unsafe: the nearest name is a guess, and the intended column may be one that a later
    migration adds.

    ## References
    - https://www.postgresql.org/docs/current/ddl-alter.html
    - https://www.postgresql.org/docs/current/sql-createindex.html
    """

    code = "PG311"
    name = "unknown-column-reference"
    summary = "Statement names a column its table does not have at that point of the history"
    severity = Severity.ERROR
    fix_availability = FixAvailability.SOMETIMES
    tags = ("schema", "migration")
    consumes = (*_CHECKED, CreateTableFact)

    def __init__(self) -> None:
        self._memo: tuple[Catalog, _History] | None = None  # when no observer ran

    def check(self, fact: Fact, ctx: RuleContext) -> Iterator[Finding]:
        if ctx.catalog is None or ctx.file is None or getattr(fact, "restated", False):
            return  # a restated null or default names the column its type fact names
        if isinstance(fact, CreateTableFact):
            yield from self._own_constraints(fact, ctx)
            return
        history = self._history(ctx.catalog)
        known = history.known.get(id(fact))
        if known is None:
            if ctx.file.path not in ctx.catalog.application_paths:
                return  # not replayed (an undo file)
            known = history.final(_table_of(fact))  # application code sees the final schema
        if isinstance(fact, _QUERIES):
            final = history.final(_table_of(fact))
            if final.columns is None or fact.column in final.columns:
                return
            if not _single_table(fact, ctx):
                return
            if known.columns is not None and fact.column in known.columns:
                return
            columns, table = final.columns, final.table
        else:
            if known.columns is None:
                return
            columns, table = known.columns, known.table
        for column in _referenced_columns(fact):
            if column not in columns:
                span = _reference_span(fact, column, ctx)
                yield self._finding(fact, table, column, span, columns)

    # --- the schema at each statement -------------------------------------------------------

    def observe_replay(self, catalog: Catalog) -> "_History":
        """Record the history during the workspace's own replay of ``catalog`` (no second
        replay); the record is ``catalog.observations[PG311]``."""
        history = _History()
        history.shadow = catalog
        return history

    def _history(self, catalog: Catalog) -> "_History":
        """The schema each checked fact saw: what the workspace's replay recorded, else (a
        failed record, or a catalog replayed by someone else) replayed once per catalog."""
        observed = catalog.observations.get(self.code)
        if isinstance(observed, _History) and not observed.failed:
            return observed
        memo = self._memo
        if memo is not None and memo[0] is catalog:
            return memo[1]
        history = _History()
        history.shadow = catalog.replay_history(history.before)
        self._memo = (catalog, history)
        return history

    def _own_constraints(self, fact: CreateTableFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.like or fact.partition_of is not None or not fact.columns:
            return
        columns = frozenset(column.name for column in fact.columns)
        for constraint in fact.constraints:
            if constraint.using_index:
                continue
            for column in constraint.columns:
                if column not in columns:
                    span = _name_span(ctx, constraint.span, column) or constraint.span
                    yield self._finding(fact, None, column, span, columns)

    def _finding(
        self, fact: Fact, table: Table | None, column: str, span: Span, columns: frozenset[str]
    ) -> Finding:
        name = display_name(_table_of(fact) if table is None else table.name)
        listed = sorted(columns)
        shown = ", ".join(listed[:_SHOWN_COLUMNS]) + (", ..." if len(listed) > 8 else "")
        when = "in the final schema" if isinstance(fact, _QUERIES) else "at this point"
        message = (
            f'column "{column}" of `{name}` does not exist {when} (it has {shown}); '
            "the statement fails when it runs"
        )
        related = ()
        if table is not None:
            location = table.location
            related = (Related(location.path, location.span, f"table `{name}` defined here"),)
        nearest = _nearest(column, listed)
        fix = None
        if nearest is not None and span.end - span.start >= len(column):
            replacement = nearest if _plain(nearest) else f'"{nearest}"'
            fix = Fix(f"Use column `{nearest}`", (Edit(span, replacement),), Applicability.UNSAFE)
        return Finding(span, message, fix, related)


class _History:
    """Replays the migration history, recording the columns each checked fact saw (by fact
    id), and which tables are only partly known (touched by SQL that was not analysed, or
    created from a query or an unknown source). Records are kept per unit, so a unit replayed
    again (an edit) replaces its own."""

    def __init__(self) -> None:
        self.known: dict[int, _Known] = {}
        self.shadow = Catalog()
        self.failed = False
        self._facts: dict[str, list[int]] = {}  # unit -> ids of the facts recorded for it
        self._partial_by_unit: dict[str, set[Table]] = {}
        self._partial: set[Table] = set()
        self._partial_creations: set[tuple[str, Span]] = set()

    def before(self, state: Catalog, path: str, fact: Fact) -> None:
        if self.failed:
            return
        try:
            self._record(state, path, fact)
        except Exception:  # a record that cannot be trusted: the rule replays on its own
            self.failed = True

    def forget(self, paths: Collection[str]) -> None:
        partial = False
        for path in paths:
            for key in self._facts.pop(path, ()):
                self.known.pop(key, None)
            partial = self._partial_by_unit.pop(path, None) is not None or partial
        if partial:
            self._partial = set().union(*self._partial_by_unit.values())
        self._partial_creations = {c for c in self._partial_creations if c[0] not in paths}

    def _record(self, state: Catalog, path: str, fact: Fact) -> None:
        if isinstance(fact, StatementFact) and _opaque(fact):
            tables = state.tables.values()
            self._partial_by_unit.setdefault(path, set()).update(tables)
            self._partial.update(tables)
        elif isinstance(fact, CreateTableFact) and not self._complete(state, fact):
            self._partial_creations.add((path, fact.span))
        elif isinstance(fact, _CHECKED):
            self.known[id(fact)] = self._state(state, _table_of(fact))
            self._facts.setdefault(path, []).append(id(fact))

    def final(self, name: QualifiedName | None) -> _Known:
        return self._state(self.shadow, name)

    def _state(self, state: Catalog, name: QualifiedName | None) -> _Known:
        table = state.table(name) if name is not None else None
        if table is None:
            return _Known(None, None)
        creation = (table.location.path, table.location.statement)
        if table in self._partial or creation in self._partial_creations:
            return _Known(None, table)
        return _Known(frozenset(table.columns), table)

    def _complete(self, state: Catalog, fact: CreateTableFact) -> bool:
        """A created table whose columns are all known: not ``AS SELECT`` (no columns), and
        any ``LIKE`` source or partition parent is itself known."""
        if not fact.columns and not fact.like and fact.partition_of is None:
            return False
        sources = [*fact.like, *([fact.partition_of] if fact.partition_of else [])]
        return all(self._state(state, source).columns is not None for source in sources)


def _table_of(fact: Fact) -> QualifiedName | None:
    return getattr(fact, "table", None)


def _opaque(statement: StatementFact) -> bool:
    """A statement that may change columns in ways dbsense does not see: procedural code
    (``DO``, ``CALL``, ``EXECUTE``), or one that was not analysed and is not known to leave
    columns alone."""
    kind = statement.kind
    first = kind.split(" ", 1)[0]
    if first in _PROCEDURAL:
        return True
    return not statement.parsed and first not in _HARMLESS_WORDS and kind not in _HARMLESS_KINDS


def _single_table(fact: Fact, ctx: RuleContext) -> bool:
    """The filter sits in a statement that reads one table, so an unqualified name cannot
    come from another table (a correlated subquery, a join)."""
    for other in ctx.unit_facts:
        if isinstance(other, QueryFact) and other.span.start <= fact.span.start < other.span.end:
            return len(other.tables) == 1
    return False


def _referenced_columns(fact: Fact) -> tuple[str, ...]:
    if isinstance(fact, DropColumnFact) and fact.if_exists:
        return ()
    if isinstance(fact, _ONE_COLUMN):
        return (fact.column,)
    if isinstance(fact, AddConstraintFact) and not fact.constraint.using_index:
        return fact.constraint.columns
    return ()


def _reference_span(fact: Fact, column: str, ctx: RuleContext) -> Span:
    """Where ``fact`` names ``column``; looked up only for a finding (a search per name)."""
    if isinstance(fact, ColumnRefFact):
        return fact.span
    if isinstance(fact, _QUERIES):
        return fact.column_span
    if isinstance(fact, _ALTERS):
        return _name_span(ctx, fact.action_span, column, skip_first=True) or fact.action_span
    constraint = fact.constraint
    return _name_span(ctx, constraint.span, column) or constraint.span


def _name_span(
    ctx: RuleContext, region: Span, column: str, skip_first: bool = False
) -> Span | None:
    """Where ``column`` is written inside ``region`` (after its first word if asked)."""
    offset = max(0, region.start - 1)  # the pattern looks at the character before a name
    text = ctx.text(offset, region.end)
    start = region.start - offset
    if skip_first:
        first = re.match(r"\s*\w+", text[start:])
        start += first.end() if first else 0
    match = _column_pattern(column).search(text, start)
    return Span(offset + match.start(), offset + match.end()) if match else None


@lru_cache(maxsize=4096)
def _column_pattern(column: str) -> re.Pattern[str]:
    """The quoted or bare ``column``, compiled once per name: compiling was a third of this
    rule's time, and re-checks (the language server) name the same columns again."""
    quoted = re.escape(f'"{column}"')
    plain = re.escape(column)
    return re.compile(rf'{quoted}|(?<![\w"$]){plain}(?![\w"$])', re.IGNORECASE)


def _plain(name: str) -> bool:
    return re.fullmatch(r"[a-z_][a-z0-9_$]*", name) is not None


def _nearest(column: str, columns: list[str]) -> str | None:
    scored = sorted((_distance(column, other), other) for other in columns)
    if not scored:
        return None
    distance, best = scored[0]
    ties = [other for d, other in scored if d == distance]
    if distance > _MAX_DISTANCE or distance * 2 >= len(column) or len(ties) > 1:
        return None
    return best


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, with a swap of two neighbouring letters counted as one edit."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
