"""redis-py front-end: clients, pools and pipelines, and the commands called on them.

Clients come from ``Redis``/``StrictRedis``/``RedisCluster`` (sync or ``redis.asyncio``),
``from_url`` and ``[Blocking]ConnectionPool``; ``client.pipeline()`` gives a pipeline. Every
method called on one of them becomes a :class:`RedisCommandFact`, with its key as a literal or a
glob, and loops queueing pipeline commands become :class:`RedisPipelineLoopFact`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from dbsense.analyzers.ir import (
    REDIS_PY,
    Fact,
    RedisCommandFact,
    RedisPipelineLoopFact,
    Span,
)
from dbsense.analyzers.python.clients import (
    ClientCalls,
    Clients,
    Kind,
    key_pattern,
    literal_str,
    place,
)
from dbsense.analyzers.python.clients import loop_bound as bound_of
from dbsense.analyzers.python.scopes import Loop

_CLIENT_CLASSES = {"Redis", "StrictRedis", "RedisCluster", "Sentinel"}
_POOL_CLASSES = {"ConnectionPool", "BlockingConnectionPool"}
_NOT_COMMANDS = {
    "pipeline",
    "execute",
    "close",
    "aclose",
    "reset",
    "pubsub",
    "lock",
    "register_script",
    "connection_pool",
    "get_connection_kwargs",
    "transaction",
    "monitor",
    "master_for",
    "slave_for",
}


def _classify(node: ast.expr, clients: Clients) -> Kind | None:
    qualified = clients.imports.qualify(node)
    if qualified and qualified.split(".", 1)[0] == "redis":
        parts = qualified.split(".")
        if parts[-1] in _CLIENT_CLASSES or (
            parts[-1] == "from_url" and (len(parts) == 2 or parts[-2] not in _POOL_CLASSES)
        ):
            return ("client", qualified)
        if parts[-1] in _POOL_CLASSES or (len(parts) > 1 and parts[-2] in _POOL_CLASSES):
            return ("pool", qualified)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        receiver = clients.kind(node.func.value)
        if receiver is None:
            return None
        if receiver[0] == "client" and node.func.attr == "pipeline":
            return ("pipeline", None)
        if receiver[0] == "pipeline" and node.func.attr not in _NOT_COMMANDS:
            return ("pipeline", None)
    return None


class RedisCalls(ClientCalls):
    """The redis-py facts of one module."""

    classify = staticmethod(_classify)
    source = REDIS_PY
    engine = "redis"

    def facts(self) -> Iterator[Fact]:
        if not self.imports.imports_from("redis"):
            return
        for call in self.clients.calls():
            yield from self._call(call)
        for node in ast.walk(self.parsed.tree):
            if isinstance(node, (ast.For, ast.AsyncFor)):
                fact = self._pipeline_loop(node)
                if fact is not None:
                    yield fact

    def _call(self, call: ast.Call) -> Iterator[Fact]:
        kind = _classify(call, self.clients)
        if kind is not None and kind[0] in ("client", "pool") and kind[1]:
            shared = any(kw.arg == "connection_pool" for kw in call.keywords)
            yield self.creation(call, kind[1], shared_pool=shared)
            return
        if not isinstance(call.func, ast.Attribute):
            return
        receiver = self.clients.kind(call.func.value)
        if receiver is None or receiver[0] not in ("client", "pipeline"):
            return
        method = call.func.attr
        if method in _NOT_COMMANDS:
            return
        yield self._command(call, method, receiver[0] == "pipeline")

    def _command(self, call: ast.Call, method: str, pipeline: bool) -> RedisCommandFact:
        args = list(call.args)
        command = method.lower()
        if command == "execute_command" and args and literal_str(args[0]):
            command = (literal_str(args[0]) or "").lower()
            args = args[1:]
        key_node = args[0] if args else _keyword(call, "name", "key", "pattern", "match")
        span = self.parsed.span(call)
        func_end = self.parsed.span(call.func).end
        method_start = func_end - len(method)
        batch_span, batch_keys = self._batch(call, key_node)
        return RedisCommandFact(
            span,
            REDIS_PY,
            command=command,
            key=key_pattern(key_node),
            place=place(self.scopes, call, [*call.args, *(kw.value for kw in call.keywords)]),
            pipeline=pipeline,
            keywords=tuple(kw.arg for kw in call.keywords if kw.arg),
            method_span=Span(method_start, span.end),
            pattern_source=self.parsed.segment(key_node) if key_node is not None else None,
            insert_keyword_at=self._after_arguments(call),
            batch_span=batch_span,
            batch_keys=batch_keys,
            receiver=self.parsed.segment(call.func.value),  # type: ignore[attr-defined]
        )

    def _after_arguments(self, call: ast.Call) -> int | None:
        nodes: list[ast.AST] = [*call.args, *(kw.value for kw in call.keywords)]
        if not nodes:
            return None
        return max(self.parsed.span(node).end for node in nodes)

    def _batch(self, call: ast.Call, key: ast.AST | None) -> tuple[Span | None, str | None]:
        """``[r.get(k) for k in keys]`` -> (span of the comprehension, ``keys``)."""
        parent = self.scopes.parent(call)
        if (
            key is None
            or not isinstance(parent, ast.ListComp)
            or parent.elt is not call
            or len(parent.generators) != 1
            or parent.generators[0].ifs
            or parent.generators[0].is_async
            or len(call.args) != 1
            or call.keywords
            or not isinstance(call.func, ast.Attribute)
            or call.func.attr != "get"
        ):
            return None, None
        generator = parent.generators[0]
        segment = self.parsed.segment
        if (
            isinstance(key, ast.Name)
            and isinstance(generator.target, ast.Name)
            and key.id == generator.target.id
        ):
            keys = segment(generator.iter)
        else:
            keys = f"[{segment(key)} for {segment(generator.target)} in {segment(generator.iter)}]"
        return self.parsed.span(parent), keys

    def _pipeline_loop(self, loop: ast.For | ast.AsyncFor) -> RedisPipelineLoopFact | None:
        queued: list[ast.Call] = []
        executes = False
        pipe_name = None
        for statement in loop.body:
            for node in ast.walk(statement):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                    continue
                receiver = self.clients.kind(node.func.value)
                if receiver is None or receiver[0] != "pipeline":
                    continue
                if node.func.attr == "execute":
                    executes = True
                elif node.func.attr not in _NOT_COMMANDS:
                    queued.append(node)
                    pipe_name = pipe_name or self.parsed.segment(_chain_root(node.func.value))
        if not queued or pipe_name is None:
            return None
        first = min(queued, key=lambda n: (n.lineno, n.col_offset))
        return RedisPipelineLoopFact(
            self.parsed.span(first),
            REDIS_PY,
            pipeline=pipe_name,
            loop_bound=bound_of(Loop(loop, frozenset(), loop.iter)),
            executes_in_loop=executes,
            iterable=self.parsed.segment(loop.iter),
        )


def _keyword(call: ast.Call, *names: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg in names), None)


def _chain_root(node: ast.expr) -> ast.expr:
    """``p`` for ``p.set(...).expire(...)``: the object a chain of calls starts from."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return node
