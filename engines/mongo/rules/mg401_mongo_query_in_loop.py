from collections.abc import Iterator

from dbsense.analyzers.ir import MongoCallFact
from dbsense.engines.core import (
    Applicability,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)

_READS = {"find", "find_one", "count_documents", "aggregate", "distinct"}
# single-document write -> the pymongo bulk operation that batches it
_BULK = {
    "update_one": "UpdateOne(filter, update)",
    "find_one_and_update": "UpdateOne(filter, update)",
    "replace_one": "ReplaceOne(filter, document)",
    "find_one_and_replace": "ReplaceOne(filter, document)",
    "delete_one": "DeleteOne(filter)",
    "find_one_and_delete": "DeleteOne(filter)",
}


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

    ## Fix safety
    The fix is display-only: one `$in` query returns the documents in no particular order and
    omits the missing ones, so the code has to match results back to items (a dict by the
    filter field); a `bulk_write` reports its errors together at the end and the
    `find_one_and_*` variants no longer return each document.

    ## References
    - https://www.mongodb.com/docs/languages/python/pymongo-driver/current/write-operations/
    - https://www.mongodb.com/docs/manual/reference/operator/query/in/
    """

    code = "MG401"
    name = "mongo-query-in-loop"
    summary = "MongoDB query or single-document write per loop iteration"
    fix_availability = FixAvailability.ALWAYS
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
            Fix(_batch_title(fact, _receiver(ctx, fact)), (), Applicability.DISPLAY_ONLY),
        )


def _receiver(ctx: RuleContext, fact: MongoCallFact) -> str:
    """The source of the collection the call is made on (``db.users``), else its name."""
    text = ctx.text(fact.span.start, fact.span.end)
    end = text.find(f".{fact.method}(")
    receiver = " ".join(text[:end].split()) if end > 0 else ""
    if receiver and len(receiver) <= 40:
        return receiver
    return fact.collection or "collection"


def _batch_title(fact: MongoCallFact, receiver: str) -> str:
    if fact.method == "insert_one":
        return f"Insert after the loop in one call: `{receiver}.insert_many(documents)`"
    if fact.method in _BULK:
        return (
            f"Collect the writes and send them at once: "
            f"`{receiver}.bulk_write([{_BULK[fact.method]}, ...])`"
        )
    field = fact.filter_fields[0] if len(fact.filter_fields) == 1 else "_id"
    match = f'{{"{field}": {{"$in": values}}}}'
    if fact.method == "count_documents":
        return (
            f'Count all items in one query: `{receiver}.aggregate([{{"$match": {match}}}, '
            f'{{"$group": {{"_id": "${field}", "n": {{"$sum": 1}}}}}}])`'
        )
    if fact.method == "aggregate":
        return (
            f'Run the pipeline once for all items: start it with `{{"$match": {match}}}` '
            f'and group by `"${field}"`'
        )
    if fact.method == "distinct":
        return f"Read all items in one query: `{receiver}.find({match}, {{...fields...}})`"
    return f"Read all items in one query before the loop: `{receiver}.find({match})`"
