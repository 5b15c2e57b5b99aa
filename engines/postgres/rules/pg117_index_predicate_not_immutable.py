from collections.abc import Iterator

from dbsense.analyzers.ir import CreateIndexFact, QualifiedName
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
from dbsense.engines.postgres.volatility import volatility

# How the front-end names calls whose SQL spelling differs.
_SPELLING = {
    "rand": "random()",
    "currenttimestamp": "now()",
    "current_timestamp": "current_timestamp",
    "currentdate": "current_date",
    "currenttime": "current_time",
}


class IndexPredicateNotImmutable(Rule):
    """## What it does
    Flags an index whose predicate or key expression calls a function that is not
    `IMMUTABLE`: `now()`, `current_date`, `current_timestamp` (STABLE), `random()`,
    `clock_timestamp()` (VOLATILE), or a user function the workspace declares `STABLE` or
    `VOLATILE`.

    ## Why is this bad?
    Postgres evaluates an index's expressions and predicate when a row is written, never when
    the index is read, so their result must depend on the row alone. It rejects anything else:
    `CREATE INDEX` fails with "functions in index predicate must be marked IMMUTABLE" and the
    migration stops. Even if it were allowed, a "recent rows" index
    (`WHERE created_at > now() - interval '30 days'`) would be evaluated once per row at insert
    time and never shrink as time passes.

    ## Example
    ```sql
    CREATE INDEX orders_recent_idx ON orders (created_at)
        WHERE created_at > now() - interval '30 days';
    ```

    Use instead:
    ```sql
    CREATE INDEX orders_recent_idx ON orders (created_at)
        WHERE created_at > '2025-01-01';
    -- re-create it with a newer cutoff from a scheduled job, or partition by time
    ```

    ## Django
    `Index(condition=Q(created_at__gt=Now() - ...))` fails the same way: use a literal date.

    ## SQLAlchemy / Alembic
    `Index(..., postgresql_where=...)` needs a constant too; `func.now()` makes the
    `CREATE INDEX` fail.

    ## Fix safety
    The suggestion is display-only: choosing a cutoff or dropping the predicate changes which
    queries the index can serve.

    ## References
    - https://www.postgresql.org/docs/current/sql-createindex.html
    - https://www.postgresql.org/docs/current/xfunc-volatility.html
    """

    code = "PG117"
    name = "index-predicate-not-immutable"
    summary = "Index predicate or expression calls a function that is not `IMMUTABLE`"
    severity = Severity.ERROR
    fix_availability = FixAvailability.ALWAYS
    tags = ("indexing", "migration")
    consumes = (CreateIndexFact,)

    def check(self, fact: CreateIndexFact, ctx: RuleContext) -> Iterator[Finding]:
        offenders: list[str] = []
        for call in fact.function_calls:
            kind = _volatility(call, ctx)
            if kind is None:
                continue
            shown = f"`{_SPELLING.get(call, f'{call}()')}` ({kind.upper()})"
            if shown not in offenders:
                offenders.append(shown)
        if not offenders:
            return
        place = "predicate" if fact.where else "expression"
        recipe = (
            "-- use a constant cutoff re-created by a scheduled job, a plain index on the "
            "column, or time partitioning"
        )
        yield Finding(
            fact.span,
            f"index on `{display_name(fact.table)}` calls {', '.join(offenders)} in its "
            f"{place}: `CREATE INDEX` fails, index {place}s must be IMMUTABLE",
            Fix(
                "Use a constant cutoff or a plain index",
                (Edit(fact.span, recipe),),
                Applicability.DISPLAY_ONLY,
            ),
        )


def _volatility(call: str, ctx: RuleContext) -> str | None:
    known = volatility(call)
    if known is not None:
        return known
    catalog = ctx.catalog
    function = getattr(catalog, "function", None)
    if function is None:
        return None
    name = QualifiedName(*reversed(call.split(".", 1))) if "." in call else QualifiedName(call)
    declared = function(name)
    kind = (getattr(declared, "volatility", None) or "").lower()
    return kind if kind in ("stable", "volatile") else None
