import re
from collections.abc import Iterator

from dbsense.analyzers.ir import SelectStarFact
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

_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")


class SelectStar(Rule):
    """## What it does
    Flags `SELECT *` and `t.*` in the select list of a top-level query or a view.

    ## Why is this bad?
    `*` reads every column, including wide `text`/`jsonb` values that are stored out of line
    (TOAST) and must be fetched and decompressed, and it rules out index-only scans. The
    application receives whatever the table holds today: adding a column changes every result,
    and dropping or reordering one breaks code that reads by position. In a view, `*` is expanded
    once, when the view is created, so columns added later never show up.

    `count(*)`, `EXISTS (SELECT * ...)` and subqueries whose outer query names its columns are
    fine, and so are copies in migrations (`INSERT INTO ... SELECT *`).

    ## Example
    ```sql
    SELECT * FROM orders WHERE customer_id = 42;
    ```

    Use instead:
    ```sql
    SELECT id, status, total FROM orders WHERE customer_id = 42;
    ```

    ## Django
    Querysets select every model field; use `.only()` or `.values()` for wide tables.

    ## SQLAlchemy / Alembic
    `select(Order)` lists the mapped columns; use `load_only()` or `deferred()` for wide ones.

    ## Fix safety
    The fix lists the table's columns as the workspace schema defines them, and is unsafe:
    the schema in production may differ, and code reading columns by position sees the same
    order only if nothing was added in between.

    ## References
    - https://www.postgresql.org/docs/current/sql-select.html
    - https://www.postgresql.org/docs/current/sql-createview.html
    """

    code = "PG205"
    name = "select-star"
    summary = "`SELECT *` reads every column and breaks when the table changes"
    severity = Severity.INFO
    fix_availability = FixAvailability.SOMETIMES
    tags = ("query",)
    consumes = (SelectStarFact,)

    def check(self, fact: SelectStarFact, ctx: RuleContext) -> Iterator[Finding]:
        star = f"{fact.qualifier}.*" if fact.qualifier else "*"
        where = f"view `{display_name(fact.view)}`" if fact.view else "query"
        target = f" from `{display_name(fact.table)}`" if fact.table else ""
        message = f"`{star}`{target} in a {where}; name the columns it needs"
        if fact.view is not None:
            message += " (a view's `*` is frozen when it is created)"
        yield Finding(fact.span, message, self._fix(fact, ctx))

    def _fix(self, fact: SelectStarFact, ctx: RuleContext) -> Fix | None:
        if fact.table is None or ctx.catalog is None:
            return None
        table = ctx.catalog.table(fact.table)
        if table is None or not table.columns:
            return None
        prefix = f"{fact.qualifier}." if fact.qualifier else ""
        columns = ", ".join(prefix + _quoted(name) for name in table.columns)
        return Fix("List the columns", (Edit(fact.span, columns),), Applicability.UNSAFE)


def _quoted(name: str) -> str:
    return name if _PLAIN.match(name) else '"' + name.replace('"', '""') + '"'
