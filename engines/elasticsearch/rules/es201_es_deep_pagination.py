from collections.abc import Iterator

from dbsense.analyzers.ir import EsCallFact
from dbsense.engines.core import (
    Applicability,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)


class EsDeepPagination(Rule):
    """## What it does
    Flags `search` calls whose literal `from_ + size` exceeds `es.max-result-window` (10,000),
    whose `from_` is page arithmetic with no upper clamp, or that use `scroll` on the request
    path.

    ## Why is this bad?
    To return hits `from` to `from + size`, every shard collects and sorts its top
    `from + size` hits and the coordinating node merges `shards * (from + size)` of them: page
    500 costs 500 times page 1 in memory and CPU. Past `index.max_result_window` the request
    fails outright. Page numbers taken from the URL let any client request those pages.
    `scroll` keeps a search context (and old segments) alive per user and is meant for exports.

    A point in time (PIT) with `search_after` on a sort with a tiebreaker pages at constant
    cost per page.

    ## Example
    ```python
    from elasticsearch import Elasticsearch

    es = Elasticsearch()


    def page(request, page):
        return es.search(index="products", from_=page * 50, size=50)
    ```

    Use instead:
    ```python
    from elasticsearch import Elasticsearch

    es = Elasticsearch()


    def page(request, after):
        return es.search(index="products", size=50, sort=[{"id": "asc"}], search_after=after)
    ```

    ## elasticsearch-py
    `es.open_point_in_time(index=..., keep_alive="1m")` returns the PIT id to pass as
    `pit={"id": ..., "keep_alive": "1m"}`; each page passes the last hit's `sort` values as
    `search_after`. Clamping the page (`min(page, 199) * 50`) also silences the rule.

    ## Fix safety
    The fix is display-only: `search_after` replaces page numbers with a cursor (the last
    hit's `sort` values), which changes the API of the endpoint, and the sort needs a unique
    tiebreaker (`_shard_doc` under a point in time) so no hit is skipped or repeated.

    ## Options
    `es.max-result-window` is the window of the indices searched.

    ## References
    - https://www.elastic.co/docs/reference/elasticsearch/rest-apis/paginate-search-results
    - https://www.elastic.co/docs/reference/elasticsearch/index-settings/index-modules
    """

    code = "ES201"
    name = "es-deep-pagination"
    summary = "`from + size` pagination past the result window"
    fix_availability = FixAvailability.ALWAYS
    tags = ("elasticsearch", "pagination")
    consumes = (EsCallFact,)
    options = ("es.max-result-window",)

    def check(self, fact: EsCallFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.method != "search" or fact.search_after:
            return
        window = ctx.option("es", "max-result-window") or 10000
        index = f" on `{fact.index}`" if fact.index else ""
        fix = _search_after_fix(fact, ctx)
        if fact.from_value is not None:
            total = fact.from_value + (fact.size_value or 10)
            if total > window:
                yield Finding(
                    fact.span,
                    f"`from_ + size` = {total}{index} exceeds `max_result_window` ({window}): "
                    "the search fails; use `search_after` with a point in time",
                    fix,
                )
            return
        if fact.unclamped_from:
            yield Finding(
                fact.span,
                f"`from_` is computed from a page number with no upper bound{index}: deep "
                f"pages cost `from + size` hits per shard and fail past {window}; use "
                "`search_after` with a point in time",
                fix,
            )
        elif fact.scroll and fact.place.request_kind is not None:
            yield Finding(
                fact.span,
                f"`scroll` used to page results for a request{index}: each user holds a search "
                "context open; use `search_after` with a point in time",
                fix,
            )


def _search_after_fix(fact: EsCallFact, ctx: RuleContext) -> Fix:
    text = ctx.text(fact.span.start, fact.span.end)
    end = text.find(".search(")
    client = " ".join(text[:end].split()) if end > 0 else "es"
    index = f'"{fact.index}"' if fact.index else "index"
    size = fact.size_value or 10
    return Fix(
        f"Page with a point in time: `pit = {client}.open_point_in_time(index={index}, "
        f'keep_alive="1m")`, then `{client}.search(pit={{"id": pit["id"], "keep_alive": "1m"}}, '
        f'size={size}, sort=[<sort>, {{"_shard_doc": "asc"}}], search_after=last_hit["sort"])`',
        (),
        Applicability.DISPLAY_ONLY,
    )
