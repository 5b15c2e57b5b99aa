from collections.abc import Iterator

from dbsense.analyzers.ir import DropTableFact
from dbsense.engines.core import Finding, FixAvailability, Rule, RuleContext
from dbsense.engines.postgres.helpers import (
    display_name,
    drop_in_later_release,
    foreign_key_label,
    foreign_keys_to,
    must_stay_compatible,
)


class DroppingTable(Rule):
    """## What it does
    Flags `DROP TABLE` of a table that existed before the migration.

    ## Why is this bad?
    `DROP TABLE` takes an `ACCESS EXCLUSIVE` lock and removes the data for good. The release
    still running during the deploy keeps querying the table and fails from that moment on, and
    a rollback of the code cannot bring the data back. With `CASCADE`, Postgres also drops the
    views and the foreign keys of other tables that point at it.

    A table created earlier in the same migration has no readers yet, so the rule stays silent.

    ## Example
    ```sql
    DROP TABLE legacy_orders;
    ```

    Use instead:
    ```sql
    -- release 1: stop using legacy_orders (remove the model) and deploy
    -- release 2, a later migration, after a backup:
    DROP TABLE legacy_orders;  -- noqa: PG114 -- unused since 4.2, archived to S3
    ```

    ## Django
    Delete the model with `SeparateDatabaseAndState` (state only: `DeleteModel` in
    `state_operations`), deploy, then drop the table in a later migration.

    ## SQLAlchemy / Alembic
    Remove the model and deploy before a later revision runs `op.drop_table`.

    ## Fix safety
    The recipe is display-only: it needs a deploy between the two steps.

    ## Options
    `postgres.backward-compatible-migrations = false` turns the rule off for projects that stop
    the application while migrating.

    ## Known differences
    Compared with Squawk (the parity test runs both on the fixtures):
    - Squawk also flags tables created earlier in the same file; they are empty and
      invisible to other sessions, so nothing can block on them.

    ## References
    - https://www.postgresql.org/docs/current/sql-droptable.html
    - https://docs.djangoproject.com/en/stable/ref/migration-operations/#separatedatabaseandstate
    """

    code = "PG114"
    name = "dropping-table"
    summary = "Table drop breaks the release that is still running"
    fix_availability = FixAvailability.ALWAYS
    tags = ("migration", "compatibility")
    consumes = (DropTableFact,)
    options = ("postgres.backward-compatible-migrations",)
    peers = ("squawk:ban-drop-table",)

    def check(self, fact: DropTableFact, ctx: RuleContext) -> Iterator[Finding]:
        if not must_stay_compatible(fact.table_created_in_unit, ctx):
            return
        table = display_name(fact.table)
        message = (
            f"dropping table `{table}` breaks the release still running during the deploy "
            "and deletes its data"
        )
        recipe = (
            f"-- release 1: remove every use of {table} and deploy\n"
            f"-- release 2, a later migration, after a backup:\n"
            f"DROP TABLE {table};"
        )
        dependents = _referencing(fact, ctx) if fact.cascade else None
        yield drop_in_later_release(fact, message, recipe, dependents)


def _referencing(fact: DropTableFact, ctx: RuleContext) -> list[str]:
    """Foreign keys of other tables that point at the dropped table, from the catalog."""
    if ctx.catalog is None:
        return []
    dropped = display_name(fact.table)
    return [
        foreign_key_label(table, fk)
        for table, fk in foreign_keys_to(ctx.catalog, fact.table)
        if display_name(table.name) != dropped
    ]
