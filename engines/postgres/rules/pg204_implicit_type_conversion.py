from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from dbsense.analyzers.ir import SQLALCHEMY, ComparisonFact, OrmComparisonFact, Span
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
from dbsense.engines.postgres.helpers import display_name
from dbsense.engines.postgres.orm import model_columns, python_index

_INTEGERS = {"smallint", "integer", "bigint", "serial", "bigserial", "smallserial"}
_FLOATS = {"double precision", "real"}
_TEXTS = {"text", "character varying", "character"}
_NUMBERS = {"integer", "bigint", "smallint", "numeric"} | _FLOATS
# SQLAlchemy dialects that cast bound values to the column's type (``$1::INTEGER``).
_CASTING_DRIVERS = {"psycopg", "asyncpg", "pg8000", "psqlpy"}
_INT4 = 2**31
_INT8 = 2**63


class ImplicitTypeConversion(Rule):
    """## What it does
    Flags a comparison (`=`, `<`, `IN`, `BETWEEN`, `= ANY`) between a column and a value of a
    type that makes Postgres convert the column: an integer column against `10.0`, `1e3` or a
    `::numeric`/`::float8` cast, a `char(n)` column against `text`, a `numeric` column against
    `float8`. Comparisons that Postgres rejects outright (a `text` column against `42`) are
    reported as errors.

    ## Why is this bad?
    Postgres resolves `int_col = 10.0` to the `numeric = numeric` operator, so it converts the
    column on every row. The btree index on `int_col` is built for `integer` comparisons and
    cannot serve the query: a lookup that should touch one index page becomes a sequential scan.
    Quoted literals (`int_col = '42'`) are fine: their type is inferred from the column. Pairs in
    one operator family (`integer`/`bigint`, `date`/`timestamp`, `varchar`/`text`) keep using the
    index.

    `text_col = 42` has no operator at all: the query fails with "operator does not exist".

    ## Example
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY);
    SELECT id FROM orders WHERE id = 10.0;
    ```

    Use instead:
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY);
    SELECT id FROM orders WHERE id = 10;
    ```

    ## SQLAlchemy / Alembic
    Bind a Python `float` or `Decimal` to an integer column and the driver sends `numeric` or
    `float8`; convert the value (`int(x)`) before binding.

    The rule reads `Model.col == 10.5` (and `<`, `.in_([...])`, `.between()`,
    `filter_by(col=...)`) with the column's type from the workspace catalog. It judges the
    literal as psycopg2, SQLAlchemy's default PostgreSQL driver, sends it: inlined, so `10.5` is
    `numeric` and `42` is `integer`. When every engine in the workspace uses a driver whose
    dialect casts bound values to the column type (`postgresql+psycopg`, `+asyncpg`,
    `+pg8000`), the column is never converted and the rule stays silent; the value is then
    converted instead (`10.5` becomes `11` for an integer column).

    ## Django
    Django converts a lookup value to the field's type before it reaches the database
    (`IntegerField` rounds `filter(id=10.0)` to `10`, `CharField` turns `42` into `"42"`), so
    lookups never make Postgres convert the column, and the rule stays silent on them.

    ## Fix safety
    Rewriting `10.0` as `10` is unsafe only in that it changes the literal's type, which is the
    point; other cases are display-only: cast the value, not the column.

    ## References
    - https://www.postgresql.org/docs/current/typeconv-oper.html
    - https://www.postgresql.org/docs/current/indexes-opclass.html
    """

    code = "PG204"
    name = "implicit-type-conversion"
    summary = "Column compared to a differently typed value, so its index is unusable"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("indexing", "query")
    consumes = (ComparisonFact, OrmComparisonFact)

    def check(
        self, fact: ComparisonFact | OrmComparisonFact, ctx: RuleContext
    ) -> Iterator[Finding]:
        if isinstance(fact, OrmComparisonFact):
            yield from self._orm(fact, ctx)
            return
        value_type = fact.value_type
        if fact.table is None or value_type in (None, "unknown", "null") or ctx.catalog is None:
            return
        table = ctx.catalog.table(fact.table)
        column = table.columns.get(fact.column) if table is not None else None
        type_ = column.definition.type if column is not None else None
        if type_ is None or type_.array:
            return
        name = f"{display_name(fact.table)}.{fact.column}"
        fix = _fix(fact.value, fact.value_span, type_.name, value_type)
        yield from _finding(fact.span, name, type_.name, fact.value, value_type, fix)

    def _orm(self, fact: OrmComparisonFact, ctx: RuleContext) -> Iterator[Finding]:
        index = python_index(ctx)
        drivers = {c.driver for _, c in index.connections if "engine" in c.kind}
        if drivers and drivers <= _CASTING_DRIVERS:
            return  # the dialect casts the value to the column's type
        known = model_columns(ctx, index, fact.model)
        if known is None or known.model.origin != SQLALCHEMY:
            return
        column = known.columns.get(fact.attr)
        type_ = column.type if column is not None else None
        if column is None or type_ is None or type_.array:
            return
        value_type = _inlined(fact)
        name = f"{display_name(known.table.name)}.{column.name}"
        fix = None
        if fact.value_kind == "float":
            fix = _fix(fact.value, fact.value_span, type_.name, value_type)
        yield from _finding(fact.span, name, type_.name, fact.value, value_type, fix)


def _finding(
    span: Span, name: str, column_type: str, value: str, value_type: str, fix: Fix | None
) -> Iterator[Finding]:
    if (column_type in _TEXTS and value_type in _NUMBERS) or (
        column_type == "boolean" and value_type in _NUMBERS
    ):
        yield Finding(
            span,
            f"`{name}` ({column_type}) compared with `{value}` ({value_type}): "
            "no such operator, the query will fail",
            severity=Severity.ERROR,
        )
        return
    converts = (
        (column_type in _INTEGERS and value_type in {"numeric"} | _FLOATS)
        or (column_type == "character" and value_type in {"text", "character varying"})
        or (column_type == "numeric" and value_type in _FLOATS)
    )
    if converts:
        yield Finding(
            span,
            f"`{name}` ({column_type}) compared with `{value}` ({value_type}): the column "
            "is converted on every row, so its index cannot be used",
            fix,
        )


def _inlined(fact: OrmComparisonFact) -> str:
    """The type Postgres gives the literal psycopg2 writes into the query text."""
    if fact.value_kind == "int":
        number = abs(int(fact.value))
        return "integer" if number < _INT4 else "bigint" if number < _INT8 else "numeric"
    if fact.value_kind == "float" and fact.value in ("nan", "inf", "-inf"):
        return "double precision"
    if fact.value_kind == "decimal" and fact.value.lstrip("-").isdigit():
        return "integer"
    return "numeric"


def _fix(value: str, span: Span, column_type: str, value_type: str) -> Fix | None:
    if column_type not in _INTEGERS or value_type != "numeric":
        return None
    if value.upper().startswith("CAST("):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    integral = str(int(number))
    return Fix(f"Write the value as `{integral}`", (Edit(span, integral),), Applicability.UNSAFE)
