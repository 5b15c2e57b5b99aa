from collections.abc import Iterator

from dbsense.analyzers.ir import DynamicSqlFact
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)


class SqlBuiltFromStrings(Rule):
    """## What it does
    Flags SQL passed to `cursor.execute()`, `session.execute()`, `text()`,
    `exec_driver_sql()` or `Model.objects.raw()` that is built at run time with an f-string,
    `%` formatting, `+` concatenation or `.format()`.

    ## Why is this bad?
    Values spliced into the SQL text are parsed as SQL: a name containing `'` breaks the query,
    and a crafted one rewrites it (SQL injection). Quoting by hand misses cases such as
    backslashes and non-UTF-8 input. Bound parameters travel separately from the statement, so
    the server never parses them as SQL; they also let the server reuse a prepared plan, and
    they let dbsense analyse the statement, which it cannot do for text assembled at run time.

    ## Example
    ```python
    def find(cursor, name):
        cursor.execute(f"SELECT id FROM customers WHERE name = '{name}'")
    ```

    Use instead:
    ```python
    def find(cursor, name):
        cursor.execute("SELECT id FROM customers WHERE name = %s", (name,))
    ```

    ## SQLAlchemy / Alembic
    Use named parameters: `text("... WHERE name = :name").bindparams(name=name)`, or pass
    them to `session.execute(stmt, {"name": name})`. Identifiers (table or column names) cannot
    be parameters; quote them with `sqlalchemy.sql.quoted_name` or choose them from a fixed
    set instead.

    ## Django
    `Model.objects.raw(sql, [params])` and `cursor.execute(sql, [params])` take parameters;
    `psycopg.sql.Identifier` composes identifiers safely.

    ## Fix safety
    The fix is unsafe: the driver now sends the value with its Python type, so a value that was
    formatted into text (a number rendered into a string column comparison, a list rendered as
    `(1, 2)`) may compare differently or need an explicit cast. It is offered only when every
    interpolated value sits where a value goes, never for table or column names.

    ## References
    - https://www.psycopg.org/psycopg3/docs/basic/params.html
    - https://docs.sqlalchemy.org/en/20/core/sqlelement.html#sqlalchemy.sql.expression.text
    """

    code = "PG506"
    name = "sql-built-from-strings"
    summary = "SQL built by f-string, `%`, `+` or `.format` is passed to an execute call"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("security", "driver")
    consumes = (DynamicSqlFact,)
    peers = ("bandit:B608", "semgrep:sqlalchemy-execute-raw-query")

    def check(self, fact: DynamicSqlFact, ctx: RuleContext) -> Iterator[Finding]:
        fix = None
        if fact.fix_text is not None and fact.fix_span is not None:
            fix = Fix(
                "Pass the values as query parameters",
                (Edit(fact.fix_span, fact.fix_text),),
                Applicability.UNSAFE,
            )
        yield Finding(
            fact.span,
            f"SQL built with {_style(fact.style)} is passed to `{fact.call}()`; values spliced "
            "into SQL text can inject SQL: pass them as parameters",
            fix,
        )


def _style(style: str) -> str:
    return {"f-string": "an f-string", "%": "`%` formatting", "+": "`+` concatenation"}.get(
        style, f"`{style}()`"
    )
