from collections.abc import Iterator

from dbsense.analyzers.ir import MongoRegexFact, Span
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)


class MongoUnanchoredRegex(Rule):
    """## What it does
    Flags a `$regex`, `re.compile` or `bson.Regex` filter whose pattern does not start with `^`
    (or `\\A`), or is not a literal at all.

    ## Why is this bad?
    A B-tree index orders strings by prefix. A regex anchored at the start with a literal
    prefix (`^abc`) becomes an index range scan; any other regex must test every key of the
    index (or every document, without one), so the query reads the whole collection on every
    call and gets slower as it grows. A pattern built from user input can also be made
    catastrophically slow (ReDoS) unless it is passed through `re.escape`.

    ## Example
    ```python
    from pymongo import MongoClient

    products = MongoClient().shop.products


    def by_sku(prefix):
        return products.find_one({"sku": {"$regex": "ABC-"}})
    ```

    Use instead:
    ```python
    from pymongo import MongoClient

    products = MongoClient().shop.products


    def by_sku(prefix):
        return products.find_one({"sku": {"$regex": "^ABC-"}})
    ```

    ## pymongo
    For a substring or word search, a text index, Atlas Search or Elasticsearch fits better
    than a regex.

    ## Fix safety
    The fix (adding `^` to a literal pattern) is unsafe: the query then matches only values
    that start with the pattern, which is right only when a prefix match was meant.

    ## Options
    Collections listed in `mongo.small-collections` are not flagged.

    ## References
    - https://www.mongodb.com/docs/manual/reference/operator/query/regex/#index-use
    """

    code = "MG201"
    name = "mongo-unanchored-regex"
    summary = "Unanchored `$regex` cannot use an index range"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("mongo", "index")
    consumes = (MongoRegexFact,)
    options = ("mongo.small-collections",)

    def check(self, fact: MongoRegexFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.collection in (ctx.option("mongo", "small-collections") or ()):
            return
        where = f" on `{fact.collection}`" if fact.collection else ""
        if fact.pattern is None:
            yield Finding(
                fact.span,
                f"regex filter{where} is not a literal: unless it starts with `^` it scans "
                "every key; anchor it and pass user input through `re.escape`",
            )
            return
        if fact.pattern.startswith(("^", "\\A")):
            return
        fix = None
        if fact.insert_at is not None:
            fix = Fix(
                "Anchor the pattern with `^`",
                (Edit(Span(fact.insert_at, fact.insert_at), "^"),),
                Applicability.UNSAFE,
            )
        yield Finding(
            fact.span,
            f"regex `{fact.pattern}`{where} is not anchored with `^`: it cannot use an index "
            "range and scans every key",
            fix,
        )
