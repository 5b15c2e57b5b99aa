from collections.abc import Iterator

from dbsense.analyzers.ir import CreateIndexFact, Span
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)
from dbsense.engines.postgres.framework import framework_fix


class CreateIndexNotConcurrently(Rule):
    """## What it does
    Flags `CREATE INDEX` on a table that already exists without `CONCURRENTLY`.

    ## Why is this bad?
    A plain `CREATE INDEX` takes a `SHARE` lock on the table for the whole build: reads go on,
    but every `INSERT`, `UPDATE` and `DELETE` waits until the index is written, which on a large
    table means minutes of blocked writes. Worse, the lock request queues behind long-running
    transactions, and everything that arrives after it queues behind the lock.

    `CREATE INDEX CONCURRENTLY` takes `SHARE UPDATE EXCLUSIVE` instead, which blocks no reads or
    writes. It scans the table twice and waits for transactions that could still see the old
    state, so it takes longer, but the application keeps running.

    A table created earlier in the same migration is empty and invisible to other sessions, so
    the rule stays silent there.

    ## Example
    ```sql
    CREATE INDEX orders_customer_id_idx ON orders (customer_id);
    ```

    Use instead:
    ```sql
    CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
    ```

    ## Django
    Use `AddIndexConcurrently` (from `django.contrib.postgres.operations`) in a migration with
    `atomic = False`.

    ## SQLAlchemy / Alembic
    Pass `postgresql_concurrently=True` to `op.create_index` inside
    `with op.get_context().autocommit_block():`.

    `batch_op.create_index` in a `batch_alter_table()` block counts the same: on PostgreSQL
    batch mode runs plain `ALTER` and `CREATE INDEX` statements. They are queued and run when
    the block exits, so the fix is not offered there; put the whole block inside
    `autocommit_block()` with `postgresql_concurrently=True`, or move the index out of it. With
    `recreate="always"` Alembic copies the table and builds every index on the copy while the
    `DROP` of the old table holds it locked, so the rule fires as well.

    ## Fix safety
    The fix is unsafe. `CONCURRENTLY` cannot run inside a transaction block, so a migration tool
    that wraps each file in a transaction must be told not to. If a concurrent build fails it
    leaves an `INVALID` index behind that must be dropped before retrying.

    ## References
    - https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
    - https://www.postgresql.org/docs/current/explicit-locking.html
    """

    code = "PG101"
    name = "create-index-not-concurrently"
    summary = "`CREATE INDEX` on an existing table without `CONCURRENTLY` blocks writes"
    fix_availability = FixAvailability.ALWAYS
    tags = ("locking", "migration")
    consumes = (CreateIndexFact,)
    peers = ("squawk:require-concurrent-index-creation",)

    def check(self, fact: CreateIndexFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.concurrently or fact.table_created_in_unit:
            return
        if str(fact.table) in (ctx.option("postgres", "small-tables") or ()):
            return
        insert_at = fact.concurrently_insert_at
        span = Span(fact.span.start, insert_at) if insert_at else fact.span
        fix = framework_fix(ctx, fact.span, "concurrently")
        if insert_at is not None:
            fix = Fix(
                "Add `CONCURRENTLY`",
                (Edit(Span(insert_at, insert_at), " CONCURRENTLY"),),
                Applicability.UNSAFE,
            )
        yield Finding(
            span,
            f"`CREATE INDEX` on `{fact.table}` without `CONCURRENTLY` blocks writes "
            "to the table while the index builds",
            fix,
        )
