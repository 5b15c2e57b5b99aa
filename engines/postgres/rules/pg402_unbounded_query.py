from collections.abc import Iterator

from dbsense.analyzers.ir import DJANGO, LoopFact
from dbsense.engines.core import Finding, Rule, RuleContext, Severity


class UnboundedQuery(Rule):
    """## What it does
    Flags a query that a request handler (Django or DRF view, Flask, FastAPI or Starlette
    route, Celery task) iterates in full: a queryset or select with no slice, `.limit()`,
    pagination, `.iterator()`, or filter on a primary key.

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

    ## SQLAlchemy / Alembic
    Add `.limit(n)` (with an `ORDER BY` and keyset pagination for the next page), or stream
    with `yield_per()`.

    ## References
    - https://docs.djangoproject.com/en/stable/topics/db/optimization/
    - https://docs.sqlalchemy.org/en/20/orm/queryguide/api.html#fetching-large-result-sets-with-yield-per
    """

    code = "PG402"
    name = "unbounded-query"
    summary = "A request handler iterates a query with no limit, pagination or key filter"
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
        bound = "a slice or `Paginator`" if source.framework == DJANGO else "`.limit(n)`"
        yield Finding(
            source.query_span,
            f"every matching `{model}` row is loaded on the request path; bound the query with "
            f"{bound}",
        )
