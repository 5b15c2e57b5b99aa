from collections.abc import Iterator
from dataclasses import dataclass, field

from dbsense.analyzers.ir import MongoCallFact, is_python
from dbsense.engines.core import Finding, Related, Rule, RuleContext


class MongoTooManyIndexes(Rule):
    """## What it does
    Flags a collection that gets more than `mongo.max-indexes` (10) distinct indexes from
    `create_index`/`create_indexes` calls, not counting `_id`. The calls are counted across
    every module of the workspace, by collection name; the finding is on the call that
    passes the limit, with the other calls as related locations.

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
    workspace = True
    options = ("mongo.max-indexes",)

    def check_workspace(self, ctx: RuleContext) -> Iterator[Finding]:
        if ctx.focus is not None and not any(is_python(path) for path in ctx.focus):
            return  # the findings sit on pymongo calls, in Python files only
        limit = ctx.option("mongo", "max-indexes") or 10
        collections: dict[str, _Collection] = {}
        for unit in getattr(ctx.catalog, "history", ()):
            if not is_python(unit.path):
                continue
            for fact in unit.facts:
                if isinstance(fact, MongoCallFact) and fact.index_specs and fact.collection:
                    collections.setdefault(fact.collection, _Collection()).add(unit.path, fact)
        for name, found in collections.items():
            if len(found.specs) <= limit:
                continue
            path, fact = found.calls[limit]
            yield Finding(
                fact.span,
                f"collection `{name}` gets {len(found.specs)} indexes (more than {limit}); "
                "each one slows every write: " + ", ".join(found.specs),
                related=tuple(
                    Related(other_path, other.span, f"an index on `{name}`")
                    for other_path, other in dict.fromkeys(found.calls)
                    if other is not fact
                ),
                path=path,
            )


@dataclass(slots=True)
class _Collection:
    """The distinct index specs of one collection and, for each, the call that added it."""

    specs: list[str] = field(default_factory=list)
    calls: list[tuple[str, MongoCallFact]] = field(default_factory=list)

    def add(self, path: str, fact: MongoCallFact) -> None:
        for spec in fact.index_specs:
            if spec not in self.specs and spec != "[('_id', 1)]":
                self.specs.append(spec)
                self.calls.append((path, fact))
