import re
from collections.abc import Iterator
from dataclasses import dataclass

from dbsense.analyzers.catalog import Catalog, Index, Table, Unit
from dbsense.analyzers.ir import ComparisonFact, Fact, Span
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
from dbsense.engines.postgres.helpers import display_name, free_name, index_name, key_text

_DEFAULT_COLUMNS = ("deleted_at", "is_deleted", "deleted", "archived_at")
_SOFT_DELETE_BASE = re.compile(r"soft_?delet|safedelet|paranoid", re.I)
_WORD = re.compile(r'"([^"]+)"|([A-Za-z_][A-Za-z0-9_$]*)')
_FALSE = {"FALSE", "'F'", "'FALSE'", "0"}
_TRUE = {"TRUE", "'T'", "'TRUE'", "1"}


@dataclass(frozen=True, slots=True)
class _Evidence:
    """Why a table counts as soft-deleting: a live-rows filter or a soft-delete model base."""

    column: str
    path: str
    span: Span
    what: str


class SoftDeleteWithoutPartialIndex(Rule):
    """## What it does
    Finds tables that soft-delete rows (queries filter them with `deleted_at IS NULL`,
    `is_deleted = false` and the like, on a column listed in `postgres.soft-delete-columns`, or
    their ORM model derives from a soft-delete base class) and flags each of their UNIQUE
    constraints and unique indexes that lacks the live-rows predicate.

    ## Why is this bad?
    A soft-deleted row stays in the table, so it still holds its unique values: once a user
    with `email = 'ann@example.com'` is soft-deleted, nobody can sign up with that address
    again, and restoring data or re-creating the record fails with a unique violation that the
    application treats as "already exists".

    Adding the soft-delete column to the key does not help: `UNIQUE (email, deleted_at)` lets
    any number of *live* rows share an email, because every live row has `deleted_at` NULL and
    NULLs are never equal. What expresses the intent is a partial unique index over the live
    rows only: `CREATE UNIQUE INDEX ... (email) WHERE deleted_at IS NULL`. It is also smaller,
    and the planner uses it for the live-rows queries that carry the same predicate.

    ## Example
    ```sql
    CREATE TABLE users (
        id bigint PRIMARY KEY,
        email text NOT NULL UNIQUE,
        deleted_at timestamptz
    );
    SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL;
    ```

    Use instead:
    ```sql
    CREATE TABLE users (
        id bigint PRIMARY KEY,
        email text NOT NULL,
        deleted_at timestamptz
    );
    CREATE UNIQUE INDEX users_email_live_key ON users (email) WHERE deleted_at IS NULL;
    SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL;
    ```

    ## Django
    Replace `unique=True` with
    `models.UniqueConstraint(fields=["email"], condition=Q(deleted_at__isnull=True),
    name="users_email_live_key")` in `Meta.constraints`.

    ## SQLAlchemy / Alembic
    `Index("users_email_live_key", User.email, unique=True,
    postgresql_where=User.deleted_at.is_(None))`.

    ## Fix safety
    The fix is display-only: it builds the partial index concurrently and then drops the old
    constraint, and between the two steps (or if the data already holds live duplicates, which
    makes the build fail) someone must decide what to do.

    ## Options
    `postgres.soft-delete-columns` names the columns that mark soft-deleted rows.

    ## References
    - https://www.postgresql.org/docs/current/indexes-partial.html
    - https://www.postgresql.org/docs/current/indexes-unique.html
    """

    code = "PG306"
    name = "soft-delete-without-partial-index"
    summary = "Unique constraint on a soft-delete table without the live-rows predicate"
    severity = Severity.INFO
    fix_availability = FixAvailability.SOMETIMES
    tags = ("schema", "indexing")
    workspace = True
    options = ("postgres.soft-delete-columns",)

    def __init__(self) -> None:
        # Per unit path: its facts, the columns asked for and their live-row filters, so a
        # re-check reads again only the units whose facts changed.
        self._filters: dict[str, tuple[tuple[Fact, ...], tuple[str, ...], list[ComparisonFact]]]
        self._filters = {}

    def check_workspace(self, ctx: RuleContext) -> Iterator[Finding]:
        catalog: Catalog = ctx.catalog
        columns = tuple(ctx.option("postgres", "soft-delete-columns") or _DEFAULT_COLUMNS)
        wanted = None if ctx.focus is None else set(ctx.tables())
        if wanted is not None and not wanted:
            return
        for table, evidence in _soft_delete_tables(
            catalog, columns, self._live_filters(catalog, columns)
        ):
            if wanted is not None and table not in wanted:
                continue
            taken = {index.name or "" for index in table.indexes}
            for index in table.indexes:
                if not index.unique or index.constraint == "primary-key":
                    continue
                if index.where and _mentions(index.where, evidence.column):
                    continue
                yield self._finding(table, index, evidence, taken)

    def _live_filters(
        self, catalog: Catalog, columns: tuple[str, ...]
    ) -> Iterator[tuple[Unit, list[ComparisonFact]]]:
        """Each history unit with its comparisons that filter live rows on ``columns``."""
        kept = {}
        for unit in catalog.history:
            known = self._filters.get(unit.path)
            if known is None or known[0] is not unit.facts or known[1] != columns:
                known = (unit.facts, columns, _live_comparisons(unit.facts, columns))
            kept[unit.path] = known
            yield unit, known[2]
        self._filters = kept

    def _finding(self, table: Table, index: Index, evidence: _Evidence, taken: set[str]) -> Finding:
        name = display_name(table.name)
        column = evidence.column
        keys = ", ".join(key_text(key) for key in index.keys)
        what = "constraint" if index.constraint else "index"
        message = (
            f"unique {what} `{index.name}` on {name} ({keys}) also covers soft-deleted rows, "
            "so a deleted row keeps its value taken; make it partial: "
            f"`WHERE {_live(table, column)}`"
        )
        if any(key.column == column for key in index.keys):
            effect = (
                "two deleted rows with the same values conflict, so a re-created row cannot be "
                "deleted again"
                if _live(table, column).startswith("NOT ")
                else "live rows (all NULL there) never conflict, so duplicates get in"
            )
            message = (
                f"unique {what} `{index.name}` on {name} ({keys}) includes `{column}`: {effect}; "
                f"use a partial unique index `WHERE {_live(table, column)}` instead"
            )
        related = (Related(evidence.path, evidence.span, evidence.what),)
        return Finding(
            index.location.span,
            message,
            self._fix(table, index, column, taken),
            related,
            path=index.location.path,
        )

    def _fix(self, table: Table, index: Index, column: str, taken: set[str]) -> Fix:
        name = display_name(table.name)
        keys = tuple(key for key in index.keys if key.column != column) or index.keys
        new_name = free_name(
            index_name(table.name, tuple(key.label or "expr" for key in keys), "live_key"), taken
        )
        key_list = ", ".join(key_text(key) for key in keys)
        drop = (
            f"ALTER TABLE {name} DROP CONSTRAINT {index.name};"
            if index.constraint
            else f"DROP INDEX CONCURRENTLY {index.name};"
        )
        recipe = (
            f"CREATE UNIQUE INDEX CONCURRENTLY {new_name} ON {name} ({key_list}) "
            f"WHERE {_live(table, column)};\n{drop}"
        )
        edits = ()
        if index.location.path.endswith(".sql"):
            end = index.location.statement.end
            edits = (Edit(Span(end, end), f"\n{recipe}"),)
        return Fix(
            f"Replace `{index.name}` with a unique index on live rows",
            edits,
            Applicability.DISPLAY_ONLY,
        )


def _live_comparisons(facts: tuple[Fact, ...], columns: tuple[str, ...]) -> list[ComparisonFact]:
    return [
        fact
        for fact in facts
        if isinstance(fact, ComparisonFact)
        and fact.table is not None
        and fact.column in columns
        and _live_filter(fact)
    ]


def _soft_delete_tables(
    catalog: Catalog,
    columns: tuple[str, ...],
    filters: Iterator[tuple[Unit, list[ComparisonFact]]],
) -> Iterator[tuple[Table, _Evidence]]:
    """Tables that soft-delete, each once, with the first evidence found."""
    found: dict[int, tuple[Table, _Evidence]] = {}
    for unit, comparisons in filters:
        for fact in comparisons:
            table = catalog.table(fact.table)
            if table is None or fact.column not in table.columns or id(table) in found:
                continue
            what = f"queries filter live rows of `{display_name(table.name)}` here"
            found[id(table)] = (table, _Evidence(fact.column, unit.path, fact.span, what))
    for located in catalog.python.models.values():
        model = located.fact
        table = catalog.table(model.table) if model.table is not None else None
        if table is None or id(table) in found:
            continue
        if not any(_SOFT_DELETE_BASE.search(base) for base in model.bases):
            continue
        column = next((c for c in columns if c in table.columns), None)
        if column is not None:
            what = f"model `{model.qualified}` derives from a soft-delete base"
            found[id(table)] = (table, _Evidence(column, located.path, model.span, what))
    return iter(found.values())


def _live_filter(fact: ComparisonFact) -> bool:
    """``deleted_at IS NULL``, ``is_deleted = false``, ``is_deleted IS NOT TRUE``..."""
    value = fact.value.upper()
    if fact.operator == "IS":
        return (value in ("NULL", "FALSE") and not fact.negated) or (
            value == "TRUE" and fact.negated
        )
    if fact.operator == "=":
        return (value in _FALSE and not fact.negated) or (value in _TRUE and fact.negated)
    if fact.operator == "<>":
        return value in _TRUE and not fact.negated
    return False


def _live(table: Table, column: str) -> str:
    """The live-rows predicate for ``column``."""
    found = table.columns.get(column)
    if found is not None and found.type is not None and found.type.name == "boolean":
        return f"NOT {column}"
    return f"{column} IS NULL"


def _mentions(expression: str, column: str) -> bool:
    return any((m.group(1) or m.group(2).lower()) == column for m in _WORD.finditer(expression))
