from collections.abc import Iterator

from dbsense.analyzers.ir import (
    ALEMBIC,
    SQL_FILE,
    SQLALCHEMY,
    AddColumnFact,
    ColumnDef,
    CreateTableFact,
    QualifiedName,
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
)
from dbsense.engines.postgres.framework import declared_by_model

NAIVE = "timestamp without time zone"


class TimestampWithoutTimeZone(Rule):
    """## What it does
    Flags columns of type `timestamp` (`timestamp without time zone`).

    ## Why is this bad?
    `timestamp` stores a wall-clock reading with no offset. The same value means different
    instants to clients in different time zones, arithmetic across daylight-saving changes is
    wrong, and converting later needs to know what zone every writer assumed.

    `timestamptz` stores an instant (internally UTC) and converts to the session's `TimeZone`
    on the way in and out. It takes the same 8 bytes and is just as fast to index.

    ## Example
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp NOT NULL);
    ```

    Use instead:
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL);
    ```

    ## SQLAlchemy / Alembic
    Use `DateTime(timezone=True)`.

    ## Django
    `DateTimeField` is already `timestamp with time zone`; the rule does not fire on it.

    ## Fix safety
    The fix is unsafe: existing naive values are reinterpreted in the session's time zone when
    the column type changes, and code that writes naive values will have them read as local
    time. For an existing column the change is a type change (see `changing-column-type`); on
    PostgreSQL 12 and later it needs no table rewrite when the session `TimeZone` is UTC.

    ## References
    - https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_timestamp_.28without_time_zone.29
    - https://www.postgresql.org/docs/current/datatype-datetime.html
    """

    code = "PG302"
    name = "timestamp-without-time-zone"
    summary = "`timestamp` column stores wall-clock time without an offset"
    fix_availability = FixAvailability.ALWAYS
    tags = ("schema", "types")
    consumes = (CreateTableFact, AddColumnFact)
    peers = ("squawk:prefer-timestamp-tz",)

    def check(self, fact: CreateTableFact | AddColumnFact, ctx: RuleContext) -> Iterator[Finding]:
        columns = fact.columns if isinstance(fact, CreateTableFact) else (fact.column,)
        for column in columns:
            if declared_by_model(ctx, fact.origin, fact.table, column.name):
                continue
            finding = self._check_column(fact.table, column, fact.origin)
            if finding is not None:
                yield finding

    def _check_column(
        self, table: QualifiedName, column: ColumnDef, origin: str = SQL_FILE
    ) -> Finding | None:
        type_ = column.type
        if type_ is None or type_.name != NAIVE:
            return None
        if origin in (SQLALCHEMY, ALEMBIC):
            return self._framework_finding(table, column, type_)
        replacement = "timestamptz"
        if type_.args:
            replacement += f"({','.join(type_.args)})"
        if type_.array:
            replacement += "[]"
        fix = Fix(f"Use `{replacement}`", (Edit(type_.span, replacement),), Applicability.UNSAFE)
        return Finding(
            type_.span,
            f"`{table}.{column.name}` is `timestamp without time zone`; "
            "use `timestamptz` to store an instant",
            fix,
        )

    def _framework_finding(
        self, table: QualifiedName, column: ColumnDef, type_: TypeRef
    ) -> Finding:
        """``DateTime()`` -> ``DateTime(timezone=True)``; a ``Mapped[datetime]`` annotation
        gets no fix (the column needs an explicit type)."""
        raw = type_.raw.strip()
        fix = None
        if "DateTime" in raw or "TIMESTAMP" in raw:
            if "timezone=False" in raw:
                replacement = raw.replace("timezone=False", "timezone=True")
            elif raw.endswith("()"):
                replacement = raw[:-1] + "timezone=True)"
            elif raw.endswith(")"):
                replacement = raw[:-1].rstrip().rstrip(",") + ", timezone=True)"
            else:
                replacement = raw + "(timezone=True)"
            fix = Fix(
                f"Use `{replacement}`", (Edit(type_.span, replacement),), Applicability.UNSAFE
            )
        return Finding(
            type_.span,
            f"`{table}.{column.name}` is `timestamp without time zone`; "
            "use `DateTime(timezone=True)` to store an instant",
            fix,
        )
