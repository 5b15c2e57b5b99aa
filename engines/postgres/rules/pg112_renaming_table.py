from collections.abc import Iterator

from dbsense.analyzers.ir import CreateViewFact, RenameTableFact, Span
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)
from dbsense.engines.postgres.helpers import display_name, must_stay_compatible


class RenamingTable(Rule):
    """## What it does
    Flags `ALTER TABLE ... RENAME TO` on an existing table.

    ## Why is this bad?
    The rename is a quick catalog change under `ACCESS EXCLUSIVE`, but the release that is
    still running during the deploy keeps querying the old name and fails until every old
    process is gone. Raw SQL, views and functions naming the table break too.

    The rule stays silent for a table created earlier in the same migration (it has no readers
    yet) and when the same migration creates a view with the old name after the rename.

    ## Example
    ```sql
    ALTER TABLE orders RENAME TO purchases;
    ```

    Use instead:
    ```sql
    ALTER TABLE orders RENAME TO purchases;
    CREATE VIEW orders AS SELECT * FROM purchases;
    -- drop the view once no release uses the old name
    ```

    ## Django
    `RenameModel` renames the table unless `Meta.db_table` pins it, and `AlterModelTable`
    renames it outright. Pin `db_table` to the old name, or add a compatibility view with
    `RunSQL`.

    ## SQLAlchemy / Alembic
    `op.rename_table` renames it. Keep `__tablename__` on the old name, or create a view with
    the old name in the same revision and drop it later.

    ## Fix safety
    The recipe is display-only. A simple view over one table is updatable, so old code can keep
    reading and writing through it, but it has to be dropped in a later migration.

    ## Options
    `postgres.backward-compatible-migrations = false` turns the rule off for projects that stop
    the application while migrating.

    ## Known differences
    Compared with Squawk (the parity test runs both on the fixtures):
    - Squawk also flags tables created earlier in the same file; they are empty and
      invisible to other sessions, so nothing can block on them.
    - dbsense skips a rename followed by a compatibility view with the old name.

    ## References
    - https://www.postgresql.org/docs/current/sql-altertable.html
    - https://www.postgresql.org/docs/current/sql-createview.html#SQL-CREATEVIEW-UPDATABLE-VIEWS
    """

    code = "PG112"
    name = "renaming-table"
    summary = "Table rename breaks the release that is still running"
    fix_availability = FixAvailability.ALWAYS
    tags = ("migration", "compatibility")
    consumes = (RenameTableFact,)
    options = ("postgres.backward-compatible-migrations",)
    peers = ("squawk:renaming-table",)

    def check(self, fact: RenameTableFact, ctx: RuleContext) -> Iterator[Finding]:
        if not must_stay_compatible(fact.table_created_in_unit, ctx):
            return
        if _compatibility_view(fact, ctx):
            return
        old = display_name(fact.table)
        schema = f"{fact.table.schema}." if fact.table.schema not in (None, "public") else ""
        new = f"{schema}{fact.new_name}"
        view = f"\nCREATE VIEW {old} AS SELECT * FROM {new};"
        yield Finding(
            fact.action_span,
            f"renaming table `{old}` to `{new}` breaks queries of the release still running "
            "during the deploy",
            Fix(
                f"Keep `{old}` as a compatibility view",
                (Edit(Span(fact.span.end, fact.span.end), view),),
                Applicability.DISPLAY_ONLY,
            ),
        )


def _compatibility_view(fact: RenameTableFact, ctx: RuleContext) -> bool:
    """A view with the old name created later in the same unit keeps old queries working."""
    return any(
        isinstance(other, CreateViewFact)
        and other.span.start > fact.span.start
        and other.view.name == fact.table.name
        and other.view.schema in (fact.table.schema, None)
        for other in ctx.unit_facts
    )
