"""What the client-call front-ends (redis-py, pymongo, elasticsearch-py) share: which names hold
which kind of client object, where a call runs (loops, request path), and literal helpers.

Resolution is by name and flow-insensitive: ``r = redis.Redis()`` anywhere in the module makes
``r`` a Redis client everywhere in it, as does ``self.r = ...`` for ``self.r``, a parameter
annotated with a client class, or ``with r.pipeline() as pipe``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from dbsense.analyzers.ir import CallPlace, ClientCreationFact
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.scopes import Loop, Scopes
from dbsense.analyzers.python.source import PythonSource

# kind of an expression -> (kind, detail) where detail is e.g. a collection name
Kind = tuple[str, str | None]
Classifier = Callable[[ast.expr, "Clients"], Kind | None]


@dataclass(slots=True)
class Clients:
    """Names bound to client objects in one module, for one engine's classifier."""

    parsed: PythonSource
    imports: ImportMap
    scopes: Scopes
    classify: Classifier
    names: dict[str, Kind] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A few passes so ``db = client.shop`` then ``orders = db.orders`` resolve in any order.
        for _ in range(3):
            before = dict(self.names)
            for node in ast.walk(self.parsed.tree):
                for target, value in _bindings(node):
                    kind = self.kind(value)
                    name = _target_name(target)
                    if kind is not None and name is not None:
                        self.names[name] = kind
            if self.names == before:
                break

    def kind(self, node: ast.AST | None) -> Kind | None:
        if node is None:
            return None
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = _target_name(node)
            if name is not None and name in self.names:
                return self.names[name]
        if isinstance(node, ast.Await):
            return self.kind(node.value)
        if isinstance(node, ast.expr):
            return self.classify(node, self)
        return None

    def calls(self) -> Iterator[ast.Call]:
        for node in ast.walk(self.parsed.tree):
            if isinstance(node, ast.Call):
                yield node


class ClientCalls:
    """Base of one client library's front-end: the module, its scopes and the names bound to
    client objects as the subclass's ``classify`` sees them."""

    classify: Classifier
    source: str  # the front-end, e.g. ``REDIS_PY``
    engine: str  # ``ClientCreationFact.engine``

    def __init__(self, parsed: PythonSource, imports: ImportMap, module: str) -> None:
        self.parsed = parsed
        self.imports = imports
        self.scopes = Scopes(parsed.tree, imports)
        self.clients = Clients(parsed, imports, self.scopes, self.classify)

    def creation(
        self, call: ast.Call, constructor: str, shared_pool: bool = False
    ) -> ClientCreationFact:
        """The fact for a client (or pool) constructed by ``call``."""
        return ClientCreationFact(
            self.parsed.span(call),
            self.source,
            engine=self.engine,
            constructor=constructor,
            place=place(self.scopes, call, []),
            shared_pool=shared_pool,
        )


def _bindings(node: ast.AST) -> Iterator[tuple[ast.expr, ast.expr]]:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield target, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        yield node.target, node.value
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            if item.optional_vars is not None:
                yield item.optional_vars, item.context_expr
    elif isinstance(node, ast.arg) and node.annotation is not None:
        yield ast.Name(id=node.arg), node.annotation


def _target_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def place(scopes: Scopes, node: ast.AST, depends: list[ast.AST]) -> CallPlace:
    """Loops around ``node`` and whether any of ``depends`` reads the innermost loop's
    variables; the enclosing function and its request kind."""
    loops = scopes.loops_of(node)
    function = scopes.function_of(node)
    request_kind = scopes.request_kind(function)
    if function is not None and request_kind is None:
        request_kind = _caller_request_kind(scopes, function)
    if not loops:
        return CallPlace(
            function=function.name if function else None,
            request_kind=request_kind,
        )
    loop = loops[0]
    return CallPlace(
        in_loop=True,
        loop_dependent=any(scopes.depends_on_loop(expr, loop) for expr in depends),
        loop_bound=loop_bound(loop),
        loop_exits_early=_exits_early(loop),
        function=function.name if function else None,
        request_kind=request_kind,
    )


def _caller_request_kind(scopes: Scopes, function: ast.AST) -> str | None:
    """A nested function inherits the request kind of the function it is defined in."""
    outer = scopes.function_of(function)
    return scopes.request_kind(outer) if outer is not None else None


def loop_bound(loop: Loop) -> int | None:
    """The item count of a loop over a literal collection or ``range(<literal>)``."""
    iterable = loop.iter
    if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)):
        return len(iterable.elts)
    if (
        isinstance(iterable, ast.Call)
        and isinstance(iterable.func, ast.Name)
        and iterable.func.id == "range"
        and iterable.args
        and all(isinstance(literal_int(arg), int) for arg in iterable.args)
    ):
        values = [literal_int(arg) or 0 for arg in iterable.args]
        start, stop = (0, values[0]) if len(values) == 1 else (values[0], values[1])
        return max(stop - start, 0)
    return None


def _exits_early(loop: Loop) -> bool:
    body = getattr(loop.node, "body", None)
    if not isinstance(body, list):
        return False
    for statement in body:
        for node in _walk_same_loop(statement):
            if isinstance(node, (ast.Break, ast.Return)):
                return True
    return False


def _walk_same_loop(node: ast.AST) -> Iterator[ast.AST]:
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.Lambda)):
            continue
        yield from _walk_same_loop(child)


def literal_int(node: ast.AST | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return None if isinstance(node.value, bool) else node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = literal_int(node.operand)
        return -inner if inner is not None else None
    return None


def literal_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def key_pattern(node: ast.AST | None) -> str | None:
    """A literal key, or an f-string / concatenation as a glob (``f"cache:{id}"`` ->
    ``cache:*``); ``None`` when nothing literal is known."""
    if node is None:
        return None
    text = literal_str(node)
    if text is not None:
        return text
    if isinstance(node, ast.JoinedStr):
        parts = [value.value if isinstance(value, ast.Constant) else "*" for value in node.values]
        return "".join(str(part) for part in parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = key_pattern(node.left)
        if left is not None:
            return left + (key_pattern(node.right) or "*")
    return None


def argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    """Positional argument ``index`` or keyword ``name``."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[:index]):
        return call.args[index]
    return None


def local_value(scopes: Scopes, node: ast.AST | None) -> ast.AST | None:
    """``node`` itself, or for a plain name the value last assigned to it before ``node`` in
    the same function (so a query dict built in a variable is seen)."""
    if not isinstance(node, ast.Name):
        return node
    function = scopes.function_of(node) or scopes.tree
    found: ast.AST | None = None
    for candidate in ast.walk(function):
        if (
            isinstance(candidate, ast.Assign)
            and candidate.lineno < node.lineno  # type: ignore[attr-defined]
            and any(isinstance(t, ast.Name) and t.id == node.id for t in candidate.targets)
            and (found is None or candidate.lineno > found.lineno)  # type: ignore[attr-defined]
        ):
            found = candidate
    return found.value if isinstance(found, ast.Assign) else node


def string_insert_at(parsed: PythonSource, node: ast.AST) -> int | None:
    """The offset just after the opening quote(s) of a plain string literal."""
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return None
    span = parsed.span(node)
    text = parsed.text[span.start : span.end]
    for index, char in enumerate(text):
        if char in "\"'":
            quote = text[index : index + 3] if text[index : index + 3] in ('"""', "'''") else char
            if "f" in text[:index].lower():
                return None
            return span.start + index + len(quote)
    return None


def dict_items(node: ast.AST | None) -> Iterator[tuple[str | None, ast.expr]]:
    """Keys (literal or ``None`` for ``**spread``/computed keys) and values of a dict literal."""
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            yield literal_str(key), value
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "dict"
        and not node.args
    ):
        for kw in node.keywords:
            yield kw.arg, kw.value


def chain_after(scopes: Scopes, call: ast.Call) -> tuple[list[str], ast.AST]:
    """Methods chained on the result of ``call`` (``.sort().limit()``) and the outermost call."""
    names: list[str] = []
    outer: ast.AST = call
    parent = scopes.parent(outer)
    while isinstance(parent, ast.Attribute):
        grand = scopes.parent(parent)
        if not isinstance(grand, ast.Call) or grand.func is not parent:
            break
        names.append(parent.attr)
        outer = grand
        parent = scopes.parent(outer)
    return names, outer
