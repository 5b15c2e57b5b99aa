"""Where engines, pools and connections are created, and how big the pools are.

Emits a :class:`ConnectionSetupFact` for ``create_engine``/``create_async_engine``,
``psycopg.connect``/``psycopg2.connect``, ``psycopg_pool`` pools and ``asyncpg`` pools, and for
a Django ``DATABASES`` setting, with the enclosing function, whether it serves requests and
whether a cache, factory or ``is None`` guard makes it run once.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from dbsense.analyzers.ir import DJANGO, SQLALCHEMY, ConnectionSetupFact, DeploymentFact
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.scopes import Scopes
from dbsense.analyzers.python.source import PythonSource, keyword, literal

_CREATORS = {
    "sqlalchemy.create_engine": "create_engine",
    "sqlalchemy.engine.create_engine": "create_engine",
    "sqlalchemy.ext.asyncio.create_async_engine": "create_async_engine",
    "psycopg.connect": "psycopg.connect",
    "psycopg.AsyncConnection.connect": "psycopg.connect",
    "psycopg2.connect": "psycopg2.connect",
    "psycopg_pool.ConnectionPool": "ConnectionPool",
    "psycopg_pool.AsyncConnectionPool": "ConnectionPool",
    "asyncpg.connect": "asyncpg.connect",
    "asyncpg.create_pool": "asyncpg.create_pool",
}
_FACTORY = re.compile(r"^(create|make|build|init|setup|get)_|_factory$|^lifespan$")
_CACHES = ("cache", "lru_cache", "cached_property", "cached")
_PORT = re.compile(r":(\d{2,5})(?:/|$)")


class ConnectionSetups:
    def __init__(self, source: PythonSource, imports: ImportMap) -> None:
        self.source = source
        self.imports = imports
        self.scopes = Scopes(source.tree, imports)
        parts = source.path.replace("\\", "/").split("/")
        self.test_code = any(p in ("tests", "test") for p in parts[:-1]) or parts[-1].startswith(
            ("test_", "conftest")
        )

    def facts(self) -> Iterator[ConnectionSetupFact | DeploymentFact]:
        if self.source.path.rsplit("/", 1)[-1] in ("gunicorn.conf.py", "gunicorn_config.py"):
            yield from self._gunicorn()
        for node in ast.walk(self.source.tree):
            if isinstance(node, ast.Call):
                kind = _CREATORS.get(self.imports.qualify(node.func) or "")
                if kind is not None:
                    yield self._creator(node, kind)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "DATABASES" for t in node.targets
            ):
                yield from self._django(node)

    def _creator(self, call: ast.Call, kind: str) -> ConnectionSetupFact:
        function = self.scopes.function_of(call)
        qualified = None
        guarded = self.test_code
        request_kind = None
        if function is not None:
            owner = self.scopes.class_of(function)
            qualified = f"{owner.name}.{function.name}" if owner else function.name
            request_kind = self.scopes.request_kind(function)
            guarded = guarded or self._runs_once(call, function)
        pool_size = _int(keyword(call, "pool_size") or keyword(call, "max_size"))
        overflow = _int(keyword(call, "max_overflow"))
        poolclass = keyword(call, "poolclass")
        null_pool = poolclass is not None and ast.unparse(poolclass).endswith("NullPool")
        url = literal(call.args[0]) if call.args else literal(keyword(call, "url"))
        port = driver = None
        if isinstance(url, str):
            match = _PORT.search(url.split("@")[-1])
            port = int(match.group(1)) if match else None
            if "engine" in kind:
                driver = _driver(url)
        return ConnectionSetupFact(
            self.source.span(call),
            SQLALCHEMY if "engine" in kind else "python",
            kind,
            qualified,
            request_kind,
            guarded,
            pool_size,
            overflow,
            null_pool,
            port,
            driver,
        )

    def _runs_once(self, call: ast.Call, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        decorators = [self.imports.qualify(d) or ast.unparse(d) for d in function.decorator_list]
        if any(d.rsplit(".", 1)[-1].split("(")[0] in _CACHES for d in decorators):
            return True
        if _FACTORY.search(function.name) and self.scopes.request_kind(function) is None:
            return True
        for ancestor in self.scopes.ancestors(call):
            if ancestor is function:
                break
            if isinstance(ancestor, ast.If) and "None" in ast.unparse(ancestor.test):
                return True
        return False

    def _django(self, node: ast.Assign) -> Iterator[ConnectionSetupFact]:
        value = node.value
        if not isinstance(value, ast.Dict):
            return
        for database in value.values:
            if not isinstance(database, ast.Dict):
                continue
            settings = {
                literal(k): v for k, v in zip(database.keys, database.values, strict=False) if k
            }
            engine = literal(settings.get("ENGINE"))
            if not (isinstance(engine, str) and "postgresql" in engine):
                continue
            max_size = None
            options = settings.get("OPTIONS")
            if isinstance(options, ast.Dict):
                for key, option in zip(options.keys, options.values, strict=False):
                    if literal(key) == "pool" and isinstance(option, ast.Dict):
                        for pool_key, pool_value in zip(option.keys, option.values, strict=False):
                            if literal(pool_key) == "max_size":
                                max_size = _int(pool_value)
            port_value = literal(settings.get("PORT"))
            port = int(port_value) if str(port_value).isdigit() else None
            yield ConnectionSetupFact(
                self.source.span(database),
                DJANGO,
                "django-databases",
                pool_size=max_size if max_size is not None else 1,
                max_overflow=0,
                port=port,
            )

    def _gunicorn(self) -> Iterator[DeploymentFact]:
        values: dict[str, int | None] = {}
        for statement in self.source.tree.body:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name) and target.id in ("workers", "threads"):
                        values[target.id] = _int(statement.value)
        if values:
            span = self.source.span(self.source.tree.body[0])
            yield DeploymentFact(span, "python", values.get("workers"), values.get("threads"))


def _driver(url: str) -> str | None:
    """The DBAPI a SQLAlchemy URL names: ``postgresql+psycopg://`` is ``psycopg``, a bare
    ``postgresql://`` is SQLAlchemy's default ``psycopg2``; ``None`` for other databases."""
    scheme = url.split("://", 1)[0].lower()
    dialect, _, driver = scheme.partition("+")
    if dialect not in ("postgresql", "postgres"):
        return None
    return driver or "psycopg2"


def _int(node: ast.AST | None) -> int | None:
    value = literal(node)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
