from collections.abc import Iterator

from dbsense.analyzers.ir import OffsetFact, OrmOffsetFact
from dbsense.engines.core import (
    Applicability,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
    Severity,
)


class OffsetPagination(Rule):
    """## What it does
    Flags `OFFSET` given as a parameter, an expression, or a literal of at least
    `postgres.offset-threshold` (1,000).

    ## Why is this bad?
    `OFFSET n` does not skip rows: Postgres produces the first `n` rows and throws them away.
    Page 1,000 of a 20-row listing reads 20,000 rows, so deep pages get slower linearly and a
    crawler paging to the end costs quadratic work. Rows inserted or deleted between requests
    shift the window, so users see duplicates or miss rows. Without `ORDER BY` the order is not
    even deterministic.

    Keyset pagination remembers the last row of the page and continues after it
    (`WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT 20`): an index range scan
    that costs the same on every page.

    ## Example
    ```sql
    SELECT id, title FROM posts ORDER BY id LIMIT 20 OFFSET $1;
    ```

    Use instead:
    ```sql
    SELECT id, title FROM posts WHERE id > $1 ORDER BY id LIMIT 20;
    ```

    ## Django
    A queryset slice with a start (`qs[start:start + 20]`), `Paginator` and DRF's
    `PageNumberPagination`/`LimitOffsetPagination` (as `pagination_class`, a base class, or
    the settings' `REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]`, reported once on the setting)
    all send `OFFSET`. Filter on the last key instead
    (`.filter(id__gt=last_id).order_by("id")[:20]`), or use DRF's `CursorPagination`, which is
    keyset pagination.

    ## SQLAlchemy / Alembic
    Replace `.offset(n)` on a `select()` or `Query` with a filter on the last key seen
    (`.where(Post.id > last_id).order_by(Post.id).limit(20)`).

    ## Fix safety
    The suggestion is display-only: keyset pagination changes the API (a cursor instead of a
    page number).

    ## Options
    `postgres.offset-threshold` is the smallest literal offset that is flagged.

    ## References
    - https://www.postgresql.org/docs/current/queries-limit.html
    - https://use-the-index-luke.com/no-offset
    """

    code = "PG206"
    name = "offset-pagination"
    summary = "`OFFSET` pagination reads and discards every skipped row"
    severity = Severity.INFO
    fix_availability = FixAvailability.ALWAYS
    tags = ("query",)
    consumes = (OffsetFact, OrmOffsetFact)
    options = ("postgres.offset-threshold",)

    def check(self, fact: OffsetFact | OrmOffsetFact, ctx: RuleContext) -> Iterator[Finding]:
        threshold = ctx.option("postgres", "offset-threshold") or 1000
        if isinstance(fact, OrmOffsetFact):
            yield from _orm(fact, threshold)
            return
        if fact.parameter:
            what = "a parameter"
        elif fact.value is None:
            what = "an expression"
        elif fact.value >= threshold:
            what = f"{fact.value:,}"
        else:
            return
        message = (
            f"`OFFSET` is {what}: every page reads and discards all the rows before it; "
            "paginate by key instead"
        )
        if not fact.has_order_by:
            message += " (and without `ORDER BY` the pages overlap at random)"
        yield Finding(
            fact.span,
            message,
            Fix(
                "Use keyset pagination: `WHERE (k, id) > ($1, $2) ORDER BY k, id LIMIT n`",
                (),
                Applicability.DISPLAY_ONLY,
            ),
        )


_KEYSET = {
    "slice": 'Use keyset pagination: `.filter(id__gt=last_id).order_by("id")[:n]`',
    "paginator": 'Use keyset pagination: `.filter(id__gt=last_id).order_by("id")[:n]`',
    "drf": "Use keyset pagination: DRF `CursorPagination`",
    "drf-default": "Use keyset pagination: DRF `CursorPagination`",
    "offset": "Use keyset pagination: `.where(Model.id > last_id).order_by(Model.id).limit(n)`",
}


def _orm(fact: OrmOffsetFact, threshold: int) -> Iterator[Finding]:
    if fact.value is not None and fact.value < threshold:
        return
    what = "every page reads and discards all the rows before it; paginate by key instead"
    if fact.kind == "paginator":
        message = f"`Paginator` pages with `OFFSET`: {what}"
    elif fact.kind == "drf":
        message = f"`{fact.name}` pages with `OFFSET`: {what}"
    elif fact.kind == "drf-default":
        message = f"`DEFAULT_PAGINATION_CLASS` makes every DRF list view page with `OFFSET`: {what}"
    else:
        if fact.kind == "slice":
            shown = f"{fact.value:,}" if fact.value is not None else f"`{fact.name}`"
            message = f"the slice start {shown} becomes `OFFSET`: {what}"
        else:
            message = f"`.offset({fact.name})` sends `OFFSET`: {what}"
        if not fact.has_order_by:
            message += " (and without `.order_by()` the pages overlap at random)"
    yield Finding(fact.span, message, Fix(_KEYSET[fact.kind], (), Applicability.DISPLAY_ONLY))
