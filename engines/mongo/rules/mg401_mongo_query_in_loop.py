from collections.abc import Iterator

from dbsense.analyzers.ir import MongoCallFact
from dbsense.engines.core import Finding, Rule, RuleContext

_READS = {"find", "find_one", "count_documents", "aggregate", "distinct"}


class MongoQueryInLoop(Rule):
    """## What it does
    Flags, inside a loop, a `find`, `find_one`, `count_documents` or `aggregate` whose filter
    depends on the loop variable, and any single-document write (`insert_one`, `update_one`,
    `delete_one`, `replace_one`, `find_one_and_*`).

    ## Why is this bad?
    Each call is a round trip to the server (and for writes a journal commit with the default
    write concern). A loop over 500 ids makes 500 round trips where one `{"_id": {"$in": ids}}`
    query or one `insert_many`/`bulk_write` would do; latency grows linearly with the data.

    Loops over a literal collection of three items or fewer, and loops that stop at the first
    hit, are not flagged.

    ## Example
    ```python
    from pymongo import MongoClient

    users = MongoClient().app.users


    def names(ids):
        return [users.find_one({"_id": i})["name"] for i in ids]
    ```

    Use instead:
    ```python
    from pymongo import MongoClient

    users = MongoClient().app.users


    def names(ids):
        return [doc["name"] for doc in users.find({"_id": {"$in": ids}}, {"name": 1})]
    ```

    ## pymongo
    Writes batch with `insert_many(docs, ordered=False)` or
    `bulk_write([UpdateOne(...), ...])`.

    ## References
    - https://www.mongodb.com/docs/languages/python/pymongo-driver/current/write-operations/
    - https://www.mongodb.com/docs/manual/reference/operator/query/in/
    """

    code = "MG401"
    name = "mongo-query-in-loop"
    summary = "MongoDB query or single-document write per loop iteration"
    tags = ("mongo", "n-plus-one")
    consumes = (MongoCallFact,)

    def check(self, fact: MongoCallFact, ctx: RuleContext) -> Iterator[Finding]:
        place = fact.place
        if not place.in_loop or place.loop_exits_early:
            return
        if place.loop_bound is not None and place.loop_bound <= 3:
            return
        write = fact.method.endswith("_one") and fact.method != "find_one"
        write = write or fact.method.startswith("find_one_and_")
        if not write and not (fact.method in _READS and place.loop_dependent):
            return
        target = f" on `{fact.collection}`" if fact.collection else ""
        batch = "`insert_many`/`bulk_write`" if write else "one `$in` query"
        yield Finding(
            fact.span,
            f"`{fact.method}`{target} runs once per loop iteration: one round trip per item; "
            f"use {batch}",
        )
