from collections.abc import Iterator

from dbsense.analyzers.ir import MongoCallFact
from dbsense.engines.core import Finding, Rule, RuleContext


class MongoTooManyIndexes(Rule):
    """## What it does
    Flags a collection that gets more than `mongo.max-indexes` (10) distinct indexes from
    `create_index`/`create_indexes` calls, not counting `_id`.

    ## Why is this bad?
    Every index is updated on every insert and on every update of an indexed field, so writes
    slow down with each one, and every index competes for the WiredTiger cache. Past a handful,
    most indexes usually serve one rare query, or are prefixes of another (compound indexes
    also serve their leading fields). MongoDB's hard limit is 64 indexes per collection.

    ## Example
    ```python
    from pymongo import MongoClient

    events = MongoClient().app.events
    events.create_index("a")
    events.create_index("b")
    events.create_index("c")
    events.create_index("d")
    events.create_index("e")
    events.create_index("f")
    events.create_index("g")
    events.create_index("h")
    events.create_index("i")
    events.create_index("j")
    events.create_index("k")
    ```

    Use instead:
    ```python
    from pymongo import MongoClient

    events = MongoClient().app.events
    events.create_index([("tenant", 1), ("created_at", -1)])
    events.create_index("user_id")
    ```

    ## pymongo
    Compare with `$indexStats` on a live database: indexes with no `accesses.ops` since the
    last restart are candidates to drop.

    ## Options
    `mongo.max-indexes` sets the threshold.

    ## References
    - https://www.mongodb.com/docs/manual/data-modeling/design-antipatterns/unnecessary-indexes/
    - https://www.mongodb.com/docs/manual/reference/limits/#indexes
    """

    code = "MG302"
    name = "mongo-too-many-indexes"
    summary = "More than 10 indexes on one collection slow every write"
    tags = ("mongo", "index")
    consumes = (MongoCallFact,)
    options = ("mongo.max-indexes",)

    def check(self, fact: MongoCallFact, ctx: RuleContext) -> Iterator[Finding]:
        if not fact.index_specs or fact.collection is None:
            return
        limit = ctx.option("mongo", "max-indexes") or 10
        seen: list[str] = []
        over_at: MongoCallFact | None = None
        for other in ctx.unit_facts:
            if not isinstance(other, MongoCallFact) or other.collection != fact.collection:
                continue
            for spec in other.index_specs:
                if spec not in seen and spec != "[('_id', 1)]":
                    seen.append(spec)
                    if len(seen) == limit + 1:
                        over_at = other
        if over_at is not fact:
            return
        yield Finding(
            fact.span,
            f"collection `{fact.collection}` gets {len(seen)} indexes (more than {limit}); "
            "each one slows every write: " + ", ".join(seen),
        )
