"""Django REST framework serializers as per-row code.

A serializer used with ``many=True`` (directly, or as a list view's ``serializer_class``) runs
its fields and ``get_<field>`` methods once per row: a loop in all but name. Each serializer
class gets a :class:`FunctionFact` named ``<Serializer>.__rows__`` that reads the row's
``source="a.b"`` paths and nested-serializer relations and calls its per-row methods; each
``many=True`` use becomes a :class:`LoopFact` calling it, so the query-in-loop rule follows it
like any other loop body.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace

from dbsense.analyzers.ir import (
    AttributeAccess,
    CallSite,
    Fact,
    FunctionFact,
    LoopFact,
    QuerySource,
    Span,
)
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.queries import QueryFinder
from dbsense.analyzers.python.scopes import FunctionNode, Scopes
from dbsense.analyzers.python.source import PythonSource, keyword, literal

ROWS = "__rows__"
ROW = "obj"
_LIST_VIEWS = (
    "ListAPIView",
    "ListCreateAPIView",
    "ModelViewSet",
    "ReadOnlyModelViewSet",
    "ListModelMixin",
)


class Serializers:
    def __init__(self, source: PythonSource, imports: ImportMap, module: str) -> None:
        self.source = source
        self.imports = imports
        self.module = module
        self.scopes = Scopes(source.tree, imports)
        self.finder = QueryFinder(source, imports)

    def facts(self) -> Iterator[Fact]:
        if not self.imports.imports_from("rest_framework"):
            return
        for node in self.source.tree.body:
            if isinstance(node, ast.ClassDef):
                if self._is_serializer(node):
                    yield self._rows(node)
                elif self._is_list_view(node):
                    fact = self._view(node)
                    if fact is not None:
                        yield fact
        for node in ast.walk(self.source.tree):
            if isinstance(node, ast.Call) and literal(keyword(node, "many")) is True:
                fact = self._many(node)
                if fact is not None:
                    yield fact

    def _is_serializer(self, node: ast.ClassDef) -> bool:
        return any(
            (self.imports.qualify(base) or ast.unparse(base)).endswith("Serializer")
            for base in node.bases
        )

    def _is_list_view(self, node: ast.ClassDef) -> bool:
        return any(
            (self.imports.qualify(base) or ast.unparse(base)).rsplit(".", 1)[-1] in _LIST_VIEWS
            for base in node.bases
        )

    def _rows(self, node: ast.ClassDef) -> FunctionFact:
        qualified = f"{self.module}.{node.name}"
        accesses: list[tuple[int, AttributeAccess]] = []
        calls: list[CallSite] = []
        for item in node.body:
            if isinstance(item, ast.Assign) and isinstance(item.value, ast.Call):
                field = item.targets[0]
                if not isinstance(field, ast.Name):
                    continue
                span = self.source.span(item)
                source = literal(keyword(item.value, "source"))
                if isinstance(source, str) and source != "*":
                    accesses.append((1, AttributeAccess(tuple(source.split(".")), span)))
                elif (
                    self.imports.qualify(item.value.func) or ast.unparse(item.value.func)
                ).endswith("Serializer"):
                    accesses.append((1, AttributeAccess((field.id,), span)))
            elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                item.name.startswith("get_") or item.name == "to_representation"
            ):
                calls.append(
                    CallSite(
                        f"{qualified}.{item.name}",
                        self.source.span(item),
                        ((0, "self", ()), (1, ROW, ())),
                    )
                )
        start = self.source.offset(node.lineno, node.col_offset)
        at = self.source.text.find(node.name, start)
        name_span = Span(at, at + len(node.name)) if at >= 0 else self.source.span(node)
        return FunctionFact(
            name_span,
            "django",
            f"{qualified}.{ROWS}",
            ("self", ROW),
            tuple(accesses),
            tuple(calls),
        )

    def _many(self, call: ast.Call) -> LoopFact | None:
        serializer = self.imports.qualify(call.func)
        rows = call.args[0] if call.args else keyword(call, "instance")
        if serializer is None or rows is None:
            return None
        function = self.scopes.function_of(call)
        source = self._source(rows, function)
        return self._loop(call, serializer, source, function)

    def _view(self, node: ast.ClassDef) -> LoopFact | None:
        """A list view's ``queryset`` serialized per row, with its ``pagination_class``."""
        values = {}
        for item in node.body:
            if isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name):
                values[item.targets[0].id] = item.value
        queryset = values.get("queryset")
        serializer = self.imports.qualify(values.get("serializer_class"))
        if queryset is None or serializer is None:
            return None
        source = self.finder.loop_source(queryset)
        fact = self._loop(queryset, serializer, source, None, "drf-view")
        paginator = values.get("pagination_class")
        pagination = None
        if paginator is not None:
            pagination = (
                ""
                if literal(paginator) is None
                else self.imports.qualify(paginator) or ast.unparse(paginator)
            )
        return replace(
            fact, function=f"{self.module}.{node.name}", kind="list-view", pagination=pagination
        )

    def _source(self, rows: ast.expr, function: FunctionNode | None) -> QuerySource | None:
        if isinstance(rows, ast.Name) and function is not None:
            values = [
                node.value
                for node in ast.walk(function)
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == rows.id for t in node.targets)
            ]
            if len(values) == 1:
                return self.finder.loop_source(values[0])
            return None
        return self.finder.loop_source(rows)

    def _loop(
        self,
        node: ast.AST,
        serializer: str,
        source: QuerySource | None,
        function: FunctionNode | None,
        request_kind: str | None = None,
    ) -> LoopFact:
        span = self.source.span(node)
        return LoopFact(
            span,
            source.framework if source else "python",
            ROW,
            source,
            (),
            (CallSite(f"{serializer}.{ROWS}", span, ((1, ROW, ()),)),),
            (),
            function.name if function is not None else None,
            request_kind or self.scopes.request_kind(function),
            kind="serializer",
            rows_escape=True,
        )
