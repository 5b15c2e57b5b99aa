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


class MongoClientPerRequest(Rule):
    """## What it does
    Flags `MongoClient`, `AsyncMongoClient` or a Motor client created in a view, route or task.

    ## Why is this bad?
    A `MongoClient` is a whole connection pool with background monitor threads that discover
    the topology and heartbeat every server. Creating one per request repeats server discovery,
    the TCP/TLS handshakes and authentication on every request, leaks threads until the client
    is closed, and multiplies the connections the server must hold. One client per process is
    thread-safe; create it after `fork()` (in a worker init hook), never before.

    ## Example
    ```python
    from pymongo import MongoClient


    def order(request, order_id):
        client = MongoClient("mongodb://db")
        return client.shop.orders.find_one({"_id": order_id})
    ```

    Use instead:
    ```python
    from pymongo import MongoClient

    client = MongoClient("mongodb://db")


    def order(request, order_id):
        return client.shop.orders.find_one({"_id": order_id})
    ```

    ## Fix safety
    The fix is display-only: a client made at import time must not cross a `fork()` (create
    it in each worker after the fork, e.g. in a post-fork hook), and settings read per request
    need one client per setting.

    ## References
    - https://www.mongodb.com/docs/manual/administration/connection-pool-overview/
    - https://pymongo.readthedocs.io/en/stable/faq.html#is-pymongo-fork-safe
    """

    code = "MG501"
    name = "mongo-client-per-request"
    summary = "`MongoClient` created on the request path"
    fix_availability = FixAvailability.ALWAYS
    tags = ("mongo", "connections")
    consumes = (ClientCreationFact,)

    def check(self, fact: ClientCreationFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.engine != "mongo" or fact.place.request_kind is None:
            return
        path = ctx.file.path if ctx.file else ""
        if any(fnmatch(path, glob) for glob in _TEST_PATHS):
            return
        what = fact.constructor.rsplit(".", 1)[-1]
        yield Finding(
            fact.span,
            f"`{what}` is created on every call of `{fact.place.function}` "
            f"({fact.place.request_kind}): each one is a new pool with monitor threads; "
            "create one client per process (after `fork()`)",
            Fix(
                f"Create `{_source(ctx, fact)}` once per process (module level or a worker "
                f"start-up hook) and reuse it in `{fact.place.function}`",
                (),
                Applicability.DISPLAY_ONLY,
            ),
        )


def _source(ctx: RuleContext, fact: ClientCreationFact) -> str:
    """The constructor call on one line, cut at 60 characters."""
    text = ctx.file.text[fact.span.start : fact.span.end] if ctx.file else ""
    flat = " ".join(text.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."
