from collections.abc import Iterator

from dbsense.analyzers.ir import CountForExistenceFact
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


class CountForExistence(Rule):
    """## What it does
    Flags `qs.count() > 0`, `len(qs) > 0`, `qs.count() == 0` and `if qs.count():` used to test
    whether a queryset has any rows.

    ## Why is this bad?
    `count()` runs `SELECT count(*)`, which must visit every matching row (PostgreSQL has no
    stored row counts, and MVCC means each row's visibility is checked). `len(qs)` is worse: it
    fetches every matching row into Python objects. `exists()` runs `SELECT 1 ... LIMIT 1`,
    which stops at the first match.

    ## Example
    ```python
    from django.db import models


    class Order(models.Model):
        status = models.TextField()


    def has_open_orders():
        return Order.objects.filter(status="open").count() > 0
    ```

    Use instead:
    ```python
    from django.db import models


    class Order(models.Model):
        status = models.TextField()


    def has_open_orders():
        return Order.objects.filter(status="open").exists()
    ```

    ## Fix safety
    Replacing `count()` is safe. Replacing `len(qs)` is unsafe: `len()` also fills the
    queryset's result cache, and code that iterates the same queryset afterwards would then run
    a second query.

    ## References
    - https://docs.djangoproject.com/en/stable/ref/models/querysets/#exists
    """

    code = "PG403"
    name = "count-for-existence"
    summary = "`count() > 0` or `len(qs) > 0` counts rows to test that one exists"
    severity = Severity.INFO
    fix_availability = FixAvailability.ALWAYS
    tags = ("access-pattern", "performance", "orm")
    consumes = (CountForExistenceFact,)

    def check(self, fact: CountForExistenceFact, ctx: RuleContext) -> Iterator[Finding]:
        fix = None
        if fact.replacement is not None:
            applicability = Applicability.SAFE if fact.kind == "count" else Applicability.UNSAFE
            fix = Fix("Use `.exists()`", (Edit(fact.span, fact.replacement),), applicability)
        counted = f"`{fact.query}.count()`" if fact.kind == "count" else f"`len({fact.query})`"
        yield Finding(
            fact.span,
            f"{counted} counts every matching row to test whether one exists; use `.exists()`",
            fix,
        )
