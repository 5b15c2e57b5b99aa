from collections.abc import Iterator

from dbsense.analyzers.ir import (
    AddColumnFact,
    AddConstraintFact,
    ConstraintDef,
    Fact,
    QualifiedName,
    Span,
    ValidateConstraintFact,
)
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)
from dbsense.engines.postgres.framework import SQL_ORIGINS, framework_fix
from dbsense.engines.postgres.helpers import display_name, index_name
from dbsense.engines.postgres.units import earlier, same_transaction, transaction_end


class AddingForeignKeyWithoutNotValid(Rule):
    """## What it does
    Flags a foreign key added to an existing table without `NOT VALID`, and a `VALIDATE
    CONSTRAINT` that runs in the same transaction as the `NOT VALID` constraint it validates.

    ## Why is this bad?
    `ALTER TABLE ... ADD FOREIGN KEY` takes a `SHARE ROW EXCLUSIVE` lock on **both** tables and
    then scans the whole referencing table to check every row. While it scans, no row of either
    table can be inserted, updated or deleted, so a large table stalls writes on the parent too.

    Adding the constraint `NOT VALID` only records it: the lock is held for an instant and new
    rows are checked from then on. A later `ALTER TABLE ... VALIDATE CONSTRAINT` checks the old
    rows under `SHARE UPDATE EXCLUSIVE` (plus `ROW SHARE` on the referenced table), which lets
    reads and writes continue. Both steps must run in separate transactions: a transaction holds
    every lock it took until it commits, so validating in the same one gains nothing.

    A table created earlier in the same migration is empty, so the rule stays silent there.

    ## Example
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
        FOREIGN KEY (customer_id) REFERENCES customers (id);
    ```

    Use instead:
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
        FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
    -- in a later transaction or migration:
    ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;
    ```

    ## Django
    `AddField` with a `ForeignKey` adds the constraint in one step. Django's
    `AddConstraintNotValid` only takes CHECK constraints, so use `SeparateDatabaseAndState`
    with `RunSQL` for the `NOT VALID` constraint and a second migration to validate it.

    ## SQLAlchemy / Alembic
    Pass `postgresql_not_valid=True` to `op.create_foreign_key`, then run
    `ALTER TABLE ... VALIDATE CONSTRAINT` with `op.execute` in a later revision.
    `batch_op.create_foreign_key` in a `batch_alter_table()` block takes the same argument
    (batch mode runs plain `ALTER TABLE` on PostgreSQL). With `recreate="always"` the
    constraint is built while the table is copied, so no argument helps and no fix is offered.

    ## Fix safety
    The fix is unsafe: it appends `NOT VALID` and adds the `VALIDATE CONSTRAINT` statement after
    the transaction. Rows that violate the key make the validation fail instead of the `ADD`,
    and until it succeeds the planner cannot rely on the constraint.

    ## Options
    `postgres.assume-in-transaction` says each file runs in one transaction (most migration
    tools do that), so a `VALIDATE` in the same file counts as the same transaction.

    ## Known differences
    Compared with Squawk (the parity test runs both on the fixtures):
    - Squawk also flags tables created earlier in the same file; they are empty and
      invisible to other sessions, so nothing can block on them.
    - dbsense also flags a `VALIDATE CONSTRAINT` in the same transaction as its `NOT VALID`
      constraint; Squawk does not follow transactions.

    ## References
    - https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
    - https://www.postgresql.org/docs/current/explicit-locking.html
    """

    code = "PG104"
    name = "adding-foreign-key-without-not-valid"
    summary = "Foreign key added to an existing table without `NOT VALID`"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("locking", "migration")
    consumes = (AddConstraintFact, AddColumnFact, ValidateConstraintFact)
    options = ("postgres.assume-in-transaction",)
    peers = ("squawk:adding-foreign-key-constraint",)

    def check(self, fact: Fact, ctx: RuleContext) -> Iterator[Finding]:
        if isinstance(fact, ValidateConstraintFact):
            yield from self._validate(fact, ctx)
            return
        if not isinstance(fact, AddConstraintFact | AddColumnFact) or fact.table_created_in_unit:
            return
        table = display_name(fact.table)
        if isinstance(fact, AddColumnFact):
            fk = fact.column.references
            if fk is not None:
                yield Finding(
                    fact.column.span,
                    f"new column `{table}.{fact.column.name}` references "
                    f"`{display_name(fk.ref_table)}`: adding the foreign key validates every row "
                    f"of `{table}` while writes to both tables wait; add the column first, then "
                    "the constraint with `NOT VALID`",
                )
            return
        constraint = fact.constraint
        fk = constraint.foreign_key
        if constraint.kind != "foreign-key" or fk is None or constraint.not_valid:
            return
        columns = ", ".join(fk.columns)
        yield Finding(
            constraint.span,
            f"foreign key {table}({columns}) -> {display_name(fk.ref_table)} is validated while "
            f"it holds `SHARE ROW EXCLUSIVE` on both tables; add it `NOT VALID` and validate it "
            "in a later transaction",
            self._fix(fact.table, constraint, fact, ctx)
            if fact.origin in SQL_ORIGINS
            else framework_fix(ctx, constraint.span, "not-valid"),
        )

    def _validate(self, fact: ValidateConstraintFact, ctx: RuleContext) -> Iterator[Finding]:
        for other in earlier(ctx, fact, AddConstraintFact):
            constraint = other.constraint
            if (
                other.table == fact.table
                and constraint.kind == "foreign-key"
                and constraint.not_valid
                and constraint.name == fact.name
                and not other.table_created_in_unit
                and same_transaction(ctx, other.span, fact.span)
            ):
                yield Finding(
                    fact.action_span,
                    f"`VALIDATE CONSTRAINT {fact.name}` runs in the same transaction as the "
                    f"`NOT VALID` foreign key on `{display_name(fact.table)}`, so the locks are "
                    "held until both finish; validate in a later transaction",
                )

    def _fix(
        self, table: QualifiedName, constraint: ConstraintDef, fact: Fact, ctx: RuleContext
    ) -> Fix:
        fk = constraint.foreign_key
        name = constraint.name or index_name(table, fk.columns if fk else (), "fkey")
        end = constraint.span.end
        edits = [Edit(Span(end, end), " NOT VALID")]
        if constraint.name is None:
            start = constraint.span.start
            edits.insert(0, Edit(Span(start, start), f"CONSTRAINT {name} "))
        after = transaction_end(ctx, fact.span) or fact.span
        validate = f"\nALTER TABLE {display_name(table)} VALIDATE CONSTRAINT {name};"
        edits.append(Edit(Span(after.end, after.end), validate))
        return Fix("Add `NOT VALID` and validate later", tuple(edits), Applicability.UNSAFE)
