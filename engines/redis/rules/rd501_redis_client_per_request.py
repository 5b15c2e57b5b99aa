from collections.abc import Iterator
from fnmatch import fnmatch

from dbsense.analyzers.ir import ClientCreationFact
from dbsense.engines.core import (
    Applicability,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)

_TEST_PATHS = ("tests/**", "**/tests/**", "test_*.py", "**/test_*.py", "conftest.py")


class RedisClientPerRequest(Rule):
    """## What it does
    Flags a Redis client or connection pool (`Redis(...)`, `from_url(...)`,
    `[Blocking]ConnectionPool(...)`, sync or asyncio) created in a view, route or task.

    ## Why is this bad?
    A redis-py client owns a connection pool. Creating one per request opens a new TCP (and
    TLS) connection, runs `AUTH`/`HELLO`/`SELECT` again, and throws the connection away at the
    end, so every request pays the handshake and the server sees connection churn; under load
    the open connections can exceed `maxclients`. One client at module level (or per process)
    is thread-safe and reuses its connections.

    ## Example
    ```python
    import redis


    def profile(request, user_id):
        r = redis.Redis(host="cache")
        return r.get(f"profile:{user_id}")
    ```

    Use instead:
    ```python
    import redis

    r = redis.Redis(host="cache")


    def profile(request, user_id):
        return r.get(f"profile:{user_id}")
    ```

    ## redis-py
    `Redis(connection_pool=pool)` with a module-level pool is fine: it borrows connections
    from the shared pool. Functions decorated with `functools.cache` act as factories.

    ## Fix safety
    The fix is display-only: moving the call to module scope changes when the client is
    built, so settings read at request time (per-tenant URLs, say) need a pool per setting
    instead.

    ## References
    - https://redis.io/docs/latest/develop/clients/redis-py/connect/
    - https://redis.io/docs/latest/develop/clients/pools-and-muxing/
    """

    code = "RD501"
    name = "redis-client-per-request"
    summary = "Redis client or connection pool created on the request path"
    fix_availability = FixAvailability.ALWAYS
    tags = ("redis", "connections")
    consumes = (ClientCreationFact,)

    def check(self, fact: ClientCreationFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.engine != "redis" or fact.shared_pool or fact.place.request_kind is None:
            return
        path = ctx.file.path if ctx.file else ""
        if any(fnmatch(path, glob) for glob in _TEST_PATHS):
            return
        what = fact.constructor.rsplit(".", 1)[-1]
        yield Finding(
            fact.span,
            f"`{what}` is created on every call of `{fact.place.function}` "
            f"({fact.place.request_kind}): each request opens new connections; "
            "create one client at module level",
            Fix(
                f"Create `{_source(ctx, fact)}` once at module level and reuse it in "
                f"`{fact.place.function}`",
                (),
                Applicability.DISPLAY_ONLY,
            ),
        )


def _source(ctx: RuleContext, fact: ClientCreationFact) -> str:
    """The constructor call on one line, cut at 60 characters."""
    text = ctx.file.text[fact.span.start : fact.span.end] if ctx.file else ""
    flat = " ".join(text.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."
