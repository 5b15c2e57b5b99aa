"""ORM pagination that sends ``OFFSET``: Django queryset slices with a start, ``Paginator``, DRF
page-number and limit-offset pagination, and SQLAlchemy ``.offset(x)``.

A slice or ``.offset()`` counts when its receiver is visibly a query: a Django manager chain, a
``select()``/``session.query()`` chain, or a name the enclosing function (or module) last bound
to one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from dbsense.analyzers.ir import DJANGO, SQLALCHEMY, Fact, OrmOffsetFact
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.queries import QueryFinder, chain, is_session
from dbsense.analyzers.python.source import PythonSource, literal

_PAGINATOR = "django.core.paginator.Paginator"
_DRF_OFFSET = {
    "rest_framework.pagination.PageNumberPagination": "PageNumberPagination",
    "rest_framework.pagination.LimitOffsetPagination": "LimitOffsetPagination",
}
_SELECTS = {"sqlalchemy.select", "sqlalchemy.future.select", "sqlalchemy.sql.select"}
_SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)


class Pagination:
    """``OrmOffsetFact`` of one module."""

    def __init__(self, source: PythonSource, imports: ImportMap) -> None:
        self.source = source
        self.imports = imports
        self.finder = QueryFinder(source, imports)

    def facts(self) -> Iterator[Fact]:
        for scope in ast.walk(self.source.tree):
            if isinstance(scope, _SCOPES):
                yield from self._scope(scope)
            if isinstance(scope, ast.ClassDef):
                yield from self._drf_class(scope)
        if self.imports.local_name(_PAGINATOR) is not None:
            for node in ast.walk(self.source.tree):
                if isinstance(node, ast.Call) and self.imports.is_(node.func, _PAGINATOR):
                    yield self._fact(node.func, "paginator", "Paginator")

    # --- slices and .offset() --------------------------------------------------------------

    def _scope(self, scope: ast.AST) -> Iterator[Fact]:
        bound: dict[str, tuple[str, bool]] = {}  # name -> (framework, ordered) of its query
        for node in _own_nodes(scope):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                query = self._query(node.value, bound)
                if isinstance(target, ast.Name):
                    if query is not None:
                        bound[target.id] = query
                    else:
                        bound.pop(target.id, None)
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
                start = node.slice.lower
                query = self._query(node.value, bound)
                if start is not None and query is not None and query[0] == DJANGO:
                    yield self._offset(start, DJANGO, "slice", query[1])
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "offset"
                and len(node.args) == 1
            ):
                query = self._query(node.func.value, bound)
                if query is not None and query[0] == SQLALCHEMY:
                    yield self._offset(node.args[0], SQLALCHEMY, "offset", query[1])

    def _query(self, node: ast.AST, bound: dict[str, tuple[str, bool]]) -> tuple[str, bool] | None:
        """(framework, has ``order_by``) of the query ``node`` evaluates to, or ``None``."""
        links = chain(node)
        ordered = any(
            isinstance(link, ast.Call)
            and isinstance(link.func, ast.Attribute)
            and link.func.attr == "order_by"
            for link in links
        )
        framework = self._framework(links, node)
        if isinstance(links[0], ast.Name) and links[0].id in bound:
            framework, earlier = bound[links[0].id]
            ordered = ordered or earlier
        return (framework, ordered) if framework is not None else None

    def _framework(self, links: list[ast.AST], node: ast.AST) -> str | None:
        if self.finder.django_model(node) is not None:
            return DJANGO
        for link in links:
            if isinstance(link, ast.Call):
                if self.imports.qualify(link.func) in _SELECTS:
                    return SQLALCHEMY
                func = link.func
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr == "query"
                    and is_session(func.value)
                ):
                    return SQLALCHEMY
        if (
            len(links) > 1
            and isinstance(links[0], ast.Name)
            and links[0].id[:1].isupper()
            and isinstance(links[1], ast.Attribute)
            and links[1].attr == "query"
        ):
            return SQLALCHEMY  # Flask-SQLAlchemy ``Model.query``
        return None

    def _offset(self, start: ast.expr, framework: str, kind: str, ordered: bool) -> OrmOffsetFact:
        value = literal(start)
        return OrmOffsetFact(
            self.source.span(start),
            framework,
            kind,
            self.source.segment(start),
            value if isinstance(value, int) and not isinstance(value, bool) else None,
            ordered,
        )

    # --- DRF -------------------------------------------------------------------------------

    def _drf_class(self, node: ast.ClassDef) -> Iterator[Fact]:
        for base in node.bases:
            name = _DRF_OFFSET.get(self.imports.qualify(base) or "")
            if name is not None:
                yield self._fact(base, "drf", name)
        for statement in node.body:
            if not isinstance(statement, ast.Assign):
                continue
            if not any(
                isinstance(t, ast.Name) and t.id == "pagination_class" for t in statement.targets
            ):
                continue
            name = _DRF_OFFSET.get(self.imports.qualify(statement.value) or "")
            if name is not None:
                yield self._fact(statement.value, "drf", name)

    def _fact(self, at: ast.AST, kind: str, name: str) -> OrmOffsetFact:
        return OrmOffsetFact(self.source.span(at), DJANGO, kind, name, None, True)


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Nodes of ``scope`` in source order, not entering nested functions or classes."""
    stack = list(reversed(list(ast.iter_child_nodes(scope))))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
