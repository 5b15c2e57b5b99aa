from collections.abc import Iterator

from dbsense.analyzers.ir import ClientCreationFact
from dbsense.engines.clients import client_per_request
from dbsense.engines.core import Finding, FixAvailability, Rule, RuleContext


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
        finding = client_per_request(
            fact,
            ctx,
            "each request opens new connections; create one client at module level",
            "once at module level",
        )
        if finding is not None:
            yield finding
