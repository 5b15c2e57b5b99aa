from collections.abc import Iterator

from dbsense.analyzers.ir import ConnectionSetupFact
from dbsense.engines.core import Finding, Rule, RuleContext, Severity

_PER_CALL = ("create_engine", "create_async_engine", "ConnectionPool", "asyncpg.create_pool")


class EngineCreatedPerRequest(Rule):
    """## What it does
    Flags an SQLAlchemy engine, a connection pool or a database connection created inside a
    function that serves requests (a Django or DRF view, a Flask, FastAPI or Starlette route, a
    Celery task). An engine created in any other function that is neither cached nor a factory
    gets an `info`.

    ## Why is this bad?
    An engine owns a connection pool. Creating one per request throws the pool away after one
    use, so every request pays a new TCP connection, TLS handshake, authentication and backend
    process start (several milliseconds, and real CPU on the server), and the server sees
    connection churn instead of a few long-lived sessions. Engines that are never disposed also
    leak their pools until garbage collection.

    ## Example
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text

    app = FastAPI()


    @app.get("/health")
    def health():
        engine = create_engine("postgresql+psycopg://app@db/app")
        with engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar()
    ```

    Use instead:
    ```python
    from fastapi import FastAPI
    from sqlalchemy import create_engine, text

    app = FastAPI()
    engine = create_engine("postgresql+psycopg://app@db/app")


    @app.get("/health")
    def health():
        with engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar()
    ```

    ## SQLAlchemy / Alembic
    Create the engine once per process (module scope, the app factory, or a function decorated
    with `functools.cache`) and share it; `Session` objects are cheap and per request.

    ## References
    - https://docs.sqlalchemy.org/en/20/core/pooling.html
    - https://docs.sqlalchemy.org/en/20/core/connections.html#basic-usage
    """

    code = "PG501"
    name = "engine-created-per-request"
    summary = "An engine, pool or connection is created on every request"
    tags = ("driver", "performance")
    consumes = (ConnectionSetupFact,)

    def check(self, fact: ConnectionSetupFact, ctx: RuleContext) -> Iterator[Finding]:
        if fact.kind == "django-databases" or fact.function is None or fact.guarded:
            return
        if fact.request_kind is not None:
            yield Finding(
                fact.span,
                f"`{fact.kind}()` runs in `{fact.function}()`, which serves every request: "
                "each call opens a new connection (and pool) and pays the handshake again; "
                "create it once at module scope or in the app factory",
            )
        elif fact.kind in _PER_CALL:
            yield Finding(
                fact.span,
                f"`{fact.kind}()` in `{fact.function}()` builds a new pool on every call; "
                "create it once and share it",
                severity=Severity.INFO,
            )
