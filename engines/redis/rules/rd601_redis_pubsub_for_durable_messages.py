import re
from collections.abc import Iterator

from dbsense.analyzers.ir import RedisCommandFact
from dbsense.engines.core import (
    Applicability,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
    Severity,
)

# Channel name words that say the message is a unit of work someone must process.
_WORK_WORDS = {"job", "jobs", "task", "tasks", "queue", "queues", "work", "worker", "workers"}
_WORD = re.compile(r"[A-Za-z]+")


class RedisPubsubForDurableMessages(Rule):
    """## What it does
    Flags `publish` on a channel whose name says it carries work (`jobs`, `tasks`, `queue`,
    `worker`...), the sign that Pub/Sub is used to hand off jobs.

    ## Why is this bad?
    Redis Pub/Sub is fire-and-forget: a message goes to the subscribers connected at that
    instant and is then gone. A worker that is restarting, deploying or briefly disconnected
    never sees the jobs published meanwhile, a worker that crashes mid-job loses it, and a slow
    subscriber is disconnected once its output buffer passes `client-output-buffer-limit
    pubsub`. Nothing is stored, acknowledged or retried. A stream with a consumer group keeps
    each entry until a consumer acknowledges it, and `XAUTOCLAIM` hands the entries of a dead
    consumer to another.

    ## Example
    ```python
    import redis

    r = redis.Redis()


    def enqueue(payload):
        r.publish("jobs:thumbnails", payload)
    ```

    Use instead:
    ```python
    import redis

    r = redis.Redis()


    def enqueue(payload):
        r.xadd("jobs:thumbnails", {"payload": payload}, maxlen=100000, approximate=True)
    ```

    ## redis-py
    Workers create the group once (`r.xgroup_create("jobs:thumbnails", "workers", mkstream=True)`),
    read with `r.xreadgroup("workers", consumer, {"jobs:thumbnails": ">"}, block=5000)` and call
    `r.xack(...)` after the job is done. Pub/Sub stays the right tool for notifications whose
    loss is harmless (cache invalidation, live updates).

    ## Fix safety
    The fix is display-only: the subscribers must move to `XREADGROUP`/`XACK` at the same
    time, and a stream needs a length cap (`maxlen`) or trimming.

    ## References
    - https://redis.io/docs/latest/develop/interact/pubsub/#delivery-semantics
    - https://redis.io/docs/latest/develop/data-types/streams/
    """

    code = "RD601"
    name = "redis-pubsub-for-durable-messages"
    summary = "Pub/Sub used to hand off jobs: messages are lost when no worker listens"
    severity = Severity.INFO
    fix_availability = FixAvailability.ALWAYS
    tags = ("redis", "messaging")
    consumes = (RedisCommandFact,)

    def check(self, fact: RedisCommandFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.command not in ("publish", "spublish") or fact.key is None:
            return
        words = {word.lower() for word in _WORD.findall(fact.key)}
        if not words & _WORK_WORDS:
            return
        client = fact.receiver if fact.receiver and len(fact.receiver) <= 40 else "r"
        channel = fact.pattern_source or f'"{fact.key}"'
        yield Finding(
            fact.span,
            f"`{fact.command}` on `{fact.key}` hands off work through Pub/Sub: messages sent "
            "while no worker is subscribed, or lost by a crashing worker, are gone",
            Fix(
                f'Use a stream: `{client}.xadd({channel}, {{"payload": message}}, '
                "maxlen=100000, approximate=True)` with workers on `xreadgroup` + `xack`",
                (),
                Applicability.DISPLAY_ONLY,
            ),
        )
