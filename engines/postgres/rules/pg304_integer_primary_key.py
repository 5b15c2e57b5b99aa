from collections.abc import Iterator

from dbsense.analyzers.ir import (
    AddColumnFact,
    ColumnDef,
    CreateTableFact,
    Fact,
    ForeignKeyDef,
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
from dbsense.engines.postgres.framework import declared_by_model, retype
from dbsense.engines.postgres.helpers import display_name

_NARROW = {
    "integer": "bigint",
    "smallint": "bigint",
    "serial": "bigserial",
    "smallserial": "bigserial",
}


class IntegerPrimaryKey(Rule):
    """## What it does
    Flags `integer`/`smallint` primary keys, identity and serial columns, and foreign keys of
    those types that point at them.

    ## Why is this bad?
    An `integer` key runs out at 2,147,483,647 (`smallint` at 32,767). Sequences do not reuse
    values, so rolled-back inserts, upserts and bulk loads burn through the range faster than
    the row count suggests. When it runs out, every insert fails. Widening the column later is a
    type change that rewrites the table and all its indexes under `ACCESS EXCLUSIVE`, and every
    referencing column has to change too. `bigint` costs 4 more bytes per row and lasts
    practically forever.

    ## Example
    ```sql
    CREATE TABLE orders (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
    ```

    Use instead:
    ```sql
    CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
    ```

    ## Django
    `AutoField` (explicit or through `DEFAULT_AUTO_FIELD`) is `integer`. Set
    `DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"`.

    ## SQLAlchemy / Alembic
    Use `BigInteger` for primary keys and the foreign keys that reference them.

    ## Fix safety
    The fix is unsafe: it changes the column type in the `CREATE TABLE`, which application code
    reading the value into 32-bit integers may not expect. Tables that already exist need a
    type change instead (see `changing-column-type`).

    ## Options
    Tables listed in `postgres.small-tables` are skipped.

    ## Known differences
    Compared with Squawk (the parity test runs both on the fixtures):
    - Squawk's `prefer-bigint-over-int` flags every `integer` column; dbsense flags only
      key, identity and serial columns and the foreign keys pointing at integer keys (see
      the rule catalog's decisions).
    - `smallint` keys are reported here; Squawk has a separate `prefer-bigint-over-smallint`
      rule.

    ## References
    - https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-INT
    - https://www.postgresql.org/docs/current/ddl-identity-columns.html
    """

    code = "PG304"
    name = "integer-primary-key"
    summary = "`integer` key column runs out at 2^31 and is costly to widen"
    fix_availability = FixAvailability.ALWAYS
    tags = ("schema", "types")
    consumes = (CreateTableFact, AddColumnFact)
    options = ("postgres.small-tables",)
    peers = ("squawk:prefer-bigint-over-int",)

    def check(self, fact: Fact, ctx: RuleContext) -> Iterator[Finding]:
        if not isinstance(fact, CreateTableFact | AddColumnFact):
            return
        if display_name(fact.table) in (ctx.option("postgres", "small-tables") or ()):
            return
        if isinstance(fact, CreateTableFact):
            pk = _table_pk(fact)
            foreign = {
                c: k.foreign_key for k in fact.constraints if k.foreign_key for c in k.columns
            }
            columns = fact.columns
        else:
            pk, foreign, columns = set(), {}, (fact.column,)
        for column in columns:
            if declared_by_model(ctx, fact.origin, fact.table, column.name):
                continue
            finding = self._column(fact.table, column, pk, foreign.get(column.name), ctx)
            if finding is not None and column.type is not None:
                yield retype(finding, fact.origin, column.type, _NARROW[column.type.name])

    def _column(
        self,
        table: QualifiedName,
        column: ColumnDef,
        pk: set[str],
        foreign: ForeignKeyDef | None,
        ctx: RuleContext,
    ) -> Finding | None:
        type_ = column.type
        if type_ is None or type_.array or type_.name not in _NARROW:
            return None
        name = f"{display_name(table)}.{column.name}"
        if column.primary_key or column.name in pk:
            what = "primary key"
        elif column.identity or type_.name in ("serial", "smallserial"):
            what = "identity column" if column.identity else f"`{type_.name}` column"
        else:
            reference = column.references or foreign
            target = _narrow_key(reference, ctx) if reference is not None else None
            if target is None:
                return None
            what = f"foreign key to `{target}`"
        wide = _NARROW[type_.name]
        return Finding(
            type_.span,
            f"{what} `{name}` is `{type_.raw}` and runs out at {_limit(type_)}; use `{wide}`",
            Fix(f"Use `{wide}`", (Edit(type_.span, wide),), Applicability.UNSAFE),
        )


def _table_pk(fact: CreateTableFact) -> set[str]:
    for constraint in fact.constraints:
        if constraint.kind == "primary-key" and len(constraint.columns) == 1:
            return set(constraint.columns)
    return set()


def _narrow_key(reference: ForeignKeyDef, ctx: RuleContext) -> str | None:
    """``table.column`` of the referenced key when it is an integer key column."""
    table = ctx.catalog.table(reference.ref_table) if ctx.catalog is not None else None
    if table is None:
        return None
    names = reference.ref_columns
    if not names:
        pk = table.primary_key
        names = tuple(key.column for key in pk.keys if key.column) if pk is not None else ()
    if len(names) != 1 or names[0] not in table.columns:
        return None
    target = table.columns[names[0]].definition
    if target.type is None or target.type.name not in _NARROW:
        return None
    return f"{display_name(table.name)}.{target.name}"


def _limit(type_: TypeRef) -> str:
    return "32,767" if type_.name in ("smallint", "smallserial") else "2,147,483,647"
