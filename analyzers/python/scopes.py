"""Where a node sits: inside which loops and functions, and whether that function serves
requests (Django/DRF views, Flask/FastAPI/Starlette routes, Celery tasks).

Shared by every Python access-pattern detector (SQL, ORM, redis-py, pymongo...): a detector
finds a call, then asks :class:`Scopes` for its loops (``loops_of``), whether it depends on a
loop variable (``depends_on_loop``) and whether it runs per request (``request_kind``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from dbsense.analyzers.python.imports import ImportMap

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "route"}
_VIEW_BASES = (
    "django.views",
    "rest_framework.views",
    "rest_framework.viewsets",
    "rest_framework.generics",
    "rest_framework.mixins",
)
_VIEW_METHODS = _HTTP_METHODS | {
    "list",
    "retrieve",
    "create",
    "update",
    "partial_update",
    "destroy",
    "get_queryset",
    "get_object",
    "get_context_data",
    "perform_create",
    "perform_update",
    "dispatch",
}
_NOT_REQUEST_DECORATORS = {"cache", "lru_cache", "cached_property", "fixture"}


@dataclass(frozen=True, slots=True)
class Loop:
    """A ``for``/``while`` statement or a comprehension generator enclosing a node."""

    node: ast.AST  # ast.For | ast.AsyncFor | ast.While | ast.comprehension
    targets: frozenset[str]  # names the loop binds per pass
    iter: ast.expr | None  # what it iterates (None for ``while``)


@dataclass(slots=True)
class Scopes:
    """Parent links for one module tree, with loop, function and request-path queries."""

    tree: ast.Module
    imports: ImportMap
    _parents: dict[int, ast.AST] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for parent in ast.walk(self.tree):
            for child in ast.iter_child_nodes(parent):
                self._parents[id(child)] = parent

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self._parents.get(id(node))

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def function_of(self, node: ast.AST) -> FunctionNode | None:
        """The innermost function (or method) containing ``node``."""
        return next(
            (
                a
                for a in self.ancestors(node)
                if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef))
            ),
            None,
        )

    def class_of(self, function: ast.AST) -> ast.ClassDef | None:
        parent = self.parent(function)
        return parent if isinstance(parent, ast.ClassDef) else None

    def loops_of(self, node: ast.AST) -> list[Loop]:
        """Loops that re-run ``node`` per pass, innermost first, up to the enclosing function.
        A ``for`` loop's ``iter`` and a comprehension's first iterable run once, so they are not
        inside their own loop; ``map``/``filter`` with a lambda, and ``sorted``/``min``/``max``/
        ``.sort()`` with a ``key`` lambda, count as loops (see :func:`lambda_loop`)."""
        loops: list[Loop] = []
        child = node
        in_iter = False
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if isinstance(ancestor, ast.Lambda):
                    loop = self._map_loop(ancestor)
                    if loop is not None:
                        loops.append(loop)
                        child = ancestor
                        continue
                break
            if isinstance(ancestor, (ast.For, ast.AsyncFor)) and child is not ancestor.iter:
                if child in ancestor.body:
                    loops.append(Loop(ancestor, _bound_names(ancestor.target), ancestor.iter))
            elif isinstance(ancestor, ast.While) and child in ancestor.body:
                loops.append(Loop(ancestor, frozenset(), None))
            elif isinstance(ancestor, ast.comprehension):
                in_iter = child is ancestor.iter
            elif isinstance(ancestor, _COMPREHENSIONS):
                loops.extend(_comprehension_loops(ancestor, child, in_iter))
            child = ancestor
        return loops

    def _map_loop(self, lam: ast.Lambda) -> Loop | None:
        call = self.parent(lam)
        if isinstance(call, ast.keyword):
            call = self.parent(call)
        loop = lambda_loop(call) if isinstance(call, ast.Call) else None
        if loop is None or loop[0] is not lam:
            return None
        names = frozenset(arg.arg for arg in lam.args.args)
        return Loop(call, names, loop[1])  # type: ignore[arg-type]

    def depends_on_loop(self, expr: ast.AST, loop: Loop) -> bool:
        """True when ``expr`` reads a loop variable, directly or through a name assigned from one
        inside the loop body."""
        names = set(loop.targets)
        body = getattr(loop.node, "body", None)
        if isinstance(body, list):
            for statement in body:
                for node in ast.walk(statement):
                    if isinstance(node, ast.Assign) and _reads(node.value, names):
                        for target in node.targets:
                            names |= _bound_names(target)
        return _reads(expr, names)

    def request_kind(self, function: ast.AST | None) -> str | None:
        """``django-view``, ``drf-view``, ``flask-route``, ``fastapi-route``, ``celery-task``...
        when ``function`` serves requests or tasks, else ``None``."""
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        decorators = [self.imports.qualify(d) or _dotted(d) for d in function.decorator_list]
        if any(d.rsplit(".", 1)[-1] in _NOT_REQUEST_DECORATORS for d in decorators if d):
            return None
        for decorator in decorators:
            kind = _decorator_kind(decorator)
            if kind:
                return kind
        owner = self.class_of(function)
        if owner is not None and function.name in _VIEW_METHODS:
            for base in owner.bases:
                qualified = self.imports.qualify(base) or ""
                if qualified.startswith(_VIEW_BASES):
                    return "drf-view" if qualified.startswith("rest_framework") else "django-view"
        arguments = function.args.posonlyargs + function.args.args
        if owner is None and arguments and arguments[0].arg == "request":
            return "django-view"
        return None


def lambda_loop(call: ast.Call) -> tuple[ast.Lambda, ast.expr] | None:
    """(the lambda, the iterable) of a call that runs a lambda once per element:
    ``map``/``filter(lambda x: ..., xs)``, ``sorted``/``min``/``max(xs, key=lambda x: ...)``
    and ``xs.sort(key=lambda x: ...)``."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in ("map", "filter"):
        if len(call.args) > 1 and isinstance(call.args[0], ast.Lambda):
            return call.args[0], call.args[1]
        return None
    key = next((kw.value for kw in call.keywords if kw.arg == "key"), None)
    if not isinstance(key, ast.Lambda):
        return None
    if isinstance(func, ast.Name) and func.id in ("sorted", "min", "max") and call.args:
        return key, call.args[0]
    if isinstance(func, ast.Attribute) and func.attr == "sort" and not call.args:
        return key, func.value
    return None


def _decorator_kind(decorator: str | None) -> str | None:
    if not decorator:
        return None
    parts = decorator.split(".")
    last = parts[-1]
    if last in ("shared_task", "task", "periodic_task") and (
        decorator.startswith("celery") or len(parts) > 1 or last == "shared_task"
    ):
        return "celery-task"
    if last == "api_view" or decorator.startswith("rest_framework.decorators"):
        return "drf-view"
    if decorator.startswith("django.views.decorators") or last in (
        "login_required",
        "require_GET",
        "require_POST",
        "require_http_methods",
    ):
        return "django-view"
    if len(parts) > 1 and last in _HTTP_METHODS | {"websocket", "api_route"}:
        return "route"
    return None


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _comprehension_loops(node: ast.AST, child: ast.AST, in_iter: bool) -> list[Loop]:
    """Generators of comprehension ``node`` that re-run ``child``, innermost first: all of them
    for the element, the earlier ones for a generator's iterable, up to its own for a filter."""
    generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
    loops: list[Loop] = []
    for generator in generators:
        if child is generator:
            if not in_iter:
                loops.append(Loop(generator, _bound_names(generator.target), generator.iter))
            break
        loops.append(Loop(generator, _bound_names(generator.target), generator.iter))
    return list(reversed(loops))


def _bound_names(target: ast.AST) -> frozenset[str]:
    return frozenset(node.id for node in ast.walk(target) if isinstance(node, ast.Name))


def _reads(expr: ast.AST, names: set[str] | frozenset[str]) -> bool:
    return any(isinstance(node, ast.Name) and node.id in names for node in ast.walk(expr))
