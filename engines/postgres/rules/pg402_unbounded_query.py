from collections.abc import Iterator

from dbsense.analyzers.ir import DJANGO, LoopFact
from dbsense.analyzers.python.index import PythonIndex
from dbsense.engines.core import Finding, Rule, RuleContext, Severity

_DRF = "rest_framework.pagination."
_SIZED = ("PageNumberPagination", "LimitOffsetPagination", "CursorPagination")


class UnboundedQuery(Rule):
    """## What it does
    Flags a query that a request handler (Django or DRF view, Flask, FastAPI or Starlette
    route, Celery task) evaluates in full: iterated by a loop, a comprehension or a lambda
    (`map`, `sorted(key=...)`), materialised with `list()`, `tuple()`, `set()` or `sorted()`,
    handed to a template, or serialized by a list view, with no slice, `.limit()`, pagination,
    `.iterator()`, or filter on a primary key.

    ## Why is this bad?
    The query returns every matching row, and the handler builds an object for each. It is
    fast while the table is small and degrades linearly with it: response time, memory of the
    worker, and the buffers the server reads all grow with the table until the request times
    out. A bound makes the cost independent of the table size.

    ## Example
    ```python
    from django.db import models


    class Order(models.Model):
        status = models.TextField()


    def order_list(request):
        return [order.status for order in Order.objects.filter(status="paid")]
    ```

    Use instead:
    ```python
    from django.db import models


    class Order(models.Model):
        status = models.TextField()


    def order_list(request):
        return [order.status for order in Order.objects.filter(status="paid")[:100]]
    ```

    ## Django
    Slice the queryset, use `Paginator` or DRF pagination, or `.iterator()` for exports that
    must stream every row.

    A queryset in a template context (`render(request, "orders.html", {"orders": qs})`,
    `TemplateResponse`, `render_to_string`, a view's `get_context_data` or `extra_context`)
    counts as evaluated: the template iterates it. Templates are not read; the queryset
    reaching the context is the evidence. A `ListView` is unbounded without `paginate_by`.

    A DRF list view (`ListAPIView`, `ModelViewSet`...) serializes its whole `queryset` unless it
    paginates: its `pagination_class`, or else `REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]` in
    the settings. DRF's own page-number, limit-offset and cursor classes paginate only with a
    page size (`PAGE_SIZE`, or `page_size` on a subclass); a class of your own counts as
    paginating.

    ## SQLAlchemy / Alembic
    Add `.limit(n)` (with an `ORDER BY` and keyset pagination for the next page), or stream
    with `yield_per()`.

    ## References
    - https://docs.djangoproject.com/en/stable/topics/db/optimization/
    - https://www.django-rest-framework.org/api-guide/pagination/
    - https://docs.sqlalchemy.org/en/20/orm/queryguide/api.html#fetching-large-result-sets-with-yield-per
    """

    code = "PG402"
    name = "unbounded-query"
    summary = "A request handler loads every row of a query with no limit, pagination or key filter"
    severity = Severity.INFO
    tags = ("access-pattern", "performance", "orm")
    consumes = (LoopFact,)

    def check(self, fact: LoopFact, ctx: RuleContext) -> Iterator[Finding]:
        source = fact.source
        if fact.request_kind is None or source is None or source.bounded or not source.model:
            return
        if source.query_span is None:
            return
        model = source.model.rsplit(".", 1)[-1]
        if fact.kind == "list-view":
            reason = _unpaginated(fact.pagination, _index(ctx))
            if reason is not None:
                view = (fact.function or "the view").rsplit(".", 1)[-1]
                yield Finding(
                    source.query_span,
                    f"`{view}` serializes every matching `{model}` row on each request: {reason}",
                )
            return
        bound = "a slice or `Paginator`" if source.framework == DJANGO else "`.limit(n)`"
        if fact.kind == "template":
            message = (
                f"the template context gets every matching `{model}` row; bound the query "
                f"with {bound}"
            )
        else:
            message = (
                f"every matching `{model}` row is loaded on the request path; bound the query "
                f"with {bound}"
            )
        yield Finding(source.query_span, message)


def _index(ctx: RuleContext) -> PythonIndex | None:
    index = getattr(ctx.catalog, "python", None)
    return index if isinstance(index, PythonIndex) else None


_PAGINATE = "set `DEFAULT_PAGINATION_CLASS` and `PAGE_SIZE` in `REST_FRAMEWORK`, or a "
_PAGINATE += "`pagination_class` (`CursorPagination` also avoids `OFFSET`)"
_SIZE = "set `PAGE_SIZE` in `REST_FRAMEWORK`, or `page_size` on a subclass"


def _unpaginated(pagination: str | None, index: PythonIndex | None) -> str | None:
    """Why a DRF list view returns every row and what to do, or ``None`` when it paginates."""
    settings = [fact for _, fact in index.drf_settings] if index is not None else []
    if pagination == "":
        return (
            "it sets `pagination_class = None`; give it a pagination class "
            "(`CursorPagination` also avoids `OFFSET`)"
        )
    if pagination is None:
        defaults = [fact.pagination_class for fact in settings if fact.pagination_class]
        if not defaults:
            where = "`REST_FRAMEWORK` names no" if settings else "no `REST_FRAMEWORK` names a"
            return (
                f"it has no `pagination_class`, and {where} `DEFAULT_PAGINATION_CLASS`; {_PAGINATE}"
            )
        pagination = defaults[0]
    short = pagination.rsplit(".", 1)[-1]
    builtin = pagination.startswith(_DRF) or pagination in _SIZED
    if builtin and short in _SIZED and not any(fact.page_size for fact in settings):
        return f"`{short}` pages only with a page size, and none is set; {_SIZE}"
    return None
