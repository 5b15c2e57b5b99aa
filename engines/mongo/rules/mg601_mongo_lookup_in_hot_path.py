from collections.abc import Iterator

from dbsense.analyzers.ir import MongoLookupFact
from dbsense.engines.core import Finding, Rule, RuleContext, Severity


class MongoLookupInHotPath(Rule):
    """## What it does
    Flags a `$lookup` stage in an `aggregate` pipeline that a view, route or task runs, that
    is, a join executed on every request.

    ## Why is this bad?
    `$lookup` runs one query against the foreign collection per input document (a nested loop
    join, helped only by an index on the `foreignField`), on the server that holds the input
    documents; on a sharded cluster the foreign side may fan out to every shard. MongoDB's
    data model answers a read that always needs both sides by storing them together: data
    that is read together is stored together. A join on every request means the documents
    are modelled like tables, and pays for that on each read.

    This is an engine-choice recommendation, not a defect: it is informational.

    ## Trade-offs
    - **Embed** the child documents (bounded one-to-few data read with the parent): one read,
      atomic single-document writes; the cost is a larger document and duplicated data when
      the child is shared.
    - **Extended reference**: copy only the few fields the page shows (`customer.name`) next
      to the reference. Reads need no join; the copies must be updated when the source
      changes (a change stream or the same write path), and may briefly lag behind it.
    - **PostgreSQL**: when most reads join several collections and need consistency across
      them, a relational schema with foreign keys and indexes does joins with a planner and
      transactions. The cost is a second engine to run, or a migration of the data.

    ## Example
    ```python
    from pymongo import MongoClient

    db = MongoClient().shop


    def order_page(request, order_id):
        return db.orders.aggregate(
            [
                {"$match": {"_id": order_id}},
                {
                    "$lookup": {
                        "from": "customers",
                        "localField": "customer_id",
                        "foreignField": "_id",
                        "as": "customer",
                    }
                },
            ]
        )
    ```

    Use instead:
    ```python
    from pymongo import MongoClient

    db = MongoClient().shop


    def order_page(request, order_id):
        # each order keeps {"customer": {"_id": ..., "name": ...}} (an extended reference)
        return db.orders.find_one({"_id": order_id})
    ```

    ## Options
    `mongo.small-collections`: lookups into these collections stay silent.

    ## References
    - https://www.mongodb.com/docs/manual/reference/operator/aggregation/lookup/
    - https://www.mongodb.com/docs/manual/data-modeling/design-patterns/data-access-patterns/extended-reference-pattern/
    - https://www.mongodb.com/docs/manual/data-modeling/concepts/embedding-vs-references/
    """

    code = "MG601"
    name = "mongo-lookup-in-hot-path"
    summary = "`$lookup` join on the request path"
    severity = Severity.INFO
    tags = ("mongo", "engine-choice")
    consumes = (MongoLookupFact,)
    options = ("mongo.small-collections",)

    def check(self, fact: MongoLookupFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.place.request_kind is None:
            return
        small = ctx.option("mongo", "small-collections") or []
        if fact.from_collection in small:
            return
        joined = f"`{fact.from_collection}`" if fact.from_collection else "another collection"
        into = f" into `{fact.collection}`" if fact.collection else ""
        yield Finding(
            fact.span,
            f"`$lookup` joins {joined}{into} on every call of `{fact.place.function}` "
            f"({fact.place.request_kind}); embed the fields read or keep an extended reference "
            "(PostgreSQL if joins dominate the reads)",
        )
