from collections.abc import Iterator

from dbsense.analyzers.ir import DropColumnFact
from dbsense.engines.core import Finding, FixAvailability, Rule, RuleContext
from dbsense.engines.postgres.helpers import (
    column_added_earlier,
    display_name,
    drop_in_later_release,
    foreign_key_label,
    foreign_keys_to,
    must_stay_compatible,
)


class DroppingColumn(Rule):
    """## What it does
    Flags `ALTER TABLE ... DROP COLUMN` of a column that existed before the migration.

    ## Why is this bad?
    The drop is quick (the column is only marked dropped, under a brief `ACCESS EXCLUSIVE`
    lock), but it is not backward compatible: the release still running during the deploy
    selects, inserts or maps the column and fails from that moment on. ORMs that list every
    mapped column in their `SELECT`s break even on code paths that never use the field. With
    `CASCADE`, Postgres also drops the views and constraints that depend on the column.

    A column added, or a table created, earlier in the same migration has no readers yet, so
    the rule stays silent there.

    ## Example
    ```sql
    ALTER TABLE orders DROP COLUMN legacy_code;
    ```

    Use instead:
    ```sql
    -- release 1: stop reading and writing legacy_code (remove it from the model)
    -- release 2, a later migration:
    ALTER TABLE orders DROP COLUMN legacy_code;  -- noqa: PG113 -- code stopped using it in 4.2
    ```

    ## Django
    Remove the field with `SeparateDatabaseAndState` (state only: `RemoveField` in
    `state_operations`), deploy, then drop the column in a later migration.

    ## SQLAlchemy / Alembic
    Remove the attribute from the model (or mark it `deferred` and unused) and deploy before a
    later revision runs `op.drop_column` (or `batch_op.drop_column` in a `batch_alter_table()`
    block, which drops the column the same way).

    ## Fix safety
    The recipe is display-only: it needs a deploy between the two steps.

    ## Options
    `postgres.backward-compatible-migrations = false` turns the rule off for projects that stop
    the application while migrating.

    ## Known differences
    Compared with Squawk (the parity test runs both on the fixtures):
    - Squawk also flags tables created earlier in the same file; they are empty and
      invisible to other sessions, so nothing can block on them.
    - dbsense also skips a column added earlier in the same migration. A `-- noqa: PG113`
      comment silences dbsense but not Squawk (which uses `-- squawk-ignore`).

    ## References
    - https://docs.djangoproject.com/en/stable/ref/migration-operations/#separatedatabaseandstate
    - https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-DROP-COLUMN
    """

    code = "PG113"
    name = "dropping-column"
    summary = "Column drop breaks the release that is still running"
    fix_availability = FixAvailability.ALWAYS
    tags = ("migration", "compatibility")
    consumes = (DropColumnFact,)
    options = ("postgres.backward-compatible-migrations",)
    peers = ("squawk:ban-drop-column",)

    def check(self, fact: DropColumnFact, ctx: RuleContext) -> Iterator[Finding]:
        if not must_stay_compatible(fact.table_created_in_unit, ctx):
            return
        if column_added_earlier(ctx, fact, fact.table, fact.column):
            return
        table = display_name(fact.table)
        message = (
            f"dropping `{table}.{fact.column}` breaks the release still running during the "
            "deploy; remove it from the code first and drop it in a later migration"
        )
        recipe = (
            f"-- release 1: remove {table}.{fact.column} from the code and deploy\n"
            f"-- release 2, a later migration:\n"
            f"ALTER TABLE {table} DROP COLUMN {fact.column};"
        )
        dependents = _dependents(fact, ctx) if fact.cascade else None
        yield drop_in_later_release(fact, message, recipe, dependents)


def _dependents(fact: DropColumnFact, ctx: RuleContext) -> list[str]:
    """Foreign keys of other tables that reference the column, from the catalog."""
    if ctx.catalog is None:
        return []
    return [
        foreign_key_label(table, fk)
        for table, fk in foreign_keys_to(ctx.catalog, fact.table)
        if fact.column in fk.definition.ref_columns
    ]
