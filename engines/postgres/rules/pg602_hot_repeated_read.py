from collections.abc import Iterator

from dbsense.analyzers.ir import ConstantReadFact
from dbsense.engines.core import Finding, Rule, RuleContext, Severity


class HotRepeatedRead(Rule):
    """## What it does
    Flags a read query with only literal arguments that two or more request handlers of a
    module run, with no cache in front of it, on a model the module never writes: the same
    rows are read again on every request.

    ## Why is this bad?
    Each request pays a round trip, a planned and executed query, and the object
    construction, for an answer that is the same for everyone until the data changes. On a
    busy page (menus, categories, feature flags, settings) this is often the most executed
    query of the database, and it takes connections from the pool that other queries wait for.

    This is an engine-choice recommendation, not a defect: it is informational.

    ## Trade-offs
    - **Redis cache-aside**: read the key, on a miss run the query and `SET` it with a TTL.
      Reads become one Redis round trip. The cost: the answer may be stale for up to the TTL,
      so pick the TTL from how stale the page may be; delete the key where the data is
      written (or on `post_save`) when staleness matters; and run one more service, whose
      outage must fall back to the database rather than fail the page.
    - **In-process cache** (`functools.lru_cache` with a time bucket, Django's local-memory
      cache): no extra service, but each worker holds its own copy and invalidation cannot
      reach the other workers.
    - **Materialized view** in PostgreSQL when the query is an expensive aggregate: it
      stays in one engine, is refreshed on a schedule (`REFRESH MATERIALIZED VIEW
      CONCURRENTLY`), and still costs one query per request.

    ## Example
    ```python
    from django.db import models


    class Category(models.Model):
        name = models.TextField()
        visible = models.BooleanField()


    def home(request):
        return list(Category.objects.filter(visible=True).order_by("name"))


    def search(request):
        return list(Category.objects.filter(visible=True).order_by("name"))
    ```

    Use instead:
    ```python
    from django.core.cache import cache
    from django.db import models


    class Category(models.Model):
        name = models.TextField()
        visible = models.BooleanField()


    def visible_categories():
        # cache-aside with a 5-minute TTL; delete "categories:visible" where categories change
        return cache.get_or_set(
            "categories:visible",
            lambda: list(Category.objects.filter(visible=True).order_by("name")),
            300,
        )


    def home(request):
        return visible_categories()


    def search(request):
        return visible_categories()
    ```

    ## Django
    `cache.get_or_set(key, callable, timeout)` with a Redis cache backend
    (`django.core.cache.backends.redis.RedisCache`), or `@cache_page` on the view. Invalidate
    from a `post_save`/`post_delete` signal of the model.

    ## References
    - https://redis.io/docs/latest/develop/use/client-side-caching/
    - https://docs.djangoproject.com/en/stable/topics/cache/
    - https://www.postgresql.org/docs/current/rules-materializedviews.html
    """

    code = "PG602"
    name = "hot-repeated-read"
    summary = "The same constant read query runs in several request handlers with no cache"
    severity = Severity.INFO
    tags = ("engine-choice", "performance", "cache")
    consumes = (ConstantReadFact,)

    def check(self, fact: ConstantReadFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.cached or fact.written:
            return
        handlers: list[str] = []
        for other in ctx.unit_facts:
            if (
                isinstance(other, ConstantReadFact)
                and other.query == fact.query
                and not other.cached
                and other.function not in handlers
            ):
                handlers.append(other.function)
        if len(handlers) < 2:
            return
        what = f"`{fact.model}` query" if fact.model else "query"
        names = ", ".join(f"`{name}`" for name in handlers)
        yield Finding(
            fact.span,
            f"the same constant {what} runs in {len(handlers)} request handlers ({names}) with "
            "no cache; cache it (Redis cache-aside with a TTL, deleted where the rows change)",
        )
