from collections.abc import Iterator

from dbsense.analyzers.ir import AddColumnFact, Span
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)
from dbsense.engines.postgres.helpers import display_name
from dbsense.engines.postgres.volatility import volatile_calls

FAST_DEFAULTS = 11  # ADD COLUMN with a non-volatile default is metadata-only from this version


class AddingNotNullColumn(Rule):
    """## What it does
    Flags `ADD COLUMN ... NOT NULL` without a default on an existing table, and, before
    PostgreSQL 11, any `ADD COLUMN` with a default.

    ## Why is this bad?
    Every `ALTER TABLE ... ADD COLUMN` takes an `ACCESS EXCLUSIVE` lock, which blocks reads and
    writes until the statement ends.

    - A `NOT NULL` column without a default fails as soon as the table has a row ("column
      contains null values"). Where it succeeds (an empty table in one environment) it still
      breaks the release that is running during the deploy: its `INSERT`s do not name the new
      column and now fail.
    - Before PostgreSQL 11 a column with a default rewrites the whole table while holding the
      lock. From 11 on, a non-volatile default is stored in the catalog and existing rows read
      it from there, so adding the column is instant. Volatile defaults (`random()`,
      `clock_timestamp()`) still rewrite; `adding-column-with-volatile-default` covers them.

    A table created earlier in the same migration is empty, so the rule stays silent there.

    ## Example
    ```sql
    ALTER TABLE orders ADD COLUMN currency text NOT NULL;
    ```

    Use instead:
    ```sql
    ALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT 'EUR';
    ```

    ## Django
    `AddField(null=False)` needs a default to fill existing rows. From Django 5.0, `db_default=`
    puts the default in the database, so old code that omits the column keeps working.

    ## SQLAlchemy / Alembic
    Give `op.add_column` a `server_default=`, or add the column `nullable=True`, backfill it, and
    set it `NOT NULL` in a later revision (see `setting-not-null-on-existing-column`).
    `batch_op.add_column` in a `batch_alter_table()` block is the same `ADD COLUMN` on
    PostgreSQL; with `recreate="always"` the copy of the existing rows fails the same way.

    ## Fix safety
    The suggested recipe is display-only: choosing a default is a product decision, and the
    nullable-then-backfill route spans several migrations.

    ## Options
    `postgres.version` picks the behaviour: before 11 every default rewrites the table.

    ## Known differences
    Compared with Squawk (the parity test runs both on the fixtures):
    - Squawk also flags tables created earlier in the same file; they are empty and
      invisible to other sessions, so nothing can block on them.
    - Before PostgreSQL 11 dbsense reports any non-volatile default here; Squawk reports
      those under `adding-field-with-default`.

    ## References
    - https://www.postgresql.org/docs/current/ddl-alter.html#DDL-ALTER-ADDING-A-COLUMN
    - https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
    """

    code = "PG106"
    name = "adding-not-null-column"
    summary = "`NOT NULL` column without a default added to an existing table"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("locking", "migration", "compatibility")
    consumes = (AddColumnFact,)
    options = ("postgres.version",)
    peers = ("squawk:adding-required-field",)

    def check(self, fact: AddColumnFact, ctx: RuleContext) -> Iterator[Finding]:
        column = fact.column
        if fact.table_created_in_unit or column.generated or column.identity:
            return
        version = ctx.option("postgres", "version") or 15
        table = display_name(fact.table)
        if column.default is None and not column.nullable:
            yield Finding(
                column.span,
                f"`{table}.{column.name}` is added `NOT NULL` without a default: it fails on "
                "existing rows and breaks writers that do not set it",
                self._recipe(fact),
            )
        elif column.default is not None and version < FAST_DEFAULTS:
            if volatile_calls(column.default):
                return
            yield Finding(
                column.span,
                f"adding `{table}.{column.name}` with a default rewrites the whole table under "
                f"`ACCESS EXCLUSIVE` on PostgreSQL {version} (metadata-only from 11)",
            )

    def _recipe(self, fact: AddColumnFact) -> Fix:
        column = fact.column
        table = display_name(fact.table)
        type_ = column.type.raw if column.type else "text"
        recipe = (
            f"ALTER TABLE {table} ADD COLUMN {column.name} {type_};\n"
            f"-- backfill {column.name} in batches, then in a later migration:\n"
            f"ALTER TABLE {table} ALTER COLUMN {column.name} SET NOT NULL;"
        )
        return Fix(
            "Add the column nullable, backfill, then set `NOT NULL`",
            (Edit(Span(fact.span.start, fact.span.end), recipe),),
            Applicability.DISPLAY_ONLY,
        )
