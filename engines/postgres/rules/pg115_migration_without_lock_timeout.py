from collections.abc import Iterator

from dbsense.analyzers.ir import (
    AddColumnFact,
    AddConstraintFact,
    AlterColumnDefaultFact,
    AlterColumnNullFact,
    AlterColumnTypeFact,
    CreateIndexFact,
    DropColumnFact,
    DropConstraintFact,
    DropIndexFact,
    DropTableFact,
    Fact,
    RenameColumnFact,
    RenameTableFact,
    SettingFact,
    Span,
    StatementFact,
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
from dbsense.engines.postgres.framework import restated_type
from dbsense.engines.postgres.helpers import display_name
from dbsense.engines.postgres.units import statement_of

_ACCESS_EXCLUSIVE = (
    AddColumnFact,
    AlterColumnDefaultFact,
    AlterColumnNullFact,
    AlterColumnTypeFact,
    DropColumnFact,
    DropConstraintFact,
    DropTableFact,
    RenameColumnFact,
    RenameTableFact,
)
_DISABLED = {"0", "0s", "0ms", "default"}


class MigrationWithoutLockTimeout(Rule):
    """## What it does
    Flags the first statement of a migration that takes a blocking lock on an existing table
    when no `SET lock_timeout` comes before it.

    ## Why is this bad?
    DDL waits for its lock like any query. An `ALTER TABLE` that needs `ACCESS EXCLUSIVE` waits
    behind every transaction touching the table, even a long report or an idle-in-transaction
    session, and while it waits, every query that arrives after it queues behind it, reads
    included. A migration that would take milliseconds turns into an outage of minutes.

    `lock_timeout` bounds that wait: the statement fails fast instead of stalling the
    application, and the migration can be retried. The rule looks at statements that take
    `SHARE` (`CREATE INDEX`), `SHARE ROW EXCLUSIVE` (foreign keys) or `ACCESS EXCLUSIVE` (most
    `ALTER TABLE` forms, `DROP TABLE`, `DROP INDEX`) on tables that existed before the
    migration; concurrent index builds, `VALIDATE CONSTRAINT` and new tables need no timeout.

    ## Example
    ```sql
    ALTER TABLE orders ADD COLUMN note text;
    ```

    Use instead:
    ```sql
    SET lock_timeout = '5s';
    ALTER TABLE orders ADD COLUMN note text;
    ```

    ## Django
    Add `migrations.RunSQL("SET lock_timeout = '5s'", migrations.RunSQL.noop)` as the first
    operation, or set it for every migration connection with
    `OPTIONS = {"options": "-c lock_timeout=5s"}` and `postgres.lock-timeout-configured = true`.

    ## SQLAlchemy / Alembic
    Run `op.execute("SET LOCAL lock_timeout = '5s'")` first, or set it once in `env.py`
    (`connection.execute(text("SET lock_timeout = '5s'"))`) and set
    `postgres.lock-timeout-configured = true`.

    ## Fix safety
    The fix is unsafe: the migration may now fail when it cannot get its lock in time, and the
    deploy must retry it. Inside a transaction block the fix uses `SET LOCAL`. Python
    migrations get no automatic fix: add the `op.execute(...)` shown above by hand.

    ## Options
    - `postgres.lock-timeout` is the value the fix inserts (`5s`).
    - `postgres.lock-timeout-configured = true` says a project-wide timeout exists: the rule is
      off.
    - `postgres.require-statement-timeout = true` also requires `statement_timeout`
      (`postgres.statement-timeout` is the inserted value).

    ## Known differences
    Compared with Squawk (the parity test runs both on the fixtures):
    - Squawk counts a statement on a table created earlier in the same file as the first
      blocking one; dbsense skips it and reports the first statement on a table that already
      exists.
    - `SET lock_timeout = 0` disables the timeout; dbsense does not count it, Squawk does.
    - With `postgres.require-statement-timeout` dbsense also requires `statement_timeout`
      under this code; Squawk has a separate `require-statement-timeout` rule.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT
    - https://www.postgresql.org/docs/current/explicit-locking.html
    """

    code = "PG115"
    name = "migration-without-lock-timeout"
    summary = "Blocking lock taken before the migration sets `lock_timeout`"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("locking", "migration")
    consumes = (StatementFact,)
    options = (
        "postgres.lock-timeout",
        "postgres.lock-timeout-configured",
        "postgres.require-statement-timeout",
        "postgres.statement-timeout",
    )
    peers = ("squawk:require-lock-timeout",)

    def check(self, fact: StatementFact, ctx: RuleContext) -> Iterator[Finding]:
        first = next((f for f in ctx.unit_facts if isinstance(f, StatementFact)), None)
        if first is not fact or ctx.option("postgres", "lock-timeout-configured"):
            return
        required = {"lock_timeout": ctx.option("postgres", "lock-timeout") or "5s"}
        if ctx.option("postgres", "require-statement-timeout"):
            required["statement_timeout"] = ctx.option("postgres", "statement-timeout") or "5min"
        created_indexes: set[str] = set()
        for other in ctx.unit_facts:
            if isinstance(other, SettingFact) and other.name in required:
                if other.value.strip().lower() not in _DISABLED:
                    del required[other.name]
                if not required:
                    return
                continue
            if isinstance(other, CreateIndexFact) and other.name and other.table_created_in_unit:
                created_indexes.add(other.name)
            if isinstance(other, AlterColumnTypeFact) and restated_type(ctx, other):
                continue
            lock = _blocking_lock(other, created_indexes)
            if lock is not None:
                yield self._finding(other, lock, required, ctx)
                return

    def _finding(
        self, fact: Fact, lock: tuple[str, str], required: dict[str, str], ctx: RuleContext
    ) -> Finding:
        statement = statement_of(ctx, fact.span)
        span = statement.span if statement is not None else fact.span
        mode, table = lock
        names = " and ".join(f"`{name}`" for name in required)
        local = statement is not None and statement.transaction is not None
        before = ctx.line_before(span.start)
        indent = before if not before.strip() else ""
        keyword = "SET LOCAL" if local else "SET"
        lines = "".join(
            f"{keyword} {name} = '{value}';\n{indent}" for name, value in required.items()
        )
        fix = Fix(
            f"Set {names} first",
            (Edit(Span(span.start, span.start), lines),),
            Applicability.UNSAFE,
        )
        if ctx.file is None or ctx.file.language != "sql":
            fix = None  # SQL text inserted into a Python migration would not parse
        return Finding(
            span,
            f"this statement takes `{mode}` on `{table}` with no {names} set before it: "
            "waiting for the lock stalls every query on the table",
            fix,
        )


def _blocking_lock(fact: Fact, created_indexes: set[str]) -> tuple[str, str] | None:
    """The lock mode and table of a statement that blocks others, or ``None``."""
    if isinstance(fact, CreateIndexFact):
        if fact.concurrently or fact.table_created_in_unit:
            return None
        return "SHARE", display_name(fact.table)
    if isinstance(fact, AddConstraintFact):
        if fact.table_created_in_unit:
            return None
        if fact.constraint.kind == "foreign-key":
            return "SHARE ROW EXCLUSIVE", display_name(fact.table)
        return "ACCESS EXCLUSIVE", display_name(fact.table)
    if isinstance(fact, _ACCESS_EXCLUSIVE):
        if fact.table_created_in_unit:
            return None
        return "ACCESS EXCLUSIVE", display_name(fact.table)
    if isinstance(fact, DropIndexFact):
        if fact.concurrently or fact.index.name in created_indexes:
            return None
        return "ACCESS EXCLUSIVE", f"the table of index {display_name(fact.index)}"
    return None
