from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from dbsense.analyzers.ir import ComparisonFact
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

_INTEGERS = {"smallint", "integer", "bigint", "serial", "bigserial", "smallserial"}
_FLOATS = {"double precision", "real"}
_TEXTS = {"text", "character varying", "character"}
_NUMBERS = {"integer", "bigint", "smallint", "numeric"} | _FLOATS


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
    consumes = (ComparisonFact,)

    def check(self, fact: ComparisonFact, ctx: RuleContext) -> Iterator[Finding]:
        value_type = fact.value_type
        if fact.table is None or value_type in (None, "unknown", "null") or ctx.catalog is None:
            return
        table = ctx.catalog.table(fact.table)
        column = table.columns.get(fact.column) if table is not None else None
        type_ = column.definition.type if column is not None else None
        if type_ is None or type_.array:
            return
        name = f"{display_name(fact.table)}.{fact.column}"
        if (type_.name in _TEXTS and value_type in _NUMBERS) or (
            type_.name == "boolean" and value_type in _NUMBERS
        ):
            yield Finding(
                fact.span,
                f"`{name}` ({type_.name}) compared with `{fact.value}` ({value_type}): "
                "no such operator, the query will fail",
                severity=Severity.ERROR,
            )
            return
        converts = (
            (type_.name in _INTEGERS and value_type in {"numeric"} | _FLOATS)
            or (type_.name == "character" and value_type in {"text", "character varying"})
            or (type_.name == "numeric" and value_type in _FLOATS)
        )
        if not converts:
            return
        yield Finding(
            fact.span,
            f"`{name}` ({type_.name}) compared with `{fact.value}` ({value_type}): the column "
            "is converted on every row, so its index cannot be used",
            self._fix(fact, type_.name),
        )

    def _fix(self, fact: ComparisonFact, column_type: str) -> Fix | None:
        if column_type not in _INTEGERS or fact.value_type != "numeric":
            return None
        if fact.value.upper().startswith("CAST("):
            return None
        try:
            number = Decimal(fact.value)
        except InvalidOperation:
            return None
        if number != number.to_integral_value():
            return None
        integral = str(int(number))
        return Fix(
            f"Write the value as `{integral}`",
            (Edit(fact.value_span, integral),),
            Applicability.UNSAFE,
        )
