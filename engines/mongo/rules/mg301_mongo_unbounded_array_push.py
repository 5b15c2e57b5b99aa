from collections.abc import Iterator

from dbsense.analyzers.ir import MongoArrayPushFact
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)


class MongoUnboundedArrayPush(Rule):
    """## What it does
    Flags `$push` (and `$addToSet` of computed values) without `$each` plus `$slice`, which
    lets an array grow without limit.

    ## Why is this bad?
    A document is rewritten as a whole and capped at 16 MB. An array that grows with activity
    (events, comments, log lines) makes every read and update of the document slower, inflates
    the working set and every index on the array (multikey indexes hold one entry per element),
    and eventually fails writes at the size limit. `$slice` keeps the newest N elements;
    unbounded history belongs in its own collection.

    ## Example
    ```python
    from pymongo import MongoClient

    users = MongoClient().app.users


    def record_login(user_id, event):
        users.update_one({"_id": user_id}, {"$push": {"logins": event}})
    ```

    Use instead:
    ```python
    from pymongo import MongoClient

    users = MongoClient().app.users


    def record_login(user_id, event):
        capped = {"$each": [event], "$slice": -1000}
        users.update_one({"_id": user_id}, {"$push": {"logins": capped}})
    ```

    ## pymongo
    When the whole history is needed, write each element as a document of a child collection
    (or a bucket document per period) referencing the parent.

    ## Fix safety
    The fix is unsafe: older elements beyond `mongo.array-cap` are dropped from the array.

    ## Options
    `mongo.bounded-arrays` lists fields the application keeps bounded; `mongo.array-cap` is the
    `$slice` the fix writes.

    ## References
    - https://www.mongodb.com/docs/manual/data-modeling/design-antipatterns/unbounded-arrays/
    - https://www.mongodb.com/docs/manual/reference/operator/update/slice/
    """

    code = "MG301"
    name = "mongo-unbounded-array-push"
    summary = "`$push` without `$slice` grows an array without limit"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("mongo", "schema")
    consumes = (MongoArrayPushFact,)
    options = ("mongo.bounded-arrays", "mongo.array-cap")

    def check(self, fact: MongoArrayPushFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.bounded or (fact.operator == "$addToSet" and fact.literal):
            return
        bounded = ctx.option("mongo", "bounded-arrays") or ()
        if fact.field in bounded or f"{fact.collection}.{fact.field}" in bounded:
            return
        fix = None
        if fact.operator == "$push" and not fact.value_source.lstrip().startswith("{"):
            cap = ctx.option("mongo", "array-cap") or 1000
            fix = Fix(
                f"Keep the last {cap} elements with `$slice`",
                (Edit(fact.span, f'{{"$each": [{fact.value_source}], "$slice": -{cap}}}'),),
                Applicability.UNSAFE,
            )
        where = f"`{fact.collection}.{fact.field}`" if fact.collection else f"`{fact.field}`"
        yield Finding(
            fact.span,
            f"`{fact.operator}` grows array {where} without `$slice`: the document grows "
            "toward the 16 MB limit",
            fix,
        )
