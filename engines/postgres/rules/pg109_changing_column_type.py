from collections.abc import Iterator

from dbsense.analyzers.ir import (
    DJANGO_MIGRATION,
    AddColumnFact,
    AlterColumnTypeFact,
    TypeRef,
)
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
    Severity,
)
from dbsense.engines.postgres.framework import restated_type
from dbsense.engines.postgres.helpers import display_name
from dbsense.engines.postgres.units import earlier

NO_REWRITE_TIMESTAMPTZ = 12  # timestamp <-> timestamptz without a rewrite under UTC, from 12
_TEXTUAL = {"character varying", "text"}
_TIMESTAMPS = {"timestamp without time zone", "timestamp with time zone"}
_DEFINING = (AlterColumnTypeFact, AddColumnFact)


class ChangingColumnType(Rule):
    """## What it does
    Flags `ALTER COLUMN ... TYPE` on an existing table unless the change is binary-coercible
    (Postgres can keep the stored bytes).

    ## Why is this bad?
    A type change takes an `ACCESS EXCLUSIVE` lock and, unless the old bytes are valid for the
    new type, rewrites the whole table and rebuilds every index on it. Reads and writes wait for
    the full rewrite, which on a large table takes minutes to hours. The running release may also
    still write values in the old format.

    These changes need no rewrite, so the rule stays silent on them:
    - `varchar(n)` to a wider `varchar`, to unbounded `varchar`, or to `text`;
    - `numeric(p, s)` to a larger precision with the same scale, or to unbounded `numeric`;
    - `cidr` to `inet`;
    - `timestamp` to `timestamptz` (or back) on PostgreSQL 12 or later when the session
      `TimeZone` is UTC (`postgres.timezone = "UTC"`); indexed columns still get an `info`,
      because the index is rebuilt.

    Any `USING` clause counts as a rewrite. When the old type is not known (the column comes
    from outside the workspace) the rule assumes a rewrite.

    ## Example
    ```sql
    ALTER TABLE orders ALTER COLUMN id TYPE bigint;
    ```

    Use instead:
    ```sql
    ALTER TABLE orders ADD COLUMN id_new bigint;
    -- dual-write id_new from the application (or a trigger), backfill in batches,
    -- then swap the columns in a short transaction.
    ```

    ## Django
    `AlterField` that changes the column type rewrites the table. Add a new field, copy the
    data in batches, and switch the code over before removing the old field.

    ## SQLAlchemy / Alembic
    `op.alter_column(..., type_=...)` rewrites the table. Use the same expand, backfill and
    swap sequence across revisions. `batch_op.alter_column(..., type_=...)` in a
    `batch_alter_table()` block is the same `ALTER COLUMN ... TYPE` on PostgreSQL, and with
    `recreate="always"` Alembic copies the whole table anyway.

    ## Fix safety
    The recipe is display-only: it spans several deploys and needs application changes.

    ## Options
    `postgres.version` and `postgres.timezone` decide whether `timestamp` to `timestamptz`
    rewrites.

    ## Known differences
    Compared with Squawk (the parity test runs both on the fixtures):
    - Squawk also flags tables created earlier in the same file; they are empty and
      invisible to other sessions, so nothing can block on them.
    - Squawk flags every type change; dbsense stays silent on binary-coercible ones (wider
      `varchar`, `text`, wider `numeric`, `cidr` to `inet`, `timestamptz` under UTC from
      PostgreSQL 12), which keep the stored data.

    ## References
    - https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
    - https://www.postgresql.org/docs/current/datatype-character.html
    """

    code = "PG109"
    name = "changing-column-type"
    summary = "Column type change rewrites an existing table under `ACCESS EXCLUSIVE`"
    fix_availability = FixAvailability.ALWAYS
    tags = ("locking", "migration")
    consumes = (AlterColumnTypeFact,)
    options = ("postgres.version", "postgres.timezone")
    peers = ("squawk:changing-column-type",)

    def check(self, fact: AlterColumnTypeFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.table_created_in_unit or fact.type is None or restated_type(ctx, fact):
            return
        old = _old_type(fact, ctx)
        if fact.origin == DJANGO_MIGRATION and ctx.catalog is not None and ctx.file is not None:
            old = ctx.catalog.type_before(ctx.file.path, fact)
        if old is not None and fact.using is None:
            verdict = _coercible(old, fact.type, ctx)
            if verdict == "free":
                return
            if verdict == "index-rebuild":
                if _indexed(fact, ctx):
                    yield Finding(
                        fact.action_span,
                        f"`{display_name(fact.table)}.{fact.column}` keeps its data, but the "
                        "indexes on it are rebuilt under `ACCESS EXCLUSIVE`",
                        severity=Severity.INFO,
                    )
                return
        was = f" from `{_shown(old, fact.origin)}`" if old is not None else ""
        table = display_name(fact.table)
        yield Finding(
            fact.action_span,
            f"changing `{table}.{fact.column}`{was} to `{_shown(fact.type, fact.origin)}` "
            "rewrites the table and its indexes while it holds `ACCESS EXCLUSIVE`",
            self._recipe(fact),
        )

    def _recipe(self, fact: AlterColumnTypeFact) -> Fix:
        table = display_name(fact.table)
        new = f"{fact.column}_new"
        recipe = (
            f"ALTER TABLE {table} ADD COLUMN {new} {fact.type.raw if fact.type else ''};\n"
            f"-- dual-write {new}, backfill it in batches, then swap in a short transaction:\n"
            f"-- ALTER TABLE {table} RENAME COLUMN {fact.column} TO {fact.column}_old;\n"
            f"-- ALTER TABLE {table} RENAME COLUMN {new} TO {fact.column};"
        )
        return Fix(
            "Add a new column, backfill, then swap",
            (Edit(fact.span, recipe),),
            Applicability.DISPLAY_ONLY,
        )


def _shown(type_: TypeRef, origin: str) -> str:
    """A type as the message names it: a Django field class says too little
    (``DecimalField`` to ``DecimalField``), so Django migrations show the SQL type."""
    if origin != DJANGO_MIGRATION:
        return type_.raw
    return type_.name + (f"({','.join(type_.args)})" if type_.args else "")


def _old_type(fact: AlterColumnTypeFact, ctx: RuleContext) -> TypeRef | None:
    """The column's type just before ``fact``: from this unit's earlier statements, else from
    the catalog when the catalog's definition is not this very statement."""
    found: TypeRef | None = None
    for other in earlier(ctx, fact, _DEFINING):
        if other.table != fact.table:
            continue
        if isinstance(other, AlterColumnTypeFact) and other.column == fact.column:
            found = other.type
        elif isinstance(other, AddColumnFact) and other.column.name == fact.column:
            found = other.column.type
    if found is not None:
        return found
    table = ctx.catalog.table(fact.table) if ctx.catalog is not None else None
    column = table.columns.get(fact.column) if table is not None else None
    if column is None or column.location.statement == fact.span:
        return None
    old = column.definition.type
    if old is None or (old.name, old.args, old.array) == (
        fact.type.name if fact.type else None,
        fact.type.args if fact.type else (),
        fact.type.array if fact.type else False,
    ):
        return None  # the catalog already holds the new type: the old one is unknown
    return old


def _coercible(old: TypeRef, new: TypeRef, ctx: RuleContext) -> str:
    """``free`` (no rewrite), ``index-rebuild`` or ``rewrite``."""
    if old.array != new.array:
        return "rewrite"
    if old.name == new.name and old.args == new.args:
        return "free"
    if old.name in _TEXTUAL and new.name in _TEXTUAL:
        if new.name == "text" or not new.args:
            return "free"
        if old.name == "character varying" and old.args and _wider(old.args[0], new.args[0]):
            return "free"
        return "rewrite"
    if old.name == new.name == "numeric":
        if not new.args:
            return "free"
        if old.args and len(old.args) == len(new.args) and _same_scale(old.args, new.args):
            return "free" if _wider(old.args[0], new.args[0]) else "rewrite"
        return "rewrite"
    if old.name == new.name == "bit varying" and old.args:
        return "free" if not new.args or _wider(old.args[0], new.args[0]) else "rewrite"
    if old.name == "cidr" and new.name == "inet":
        return "free"
    if {old.name, new.name} == _TIMESTAMPS:
        version = ctx.option("postgres", "version") or 15
        utc = (ctx.option("postgres", "timezone") or "").upper() in ("UTC", "ETC/UTC", "Z")
        if version >= NO_REWRITE_TIMESTAMPTZ and utc:
            return "index-rebuild"
    return "rewrite"


def _wider(old: str, new: str) -> bool:
    return old.isdigit() and new.isdigit() and int(new) >= int(old)


def _same_scale(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    return (old[1] if len(old) > 1 else "0") == (new[1] if len(new) > 1 else "0")


def _indexed(fact: AlterColumnTypeFact, ctx: RuleContext) -> bool:
    table = ctx.catalog.table(fact.table) if ctx.catalog is not None else None
    indexes = getattr(table, "indexes", ())
    return any(fact.column in index.columns for index in indexes)
