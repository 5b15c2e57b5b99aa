from collections.abc import Iterator

from dbsense.analyzers.ir import ConnectionSetupFact
from dbsense.analyzers.python.index import PythonIndex
from dbsense.engines.core import Finding, Related, Rule, RuleContext

RESERVED = 3  # superuser_reserved_connections
POOLER_PORT = 6432
# Connections a pool may hold when its size is left at the default: (size, overflow).
_DEFAULTS = {
    "create_engine": (5, 10),
    "create_async_engine": (5, 10),
    "ConnectionPool": (4, 0),
    "asyncpg.create_pool": (10, 0),
    "django-databases": (1, 0),
}


class ConnectionPoolOversubscribed(Rule):
    """## What it does
    Adds up the connections the application's pools may open, times the processes that run
    them, and flags the pool configuration when the sum exceeds what the server accepts:
    `max_connections` minus the superuser-reserved slots.

    ## Why is this bad?
    Every PostgreSQL connection is a backend process with its own memory. When the pools of all
    workers together want more connections than `max_connections` allows, the surplus fails
    with `FATAL: sorry, too many clients already` exactly at peak load, and deploys (old and new
    workers overlapping) fail first. SQLAlchemy's default pool alone holds 5 connections and
    overflows to 15 per engine per process, so 8 workers with one engine already ask for 120.

    ## Example
    ```python
    from sqlalchemy import create_engine

    engine = create_engine("postgresql+psycopg://app@db/app", pool_size=80, max_overflow=40)
    ```

    Use instead:
    ```python
    from sqlalchemy import create_engine

    engine = create_engine("postgresql+psycopg://app@db/app", pool_size=10, max_overflow=10)
    ```

    ## SQLAlchemy / Alembic
    Capacity per engine is `pool_size + max_overflow` (5 + 10 by default); `NullPool` holds
    none (use it behind PgBouncer).

    ## Django
    With `CONN_MAX_AGE > 0` each thread keeps its own connection; Django 5.1's
    `OPTIONS["pool"]["max_size"]` caps a per-process pool.

    ## Options
    `postgres.max-connections` is the server's limit (100 by default); `postgres.workers` and
    `postgres.threads` give the process and thread counts (else `gunicorn.conf.py`, else 1);
    `postgres.pooler = true`, or a connection URL on port 6432, means a pooler sits in between
    and the rule stays silent.

    ## References
    - https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-MAX-CONNECTIONS
    - https://docs.sqlalchemy.org/en/20/core/pooling.html#sqlalchemy.pool.QueuePool
    """

    code = "PG502"
    name = "connection-pool-oversubscribed"
    summary = "Processes times pool capacity exceeds the server's usable connections"
    tags = ("driver", "operations")
    workspace = True
    options = (
        "postgres.max-connections",
        "postgres.workers",
        "postgres.threads",
        "postgres.pooler",
    )

    def check_workspace(self, ctx: RuleContext) -> Iterator[Finding]:
        index = getattr(ctx.catalog, "python", None)
        if not isinstance(index, PythonIndex) or ctx.option("postgres", "pooler"):
            return
        pools = [
            (path, fact)
            for path, fact in index.connections
            if fact.kind in _DEFAULTS and not fact.null_pool and fact.port != POOLER_PORT
        ]
        if not pools:
            return
        workers, threads = self._processes(ctx, index)
        per_process = 0
        parts = []
        for _, fact in pools:
            capacity = _capacity(fact)
            multiplier = threads if fact.kind == "django-databases" else 1
            per_process += capacity * multiplier
            parts.append(f"{capacity}" + (f" x {threads} threads" if multiplier > 1 else ""))
        total = workers * per_process
        limit = int(ctx.option("postgres", "max-connections") or 100)
        usable = limit - RESERVED
        if total <= usable:
            return
        path, first = max(pools, key=lambda item: _capacity(item[1]))
        related = tuple(
            Related(other_path, fact.span, f"`{fact.kind}` pool: {_capacity(fact)} connections")
            for other_path, fact in pools
            if fact is not first
        )
        yield Finding(
            first.span,
            f"{workers} process(es) x ({' + '.join(parts)}) connections = {total}, more than the "
            f"{usable} usable of `max_connections` {limit} ({RESERVED} reserved): shrink the "
            "pools, run fewer workers, or put PgBouncer in front",
            related=related,
            path=path,
        )

    def _processes(self, ctx: RuleContext, index: PythonIndex) -> tuple[int, int]:
        workers = ctx.option("postgres", "workers")
        threads = ctx.option("postgres", "threads")
        for _, deployment in index.deployments:
            workers = workers or deployment.workers
            threads = threads or deployment.threads
        return int(workers or 1), int(threads or 1)


def _capacity(fact: ConnectionSetupFact) -> int:
    size, overflow = _DEFAULTS[fact.kind]
    if fact.pool_size is not None:
        size = fact.pool_size
    if fact.max_overflow is not None:
        overflow = fact.max_overflow
    return size + overflow
