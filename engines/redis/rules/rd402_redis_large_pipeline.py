from collections.abc import Iterator

from dbsense.analyzers.ir import RedisPipelineLoopFact
from dbsense.engines.clients import one_line
from dbsense.engines.core import (
    Applicability,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)


class RedisLargePipeline(Rule):
    """## What it does
    Flags a pipeline filled inside a loop over an unknown or large iterable and executed once
    after the loop.

    ## Why is this bad?
    A pipeline keeps every queued command in the client's memory, and the server buffers every
    reply in the connection's output buffer until the client reads them. A pipeline of a
    million commands holds a million replies on both sides, can hit
    `client-output-buffer-limit` (the server then drops the connection), and makes the other
    clients wait while the batch runs. Executing every few thousand commands keeps the
    round-trip savings with bounded memory.

    ## Example
    ```python
    import redis

    r = redis.Redis()


    def warm(rows):
        pipe = r.pipeline()
        for row in rows:
            pipe.set(f"user:{row.id}", row.name)
        pipe.execute()
    ```

    Use instead:
    ```python
    import redis

    r = redis.Redis()


    def warm(rows):
        pipe = r.pipeline()
        for count, row in enumerate(rows, start=1):
            pipe.set(f"user:{row.id}", row.name)
            if count % 1000 == 0:
                pipe.execute()
        pipe.execute()
    ```

    ## redis-py
    After `execute()` the same pipeline object is reset and can be reused.

    ## Fix safety
    The fix is display-only: it shows the loop counter and the `execute()` every N commands.
    With `transaction=True` (the default) each chunk becomes its own `MULTI`/`EXEC`, so the
    batch is no longer applied atomically as a whole.

    ## Options
    Loops over `range(n)` or a literal collection are fine while `n` stays within
    `redis.pipeline-batch-size`.

    ## References
    - https://redis.io/docs/latest/develop/use/pipelining/
    - https://redis.io/docs/latest/develop/reference/clients/#output-buffer-limits
    """

    code = "RD402"
    name = "redis-large-pipeline"
    summary = "Pipeline filled in an unbounded loop and executed once"
    fix_availability = FixAvailability.ALWAYS
    tags = ("redis", "memory")
    consumes = (RedisPipelineLoopFact,)
    options = ("redis.pipeline-batch-size",)

    def check(self, fact: RedisPipelineLoopFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.executes_in_loop:
            return
        limit = ctx.option("redis", "pipeline-batch-size") or 10000
        if fact.loop_bound is not None and fact.loop_bound <= limit:
            return
        every = min(limit, 1000)
        pipe = fact.pipeline
        yield Finding(
            fact.span,
            f"pipeline `{pipe}` queues a command per item of `{fact.iterable}` and "
            f"executes once; execute every {every} commands",
            Fix(
                f"Execute every {every} commands: "
                f"`for count, item in enumerate({one_line(fact.iterable)}, start=1):`, queue, "
                f"then `if count % {every} == 0: {pipe}.execute()`",
                (),
                Applicability.DISPLAY_ONLY,
            ),
        )
