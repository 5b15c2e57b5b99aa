from collections.abc import Iterator

from dbsense.analyzers.ir import DJANGO, LoopFact
from dbsense.engines.core import Finding, Rule, RuleContext

_WRITES = {"save": "`bulk_update(rows, fields)` or one `.update()`", "delete": "one `.delete()`"}


class WriteInLoop(Rule):
    """## What it does
    Flags `save()` or `delete()` called on each row of a queryset inside a loop.

    ## Why is this bad?
    Each call is its own `UPDATE` or `DELETE` statement: a round trip, a parse and plan, a WAL
    record and, outside a transaction, a commit with an fsync, per row. Updating 10,000 rows
    this way takes tens of seconds where one set-based statement takes milliseconds, and
    holds row locks for the whole loop when it runs inside a transaction.

    ## Example
    ```python
    from django.db import models


    class Order(models.Model):
        status = models.TextField()


    def archive():
        for order in Order.objects.filter(status="done"):
            order.status = "archived"
            order.save()
    ```

    Use instead:
    ```python
    from django.db import models


    class Order(models.Model):
        status = models.TextField()


    def archive():
        Order.objects.filter(status="done").update(status="archived")
    ```

    ## Django
    `QuerySet.update()` and `.delete()` run one statement; when each row gets a different
    value, `bulk_update(rows, ["field"], batch_size=1000)` batches them. Both skip `save()`
    overrides and `pre_save`/`post_save` signals, so check that nothing relies on them.

    ## References
    - https://docs.djangoproject.com/en/stable/ref/models/querysets/#bulk-update
    - https://docs.djangoproject.com/en/stable/topics/db/optimization/#do-database-work-in-the-database-rather-than-in-python
    """

    code = "PG404"
    name = "write-in-loop"
    summary = "A row is saved or deleted once per loop pass"
    tags = ("access-pattern", "performance", "orm")
    consumes = (LoopFact,)

    def check(self, fact: LoopFact, ctx: RuleContext) -> Iterator[Finding]:
        source = fact.source
        if source is None or source.framework != DJANGO or source.rows_are_values:
            return
        model = source.model.rsplit(".", 1)[-1]
        for access in fact.accesses:
            if access.attrs or access.method not in _WRITES:
                continue
            yield Finding(
                access.span,
                f"`{fact.variable}.{access.method}()` runs one statement per `{model}` row of "
                f"the loop; use {_WRITES[access.method]}",
            )
