from collections.abc import Iterator

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

_BLOCKING = {
    "blpop",
    "brpop",
    "brpoplpush",
    "blmove",
    "bzpopmin",
    "bzpopmax",
    "xread",
    "xreadgroup",
    "get_message",
    "listen",
}


class RedisCommandInLoop(Rule):
    """## What it does
    Flags a Redis command sent from inside a loop with a key that depends on the loop
    variable: one network round trip per item.

    ## Why is this bad?
    Each command waits for its reply before the next one is sent. At 0.2 to 1 ms per round trip,
    a loop over 1,000 keys spends most of its time on the network while the server sits idle,
    and the server pays a `read`/`write` system call per command. `MGET` reads many keys in one
    command; a pipeline sends many commands and reads all replies at once.

    Loops over a literal collection of three items or fewer and blocking pops in consumer
    loops are not flagged.

    ## Example
    ```python
    import redis

    r = redis.Redis()


    def prices(ids):
        return [r.get(f"price:{i}") for i in ids]
    ```

    Use instead:
    ```python
    import redis

    r = redis.Redis()


    def prices(ids):
        return r.mget([f"price:{i}" for i in ids])
    ```

    ## redis-py
    For other commands, queue them on `r.pipeline(transaction=False)` inside the loop and call
    `execute()` once after it (every 10,000 commands for large loops, see RD402).

    ## Fix safety
    The `mget` fix (for a list comprehension of `get`) is unsafe: on Redis Cluster all keys of
    one `MGET` must hash to the same slot, and the call now fails as a whole instead of per key.

    ## References
    - https://redis.io/docs/latest/develop/use/pipelining/
    - https://redis.io/docs/latest/commands/mget/
    """

    code = "RD401"
    name = "redis-command-in-loop"
    summary = "Redis command per loop iteration: one round trip per item"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("redis", "n-plus-one")
    consumes = (RedisCommandFact,)

    def check(self, fact: RedisCommandFact, ctx: RuleContext) -> Iterator[Finding]:
        place = fact.place
        if fact.pipeline or not place.in_loop or not place.loop_dependent:
            return
        if fact.command in _BLOCKING:
            return
        if place.loop_bound is not None and place.loop_bound <= 3:
            return
        fix = None
        if fact.batch_span is not None and fact.batch_keys and fact.receiver:
            fix = Fix(
                "Read all keys with one `mget`",
                (Edit(fact.batch_span, f"{fact.receiver}.mget({fact.batch_keys})"),),
                Applicability.UNSAFE,
            )
        yield Finding(
            fact.span,
            f"`{fact.command}` runs once per loop iteration: one round trip per item; "
            + ("read all keys with `mget`" if fact.command == "get" else "queue it on a pipeline"),
            fix,
        )
