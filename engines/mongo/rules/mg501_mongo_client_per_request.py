from collections.abc import Iterator

from dbsense.analyzers.ir import ClientCreationFact
from dbsense.engines.clients import client_per_request
from dbsense.engines.core import Finding, FixAvailability, Rule, RuleContext


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
        finding = client_per_request(
            fact,
            ctx,
            "each one is a new pool with monitor threads; "
            "create one client per process (after `fork()`)",
            "once per process (module level or a worker start-up hook)",
        )
        if finding is not None:
            yield finding
