from collections.abc import Iterator
from fnmatch import fnmatch

from dbsense.analyzers.ir import RedisCommandFact, Span
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)

_WRITES = {"set", "hset", "hmset", "sadd", "rpush", "lpush", "zadd"}
_EXPIRES = {"expire", "pexpire", "expireat", "pexpireat", "setex", "psetex", "getex"}
_TTL_KEYWORDS = {"ex", "px", "exat", "pxat", "keepttl"}


class RedisKeyWithoutTtl(Rule):
    """## What it does
    Flags a cache-like key written with `set`, `hset`, `sadd`, `rpush`, `lpush` or `zadd` with
    no expiry: no `ex`/`px`/`exat`/`keepttl` and no `expire` on the same key in the same
    function.

    ## Why is this bad?
    Redis keeps a key without a TTL until something deletes it. Cache entries and sessions
    written that way pile up: memory grows until `maxmemory` is reached, and then either writes
    fail (`noeviction`) or the eviction policy throws out keys that were meant to stay. Stale
    entries are also served forever when the invalidation path misses one.

    ## Example
    ```python
    import redis

    r = redis.Redis()


    def cache_profile(user_id, payload):
        r.set(f"cache:profile:{user_id}", payload)
    ```

    Use instead:
    ```python
    import redis

    r = redis.Redis()


    def cache_profile(user_id, payload):
        r.set(f"cache:profile:{user_id}", payload, ex=3600)
    ```

    ## redis-py
    `set(..., ex=seconds)` sets the value and the TTL in one command; for hashes, sets and
    lists call `expire` after the write (in the same pipeline).

    ## Fix safety
    The fix (for `set` only) is unsafe: the key now disappears after `redis.default-ttl`
    seconds, and code that expects it to stay will see a miss.

    ## Options
    A key is cache-like when it matches `redis.cache-key-patterns` or the function name
    contains `cache`; `redis.require-ttl = "all"` checks every key. Keys matching
    `redis.persistent-keys` are never flagged.

    ## References
    - https://redis.io/docs/latest/commands/set/
    - https://redis.io/docs/latest/develop/reference/eviction/
    """

    code = "RD301"
    name = "redis-key-without-ttl"
    summary = "Cache-like Redis key written without an expiry"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("redis", "memory")
    consumes = (RedisCommandFact,)
    options = (
        "redis.cache-key-patterns",
        "redis.require-ttl",
        "redis.persistent-keys",
        "redis.default-ttl",
    )

    def check(self, fact: RedisCommandFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.command not in _WRITES or _TTL_KEYWORDS & set(fact.keywords):
            return
        key = fact.key or ""
        if any(fnmatch(key, glob) for glob in ctx.option("redis", "persistent-keys") or ()):
            return
        if ctx.option("redis", "require-ttl") != "all" and not self._cache_like(fact, ctx):
            return
        if self._expired_later(fact, ctx):
            return
        fix = None
        if fact.command == "set" and fact.insert_keyword_at is not None:
            ttl = ctx.option("redis", "default-ttl") or 3600
            at = fact.insert_keyword_at
            fix = Fix(f"Add `ex={ttl}`", (Edit(Span(at, at), f", ex={ttl}"),), Applicability.UNSAFE)
        name = f"`{fact.key}`" if fact.key else "key"
        yield Finding(
            fact.span,
            f"`{fact.command}` writes cache-like {name} with no expiry; it stays in memory "
            "until deleted",
            fix,
        )

    @staticmethod
    def _cache_like(fact: RedisCommandFact, ctx: RuleContext) -> bool:
        if fact.place.function and "cache" in fact.place.function.lower():
            return True
        key = fact.key or ""
        patterns = ctx.option("redis", "cache-key-patterns") or ()
        return bool(key) and any(fnmatch(key, glob) for glob in patterns)

    @staticmethod
    def _expired_later(fact: RedisCommandFact, ctx: RuleContext) -> bool:
        return any(
            isinstance(other, RedisCommandFact)
            and other.command in _EXPIRES
            and other.key == fact.key
            and other.place.function == fact.place.function
            for other in ctx.unit_facts
        )
