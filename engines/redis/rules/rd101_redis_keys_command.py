from collections.abc import Iterator
from fnmatch import fnmatch

from dbsense.analyzers.ir import RedisCommandFact
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)


class RedisKeysCommand(Rule):
    """## What it does
    Flags the `KEYS` command: `r.keys(pattern)` or `r.execute_command("KEYS", pattern)`, sync or
    asyncio.

    ## Why is this bad?
    Redis runs commands on a single thread. `KEYS` walks the whole keyspace, O(N) in the number
    of keys, and answers only when it is done: on a few million keys the server serves no other
    client for hundreds of milliseconds or more, so every other request times out behind it.
    The pattern does not help; every key is still visited.

    `SCAN` returns the same keys a page at a time with a cursor, so other commands run between
    the pages.

    ## Example
    ```python
    import redis

    r = redis.Redis()


    def session_keys():
        return r.keys("session:*")
    ```

    Use instead:
    ```python
    import redis

    r = redis.Redis()


    def session_keys():
        return list(r.scan_iter(match="session:*", count=1000))
    ```

    ## redis-py
    `scan_iter` hides the cursor loop; the asyncio client's `scan_iter` is an async iterator
    (`async for key in r.scan_iter(...)`).

    ## Fix safety
    The fix is unsafe. `scan_iter` returns an iterator, not a list, and `SCAN` is not a
    snapshot: a key may be returned more than once, and keys added or removed during the
    iteration may or may not be seen.

    ## Options
    `redis.keys-allow` lists path globs where `KEYS` is fine (tests, one-off scripts).

    ## References
    - https://redis.io/docs/latest/commands/keys/
    - https://redis.io/docs/latest/commands/scan/
    """

    code = "RD101"
    name = "redis-keys-command"
    summary = "`KEYS` walks the whole keyspace and blocks the Redis server"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("redis", "blocking")
    consumes = (RedisCommandFact,)
    options = ("redis.keys-allow",)

    def check(self, fact: RedisCommandFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.command != "keys" or fact.pipeline:
            return
        path = ctx.file.path if ctx.file else ""
        if any(fnmatch(path, glob) for glob in ctx.option("redis", "keys-allow") or ()):
            return
        fix = None
        if (
            fact.method_span is not None
            and fact.receiver
            and "execute_command" not in (ctx.text(fact.method_span.start, fact.method_span.end))
        ):
            match = f"match={fact.pattern_source}, " if fact.pattern_source else ""
            fix = Fix(
                "Use `scan_iter`",
                (Edit(fact.method_span, f"scan_iter({match}count=1000)"),),
                Applicability.UNSAFE,
            )
        pattern = f" `{fact.key}`" if fact.key else ""
        yield Finding(
            fact.span,
            f"`KEYS`{pattern} walks the whole keyspace and blocks the Redis server until done",
            fix,
        )
