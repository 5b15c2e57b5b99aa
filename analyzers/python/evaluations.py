"""Query rows evaluated in full without a loop in sight: ``list(qs)`` (and ``tuple``, ``set``,
``sorted``), SQLAlchemy ``.all()``, and querysets handed to a template, which iterates them.

Template contexts are the dict given to ``render``, ``TemplateResponse``,
``SimpleTemplateResponse`` or ``render_to_string`` (a literal, or a local name built from one
with ``ctx["k"] = v`` and ``ctx.update(...)``), what a class-based view's
``get_context_data`` adds, a view's ``extra_context``, and a ``ListView`` without
``paginate_by``. Templates are never parsed: the queryset reaching the context is the evidence.
Each becomes a :class:`LoopFact` of kind ``list`` or ``template`` with no body.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from dbsense.analyzers.ir import DJANGO, SQLALCHEMY, LoopFact, QuerySource, Span
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.queries import DJANGO_TERMINAL
from dbsense.analyzers.python.scopes import FunctionNode, Scopes, lambda_loop
from dbsense.analyzers.python.source import PythonSource, class_assignments, keyword, literal

Resolve = Callable[[ast.expr, ast.AST, FunctionNode | None], QuerySource | None]
Qualify = Callable[[FunctionNode | None], str | None]
Assigned = Callable[[str, ast.AST, FunctionNode | None], ast.expr | None]

MATERIALISERS = {"list", "tuple", "set", "sorted"}  # builtins that hold every row
# callable -> position of the context argument
_RENDERERS = {
    "django.shortcuts.render": 2,
    "django.shortcuts.render_to_response": 1,
    "django.template.response.TemplateResponse": 2,
    "django.template.response.SimpleTemplateResponse": 1,
    "django.template.loader.render_to_string": 1,
}
_LIST_VIEWS = {
    "django.views.generic.ListView",
    "django.views.generic.list.ListView",
    "django.views.generic.ArchiveIndexView",
    "django.views.generic.dates.ArchiveIndexView",
}
_VIEWS = "django.views"
_SINGLE = DJANGO_TERMINAL | {"scalar", "scalar_one", "one", "one_or_none"}


class RowEvaluations:
    """``list``- and ``template``-kind loop facts of one module."""

    def __init__(
        self,
        source: PythonSource,
        imports: ImportMap,
        scopes: Scopes,
        resolve: Resolve,
        qualify: Qualify,
        assigned: Assigned,
    ) -> None:
        """``resolve`` gives the query an expression evaluates to, ``qualify`` a function's
        qualified name, ``assigned`` the value a name was last bound to before a node."""
        self.source = source
        self.imports = imports
        self.module = imports.module
        self.scopes = scopes
        self.resolve = resolve
        self.qualify = qualify
        self.assigned = assigned

    def facts(self) -> Iterator[LoopFact]:
        for node in ast.walk(self.source.tree):
            if isinstance(node, ast.Call):
                yield from self._call(node)
            elif isinstance(node, ast.ClassDef) and self.imports.imports_from("django"):
                yield from self._view_class(node)

    # --- calls -----------------------------------------------------------------------------

    def _call(self, call: ast.Call) -> Iterator[LoopFact]:
        func = call.func
        if (
            isinstance(func, ast.Name)
            and func.id in MATERIALISERS
            and len(call.args) == 1
            and lambda_loop(call) is None
        ):
            fact = self._fact(call.args[0], call, "list")
            if fact is not None:
                yield fact
            return
        if isinstance(func, ast.Attribute) and func.attr in ("all", "fetchall") and not call.args:
            fact = self._fact(call, call, "list")  # SQLAlchemy ``.all()`` loads the rows
            if fact is not None and fact.origin == SQLALCHEMY:
                yield fact
            return
        position = _RENDERERS.get(self.imports.qualify(func) or "")
        if position is None:
            return
        context = call.args[position] if len(call.args) > position else keyword(call, "context")
        if context is not None:
            yield from self._context(context, call)

    def _context(self, context: ast.expr, call: ast.AST) -> Iterator[LoopFact]:
        """The querysets among the values of a context expression."""
        function = self.scopes.function_of(call)
        values = list(_dict_values(context))
        if isinstance(context, ast.Name):
            bound = self.assigned(context.id, call, function)
            values.extend(_dict_values(bound) if bound is not None else ())
            values.extend(self._added(context.id, function))
        for value in values:
            fact = self._fact(value, call, "template")
            if fact is not None:
                yield fact

    def _added(self, name: str, function: FunctionNode | None) -> Iterator[ast.expr]:
        """Values put into dict ``name``: ``name["k"] = v`` and ``name.update(...)``."""
        scope: ast.AST = function if function is not None else self.source.tree
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == name
                        and isinstance(literal(target.slice), str)
                    ):
                        yield node.value
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "update"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
            ):
                for argument in node.args:
                    yield from _dict_values(argument)
                yield from (kw.value for kw in node.keywords if kw.arg is not None)

    # --- class-based views -----------------------------------------------------------------

    def _view_class(self, node: ast.ClassDef) -> Iterator[LoopFact]:
        bases = [self.imports.qualify(base) or "" for base in node.bases]
        if not any(base.startswith(_VIEWS) for base in bases):
            return
        attributes = class_assignments(node)
        extra = attributes.get("extra_context")
        if extra is not None:
            yield from self._class_context(extra, node)
        if any(base in _LIST_VIEWS for base in bases):
            fact = self._list_view(node, attributes)
            if fact is not None:
                yield fact
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                item.name == "get_context_data"
            ):
                yield from self._context_method(item)

    def _class_context(self, context: ast.expr, view: ast.ClassDef) -> Iterator[LoopFact]:
        for value in _dict_values(context):
            fact = self._fact(value, value, "template", view)
            if fact is not None:
                yield fact

    def _list_view(self, node: ast.ClassDef, attributes: dict[str, ast.expr]) -> LoopFact | None:
        """A ``ListView``'s ``object_list``, iterated by its template unless paginated."""
        paginate = attributes.get("paginate_by")
        if paginate is not None and literal(paginate) not in (None, 0):
            return None
        queryset = attributes.get("queryset")
        if queryset is not None:
            return self._fact(queryset, queryset, "template", node)
        model = attributes.get("model")
        if not isinstance(model, (ast.Name, ast.Attribute)):
            return None
        qualified = self.imports.qualify(model) or ast.unparse(model)
        span = self.source.span(model)
        source = QuerySource(DJANGO, qualified, query_span=span)
        return self._loop(span, source, f"{self.module}.{node.name}", "django-view")

    def _context_method(self, method: FunctionNode) -> Iterator[LoopFact]:
        """What ``get_context_data`` puts in the context: ``context["k"] = v``,
        ``context.update(...)``, ``super().get_context_data(k=v)`` and returned dicts."""
        values: list[ast.expr] = []
        for node in ast.walk(method):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Name)
                        and isinstance(literal(target.slice), str)
                    ):
                        values.append(node.value)
            elif isinstance(node, ast.Return) and node.value is not None:
                values.extend(_dict_values(node.value))
            elif isinstance(node, ast.Call) and _adds_to_context(node):
                for argument in node.args:
                    values.extend(_dict_values(argument))
                values.extend(kw.value for kw in node.keywords if kw.arg is not None)
        for value in values:
            fact = self._fact(value, value, "template")
            if fact is not None:
                yield fact

    # --- facts -----------------------------------------------------------------------------

    def _fact(
        self, rows: ast.expr, anchor: ast.AST, kind: str, view: ast.ClassDef | None = None
    ) -> LoopFact | None:
        if isinstance(rows, (ast.Tuple, ast.List, ast.Set, ast.Constant, ast.Dict)):
            return None
        if _not_rows(rows):
            return None
        function = self.scopes.function_of(anchor)
        source = self.resolve(rows, anchor, function)
        if source is None or not source.model or source.query_span is None:
            return None
        span = self.source.span(rows)
        if view is not None:
            return self._loop(span, source, f"{self.module}.{view.name}", "django-view")
        return self._loop(
            span, source, self.qualify(function), self.scopes.request_kind(function), kind
        )

    def _loop(
        self,
        span: Span,
        source: QuerySource,
        function: str | None,
        request_kind: str | None,
        kind: str = "template",
    ) -> LoopFact:
        return LoopFact(
            span,
            source.framework,
            None,
            source,
            function=function,
            request_kind=request_kind,
            kind=kind,
            rows_escape=True,
        )


def _not_rows(node: ast.expr) -> bool:
    """``Order.objects.count()``, ``.get()``, ``.aggregate()``, ``session.scalar()``...: a
    value or one row, not the rows of a query."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _SINGLE
    )


def _adds_to_context(call: ast.Call) -> bool:
    """``context.update(...)`` on a local dict, or ``super().get_context_data(...)``."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "update":
        return isinstance(func.value, ast.Name)
    return (
        func.attr == "get_context_data"
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "super"
    )


def _dict_values(node: ast.expr | None) -> Iterator[ast.expr]:
    """Values of a dict literal or a ``dict(k=v)`` call."""
    if isinstance(node, ast.Dict):
        yield from (value for key, value in zip(node.keys, node.values, strict=True) if key)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        yield from (kw.value for kw in node.keywords if kw.arg is not None)
