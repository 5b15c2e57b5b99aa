from collections.abc import Iterator
from fnmatch import fnmatch

from dbsense.analyzers.ir import EsCallFact
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

_WRITES = {
    "index",
    "create",
    "update",
    "delete",
    "bulk",
    "update_by_query",
    "delete_by_query",
    "helpers.bulk",
    "helpers.async_bulk",
    "helpers.streaming_bulk",
    "helpers.async_streaming_bulk",
    "helpers.parallel_bulk",
}


class EsRefreshPerWrite(Rule):
    """## What it does
    Flags `refresh=True` (or `"true"`) on a write call or a bulk helper. Inside a loop the
    finding is an error.

    ## Why is this bad?
    A refresh turns the in-memory indexing buffer into a new searchable Lucene segment. Forcing
    one per write creates a tiny segment per request on every shard copy, which the merge
    scheduler must then merge again: indexing throughput drops sharply, CPU and I/O rise, and
    searches slow down across many small segments. The index refreshes by itself every second
    (`index.refresh_interval`).

    ## Example
    ```python
    from elasticsearch import Elasticsearch

    es = Elasticsearch()


    def save(product):
        es.index(index="products", id=product["id"], document=product, refresh=True)
    ```

    Use instead:
    ```python
    from elasticsearch import Elasticsearch

    es = Elasticsearch()


    def save(product):
        es.index(index="products", id=product["id"], document=product, refresh="wait_for")
    ```

    ## elasticsearch-py
    `refresh="wait_for"` returns once the next scheduled refresh has made the write visible,
    without forcing a segment; drop the argument entirely when the caller does not read its
    own write.

    ## Fix safety
    The fix is unsafe: with `"wait_for"` the call takes up to `refresh_interval` (1 s) longer,
    and it returns before the write is visible if too many requests already wait on the shard.

    ## Options
    Paths matching `es.refresh-allow` (tests by default) are not flagged.

    ## References
    - https://www.elastic.co/docs/reference/elasticsearch/rest-apis/refresh-parameter
    - https://www.elastic.co/docs/deploy-manage/production-guidance/optimize-performance/indexing-speed
    """

    code = "ES501"
    name = "es-refresh-per-write"
    summary = "`refresh=True` on writes forces a new segment per request"
    fix_availability = FixAvailability.ALWAYS
    tags = ("elasticsearch", "indexing")
    consumes = (EsCallFact,)
    options = ("es.refresh-allow",)

    def check(self, fact: EsCallFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.method not in _WRITES or fact.refresh_span is None:
            return
        if fact.refresh is not True and str(fact.refresh).lower() != "true":
            return
        path = ctx.file.path if ctx.file else ""
        if any(fnmatch(path, glob) for glob in ctx.option("es", "refresh-allow") or ()):
            return
        loop = fact.place.in_loop
        yield Finding(
            fact.span,
            f"`{fact.method}` with `refresh=True` forces a new segment per call"
            + (" inside a loop" if loop else "")
            + '; use `refresh="wait_for"` or drop it',
            Fix(
                'Use `refresh="wait_for"`',
                (Edit(fact.refresh_span, '"wait_for"'),),
                Applicability.UNSAFE,
            ),
            severity=Severity.ERROR if loop else None,
        )
