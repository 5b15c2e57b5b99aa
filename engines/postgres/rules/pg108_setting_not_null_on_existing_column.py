import re
from collections.abc import Collection, Iterator

from dbsense.analyzers.catalog import Catalog
from dbsense.analyzers.ir import (
    AddConstraintFact,
    AlterColumnNullFact,
    Fact,
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
from dbsense.engines.postgres.helpers import display_name, index_name
from dbsense.engines.postgres.units import earlier, same_transaction

CHECK_PROOF = 12  # SET NOT NULL skips the scan when a valid CHECK proves it, from this version
_IS_NOT_NULL = re.compile(r'^\(*\s*"?(?P<column>[\w$]+)"?\s+IS\s+NOT\s+NULL\s*\)*$', re.I)


class SettingNotNullOnExistingColumn(Rule):
    """## What it does
    Flags `ALTER COLUMN ... SET NOT NULL` on an existing table.

    ## Why is this bad?
    `SET NOT NULL` takes an `ACCESS EXCLUSIVE` lock and then scans the whole table to prove that
    no row holds a NULL. Reads and writes wait for the full scan.

    From PostgreSQL 12 the scan is skipped when a valid `CHECK (column IS NOT NULL)` constraint
    already proves it. That constraint can be added `NOT VALID` (instant) and validated in a
    later transaction under `SHARE UPDATE EXCLUSIVE`, which does not block reads or writes.
    The rule stays silent when such a validated CHECK exists before the statement (in an earlier
    migration, or validated in an earlier transaction of the same one).

    A table created earlier in the same migration is empty, so the rule stays silent there.

    ## Example
    ```sql
    ALTER TABLE orders ALTER COLUMN currency SET NOT NULL;
    ```

    Use instead:
    ```sql
    ALTER TABLE orders ADD CONSTRAINT orders_currency_not_null
        CHECK (currency IS NOT NULL) NOT VALID;
    -- in a later migration:
    ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_not_null;
    ALTER TABLE orders ALTER COLUMN currency SET NOT NULL;
    ALTER TABLE orders DROP CONSTRAINT orders_currency_not_null;
    ```

    ## Django
    `AlterField` from `null=True` to `null=False` runs `SET NOT NULL`. `AlterField` restates
    the whole field, so the rule compares it with the field as the earlier migrations left it
    and fires only when the column was nullable before (never when that is unknown). With a
    `default`, Django also fills the NULLs first, with an `UPDATE` in the same transaction. Add
    the CHECK with `AddConstraintNotValid` and `ValidateConstraint`
    (`django.contrib.postgres.operations`) in earlier migrations, then alter the field.

    ## SQLAlchemy / Alembic
    `op.alter_column(..., nullable=False)` runs `SET NOT NULL`. Create the CHECK with
    `op.execute("... NOT VALID")`, validate it in an earlier revision, then alter the column.
    `batch_op.alter_column(..., nullable=False)` in a `batch_alter_table()` block runs the same
    statement on PostgreSQL; with `recreate="always"` the NULL check happens while every row is
    copied into the new table, which is no cheaper.

    ## Fix safety
    The recipe is display-only: it spans two migrations (validation must commit before
    `SET NOT NULL` can use it).

    ## Options
    `postgres.version` below 12 ignores the CHECK proof: the scan always happens, so the rule
    fires even when the CHECK exists.

    ## Known differences
    Compared with Squawk (the parity test runs both on the fixtures):
    - Squawk also flags tables created earlier in the same file; they are empty and
      invisible to other sessions, so nothing can block on them.
    - When the proving CHECK is added and validated in the same transaction as `SET NOT
      NULL`, dbsense still fires: the `ACCESS EXCLUSIVE` lock of the `ADD CONSTRAINT` is
      held through the validation scan. Squawk accepts it.
    - Squawk reads one file at a time, so it misses a proving CHECK added by an earlier
      migration; dbsense finds it in the workspace catalog.

    ## References
    - https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DROP-NOT-NULL
    """

    code = "PG108"
    name = "setting-not-null-on-existing-column"
    summary = "`SET NOT NULL` on an existing table scans it under `ACCESS EXCLUSIVE`"
    fix_availability = FixAvailability.ALWAYS
    tags = ("locking", "migration")
    consumes = (AlterColumnNullFact,)
    options = ("postgres.version", "postgres.assume-in-transaction")
    peers = ("squawk:adding-not-nullable-field",)

    def __init__(self) -> None:
        self._memo: tuple[Catalog, _Nullability] | None = None

    def check(self, fact: AlterColumnNullFact, ctx: RuleContext) -> Iterator[Finding]:
        if not fact.not_null or fact.table_created_in_unit:
            return
        if fact.restated and not self._was_nullable(fact, ctx):
            return
        version = ctx.option("postgres", "version") or 15
        if version >= CHECK_PROOF and self._proven(fact, ctx):
            return
        table = display_name(fact.table)
        what = (
            f"`AlterField` drops `null=True` from `{table}.{fact.column}`: `SET NOT NULL`"
            if fact.restated
            else f"`SET NOT NULL` on `{table}.{fact.column}`"
        )
        yield Finding(
            fact.action_span,
            f"{what} scans the whole table while it holds `ACCESS EXCLUSIVE`; prove it with a "
            "validated `CHECK (... IS NOT NULL)` first",
            self._recipe(fact, version),
        )

    # --- the column just before a restated field -------------------------------------------

    def observe_replay(self, catalog: Catalog) -> "_Nullability":
        """Record, during the workspace's replay, whether each restated column was nullable
        just before its operation; the record is ``catalog.observations[PG108]``."""
        return _Nullability()

    def _was_nullable(self, fact: AlterColumnNullFact, ctx: RuleContext) -> bool:
        if ctx.catalog is None or ctx.file is None:
            return False
        observed = ctx.catalog.observations.get(self.code)
        if not isinstance(observed, _Nullability):  # a catalog replayed by someone else
            memo = self._memo
            if memo is None or memo[0] is not ctx.catalog:
                observed = _Nullability()
                ctx.catalog.replay_history(observed.before)
                memo = self._memo = (ctx.catalog, observed)
            observed = memo[1]
        return observed.nullable(ctx.file.path, fact) is True

    def _proven(self, fact: AlterColumnNullFact, ctx: RuleContext) -> bool:
        validated = {
            other.name
            for other in earlier(ctx, fact, ValidateConstraintFact)
            if other.table == fact.table and not same_transaction(ctx, other.span, fact.span)
        }
        for other in earlier(ctx, fact, AddConstraintFact):
            constraint = other.constraint
            if other.table != fact.table or not _proves(constraint.expression, fact.column):
                continue
            valid = not constraint.not_valid or constraint.name in validated
            if valid and not same_transaction(ctx, other.span, fact.span):
                return True
        # CHECKs from other migrations, validated by the end of the history.
        table = ctx.catalog.table(fact.table) if ctx.catalog is not None else None
        here = ctx.file.path if ctx.file is not None else None
        return any(
            check.location.path != here and check.validated
            for check in getattr(table, "checks", ())
            if _proves(check.expression, fact.column)
        )

    def _recipe(self, fact: AlterColumnNullFact, version: int) -> Fix:
        table, column = fact.table, fact.column
        name = display_name(table)
        check = index_name(table, (column,), "not_null")
        if version < CHECK_PROOF:
            recipe = (
                f"-- PostgreSQL {version} always scans: run SET NOT NULL in a quiet window, "
                "or upgrade to 12+ and prove it with a validated CHECK"
            )
        else:
            recipe = (
                f"ALTER TABLE {name} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) "
                "NOT VALID;\n-- in a later migration:\n"
                f"ALTER TABLE {name} VALIDATE CONSTRAINT {check};\n"
                f"ALTER TABLE {name} ALTER COLUMN {column} SET NOT NULL;\n"
                f"ALTER TABLE {name} DROP CONSTRAINT {check};"
            )
        return Fix(
            "Prove `NOT NULL` with a validated CHECK first",
            (Edit(fact.span, recipe),),
            Applicability.DISPLAY_ONLY,
        )


class _Nullability:
    """Whether each restated column was nullable just before its operation (``None``: the
    column was not known), per unit, so a unit replayed again replaces its own."""

    def __init__(self) -> None:
        self._by_unit: dict[str, dict[tuple[Span, str], bool | None]] = {}

    def before(self, state: Catalog, path: str, fact: Fact) -> None:
        if isinstance(fact, AlterColumnNullFact) and fact.restated:
            table = state.table(fact.table)
            column = table.columns.get(fact.column) if table is not None else None
            nullable = column.nullable if column is not None else None
            self._by_unit.setdefault(path, {})[(fact.span, fact.column)] = nullable

    def forget(self, paths: Collection[str]) -> None:
        for path in paths:
            self._by_unit.pop(path, None)

    def nullable(self, path: str, fact: AlterColumnNullFact) -> bool | None:
        return self._by_unit.get(path, {}).get((fact.span, fact.column))


def _proves(expression: str | None, column: str) -> bool:
    match = _IS_NOT_NULL.match((expression or "").strip())
    return bool(match and match.group("column").lower() == column.lower())
