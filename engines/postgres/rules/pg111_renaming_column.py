from collections.abc import Iterator

from dbsense.analyzers.ir import RenameColumnFact
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)
from dbsense.engines.postgres.helpers import (
    column_added_earlier,
    display_name,
    must_stay_compatible,
)


class RenamingColumn(Rule):
    """## What it does
    Flags `ALTER TABLE ... RENAME COLUMN` on an existing table.

    ## Why is this bad?
    The rename itself is instant (a catalog change under a brief `ACCESS EXCLUSIVE` lock), but
    it breaks the application: during a deploy the previous release keeps running, and every
    query it sends that names the old column fails until the last old process is gone. Views,
    functions and ORM mappings that use the old name break the same way.

    A column of a table created, or a column added, earlier in the same migration has no
    readers yet, so the rule stays silent there.

    ## Example
    ```sql
    ALTER TABLE orders RENAME COLUMN total TO amount;
    ```

    Use instead:
    ```sql
    ALTER TABLE orders ADD COLUMN amount numeric(12, 2);
    -- release 1 writes both columns; backfill amount from total in batches
    -- release 2 reads amount; a later migration drops total
    ```

    ## Django
    `RenameField` (or a changed `db_column`) renames the column. Keep the database name with
    `db_column="total"` on the renamed field, or add a new field and migrate the data.

    ## SQLAlchemy / Alembic
    `op.alter_column(..., new_column_name=...)` renames the column, and so does
    `batch_op.alter_column(..., new_column_name=...)` in a `batch_alter_table()` block. Map the
    attribute to the old column name (`Column("total", ...)`) instead, or expand and contract
    over several releases.

    ## Fix safety
    The recipe is display-only: it spans several releases.

    ## Options
    `postgres.backward-compatible-migrations = false` turns the rule off for projects that stop
    the application while migrating.

    ## Known differences
    Compared with Squawk (the parity test runs both on the fixtures):
    - Squawk also flags tables created earlier in the same file; they are empty and
      invisible to other sessions, so nothing can block on them.
    - dbsense also skips a column added earlier in the same migration: no release reads it
      yet.

    ## References
    - https://www.postgresql.org/docs/current/sql-altertable.html
    """

    code = "PG111"
    name = "renaming-column"
    summary = "Column rename breaks the release that is still running"
    fix_availability = FixAvailability.ALWAYS
    tags = ("migration", "compatibility")
    consumes = (RenameColumnFact,)
    options = ("postgres.backward-compatible-migrations",)
    peers = ("squawk:renaming-column",)

    def check(self, fact: RenameColumnFact, ctx: RuleContext) -> Iterator[Finding]:
        if not must_stay_compatible(fact.table_created_in_unit, ctx):
            return
        if column_added_earlier(ctx, fact, fact.table, fact.column):
            return
        table = display_name(fact.table)
        recipe = (
            f"-- ALTER TABLE {table} ADD COLUMN {fact.new_name} (the type of {fact.column});\n"
            f"-- write both {fact.column} and {fact.new_name}, backfill, switch reads, "
            f"then drop {fact.column} in a later migration"
        )
        yield Finding(
            fact.action_span,
            f"renaming `{table}.{fact.column}` to `{fact.new_name}` breaks queries of the "
            "release still running during the deploy",
            Fix(
                "Add the new column and migrate in steps",
                (Edit(fact.span, recipe),),
                Applicability.DISPLAY_ONLY,
            ),
        )
