from collections.abc import Iterator

from dbsense.analyzers.catalog import Index, Table
from dbsense.analyzers.ir import Span
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Related,
    Rule,
    RuleContext,
)
from dbsense.engines.postgres.helpers import (
    display_name,
    index_label,
    index_signature,
    matches_any,
)


class DuplicateIndex(Rule):
    """## What it does
    Flags an index that is identical to another index on the same table, in the schema as the
    whole migration history leaves it. Indexes behind `PRIMARY KEY` and `UNIQUE` constraints
    count, so a unique index on the primary key column is a duplicate.

    ## Why is this bad?
    Two identical indexes give the planner nothing the first one did not: it uses one of them
    and the other only costs. Every `INSERT` and every `UPDATE` of an indexed column writes both
    (no HOT update is possible for either), both take disk and shared buffers, both are vacuumed,
    and both are rebuilt by `REINDEX`. On a write-heavy table a duplicate can cost as much as a
    whole extra column.

    Indexes are compared after normalisation: method, ordered keys or expressions, operator
    classes, collations, sort directions and `NULLS` order, `INCLUDE` columns, the partial
    predicate and uniqueness. A later `DROP INDEX` of either one silences the rule.

    ## Example
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
    CREATE INDEX users_email_idx ON users (email);
    CREATE INDEX users_email_lookup ON users (email);
    ```

    Use instead:
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
    CREATE INDEX users_email_idx ON users (email);
    ```

    ## Fix safety
    When the later index comes from a `CREATE INDEX` in a migration that has not been applied
    yet, the fix deletes that statement. It is unsafe: code or later migrations may name the
    deleted index (hints, `DROP INDEX`, `ALTER INDEX`). For migrations listed in
    `postgres.applied-migrations`, and for constraint-backed duplicates, the fix is a
    display-only `DROP INDEX CONCURRENTLY` (or `DROP CONSTRAINT`) for a new migration.

    ## Options
    `postgres.applied-migrations` lists (glob patterns of) migration files that already ran
    somewhere and must not be edited.

    ## References
    - https://www.postgresql.org/docs/current/sql-createindex.html
    - https://www.postgresql.org/docs/current/sql-dropindex.html
    """

    code = "PG202"
    name = "duplicate-index"
    summary = "Two identical indexes on one table"
    fix_availability = FixAvailability.ALWAYS
    tags = ("indexing",)
    workspace = True
    options = ("postgres.applied-migrations",)
    peers = ("spl 0009_duplicate_index", "bb table.no-duplicate-index")

    def check_workspace(self, ctx: RuleContext) -> Iterator[Finding]:
        applied = list(ctx.option("postgres", "applied-migrations") or ())
        for table in ctx.tables():
            first: dict[tuple, Index] = {}
            for index in sorted(table.indexes, key=lambda i: i.order):
                signature = index_signature(index)
                original = first.setdefault(signature, index)
                if original is not index:
                    yield self._finding(table, original, index, applied)

    def _finding(
        self, table: Table, original: Index, duplicate: Index, applied: list[str]
    ) -> Finding:
        name = display_name(table.name)
        message = (
            f"index {index_label(duplicate)} on {name} duplicates {original.name}: "
            "same method, keys, predicate and uniqueness"
        )
        related = (
            Related(
                original.location.path,
                original.location.span,
                f"identical index `{original.name}` defined here",
            ),
        )
        fix = _fix(table, original, duplicate, applied)
        return Finding(duplicate.location.span, message, fix, related, path=duplicate.location.path)


def _fix(table: Table, original: Index, duplicate: Index, applied: list[str]) -> Fix:
    location = duplicate.location
    if (
        duplicate.constraint is None
        and not duplicate.changes
        and location.path.endswith(".sql")
        and not matches_any(location.path, applied)
    ):
        return Fix(
            f"Delete the duplicate `CREATE INDEX {duplicate.name}`",
            (Edit(location.statement, ""),),
            Applicability.UNSAFE,
        )
    # Keep the constraint: drop the plain index of the pair.
    target = original if duplicate.constraint and not original.constraint else duplicate
    qualified = _qualified(table, target.name or "")
    if target.constraint:
        statement = f"ALTER TABLE {display_name(table.name)} DROP CONSTRAINT {target.name};"
    else:
        statement = f"DROP INDEX CONCURRENTLY {qualified};"
    end = location.statement.end
    return Fix(
        f"Drop `{target.name}` in a new migration",
        (Edit(Span(end, end), f"\n{statement}"),),
        Applicability.DISPLAY_ONLY,
    )


def _qualified(table: Table, name: str) -> str:
    schema = table.name.schema
    return name if schema in (None, "public") else f"{schema}.{name}"
