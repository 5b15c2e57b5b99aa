from collections.abc import Iterator

from dbsense.analyzers.ir import MongoCallFact, Span
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

_LIMIT = 100


class MongoUnboundedFind(Rule):
    """## What it does
    Flags a `find()` on the request path whose cursor is fully materialised (`list(...)`, a
    list comprehension, `to_list`, returned) without `.limit()`.

    ## Why is this bad?
    Nothing caps the result: as the collection grows, one request pulls every matching
    document over the network into memory, in batches of 16 MB, and holds it all at once.
    Latency and memory grow with the data until the worker times out or is killed. A
    `limit` (plus pagination) bounds the work per request; a projection of the fields actually
    read shrinks each document.

    Filters on `_id`, `find_one` and cursors streamed with `for doc in cursor` are not flagged.

    ## Example
    ```python
    from pymongo import MongoClient

    orders = MongoClient().shop.orders


    def order_list(request):
        return list(orders.find({"status": "open"}))
    ```

    Use instead:
    ```python
    from pymongo import MongoClient

    orders = MongoClient().shop.orders


    def order_list(request):
        return list(orders.find({"status": "open"}, {"total": 1}).limit(100))
    ```

    ## Options
    Collections listed in `mongo.small-collections` are not flagged.

    ## Fix safety
    The fix is display-only: it appends `.limit(100)` to the `find()` call, which silently
    drops the documents past the hundredth unless the caller pages with a range on the sort
    key (`{"_id": {"$gt": last_id}}`); the projection lists the fields the code reads, which
    only the author knows.

    ## References
    - https://www.mongodb.com/docs/manual/tutorial/project-fields-from-query-results/
    - https://www.mongodb.com/docs/manual/reference/method/cursor.limit/
    """

    code = "MG402"
    name = "mongo-unbounded-find"
    summary = "Request-path `find()` materialised without `.limit()`"
    severity = Severity.INFO
    fix_availability = FixAvailability.ALWAYS
    tags = ("mongo", "unbounded")
    consumes = (MongoCallFact,)
    options = ("mongo.small-collections",)

    def check(self, fact: MongoCallFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.method != "find" or not fact.materialised or "limit" in fact.chain:
            return
        if fact.place.request_kind is None or "_id" in fact.filter_fields:
            return
        if fact.collection in (ctx.option("mongo", "small-collections") or ()):
            return
        target = f"`{fact.collection}`" if fact.collection else "the collection"
        projection = "" if fact.has_projection else " and no projection"
        yield Finding(
            fact.span,
            f"`find()` on {target} in `{fact.place.function}` loads every match with no "
            f"`.limit()`{projection}",
            Fix(
                f"Add `.limit({_LIMIT})`"
                + (
                    ""
                    if fact.has_projection
                    else ' and project the fields read: `find(filter, {"field": 1})`'
                ),
                (Edit(Span(fact.span.end, fact.span.end), f".limit({_LIMIT})"),),
                Applicability.DISPLAY_ONLY,
            ),
        )
