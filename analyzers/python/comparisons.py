"""SQLAlchemy column comparisons with Python numbers: ``Model.col == 10.5``, ``.in_([...])``,
``.between(a, b)`` and ``filter_by(col=...)`` become :class:`OrmComparisonFact`, so the
implicit-type-conversion rule can compare the literal with the column's catalog type. Any
``Class.attr`` qualifies (query code often imports only the models); the rule keeps those whose
class is a SQLAlchemy model of the workspace.

Strings are left out: drivers send them untyped (or SQLAlchemy casts them), so Postgres takes
the column's type. Django lookups are left out too: Django converts a lookup value to the
field's Python type (``IntegerField`` -> ``int``) before it reaches the database.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from dbsense.analyzers.ir import SQLALCHEMY, Fact, OrmComparisonFact
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.queries import QueryFinder
from dbsense.analyzers.python.source import PythonSource, literal

_OPERATORS = {ast.Eq: "=", ast.NotEq: "<>", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_METHODS = {"in_": "IN", "not_in": "IN", "notin_": "IN", "between": "BETWEEN"}


class OrmComparisons:
    def __init__(self, source: PythonSource, imports: ImportMap) -> None:
        self.source = source
        self.imports = imports
        self.finder = QueryFinder(source, imports)

    def facts(self) -> Iterator[Fact]:
        for node in ast.walk(self.source.tree):
            if isinstance(node, ast.Compare) and len(node.ops) == 1:
                yield from self._compare(node)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                yield from self._method(node)

    def _compare(self, node: ast.Compare) -> Iterator[Fact]:
        operator = _OPERATORS.get(type(node.ops[0]))
        if operator is None:
            return
        left, right = node.left, node.comparators[0]
        column = self._column(left)
        value = right
        if column is None:
            column, value = self._column(right), left
        if column is not None:
            yield from self._facts(node, column, operator, [value])

    def _method(self, call: ast.Call) -> Iterator[Fact]:
        func = call.func
        assert isinstance(func, ast.Attribute)
        operator = _METHODS.get(func.attr)
        if operator is not None:
            column = self._column(func.value)
            if column is None:
                return
            values: list[ast.expr] = list(call.args)
            if (
                operator == "IN"
                and len(call.args) == 1
                and isinstance(call.args[0], (ast.List, ast.Tuple, ast.Set))
            ):
                values = list(call.args[0].elts)
            yield from self._facts(call, column, operator, values)
        elif func.attr == "filter_by":
            source = self.finder.loop_source(func.value)
            if source is None or not source.model or source.rows_are_values:
                return
            for kw in call.keywords:
                if kw.arg is not None:
                    yield from self._facts(call, (source.model, kw.arg), "=", [kw.value])

    def _column(self, node: ast.AST) -> tuple[str, str] | None:
        """(model, attribute) of ``Model.attr`` where ``Model`` is an imported or local class."""
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            return None
        owner = node.value
        if not owner.id[:1].isupper():
            return None
        qualified = self.imports.qualify(owner)
        return (qualified, node.attr) if qualified is not None else None

    def _facts(
        self, node: ast.AST, column: tuple[str, str], operator: str, values: list[ast.expr]
    ) -> Iterator[Fact]:
        for value in values:
            number = self._number(value)
            if number is not None:
                kind, text = number
                yield OrmComparisonFact(
                    self.source.span(node),
                    SQLALCHEMY,
                    column[0],
                    column[1],
                    operator,
                    text,
                    self.source.span(value),
                    kind,
                )

    def _number(self, node: ast.expr) -> tuple[str, str] | None:
        """(``int``/``float``/``decimal``, the text a driver inlines) of a numeric literal."""
        value = literal(node)
        if isinstance(value, bool) or value is NotImplemented:
            value = None
        if isinstance(value, int):
            return "int", str(value)
        if isinstance(value, float):
            return "float", repr(value)
        if (
            isinstance(node, ast.Call)
            and self.imports.is_(node.func, "decimal.Decimal")
            and len(node.args) == 1
            and isinstance(literal(node.args[0]), (str, int))
        ):
            try:
                return "decimal", str(Decimal(literal(node.args[0])))  # type: ignore[arg-type]
            except InvalidOperation:
                return None
        return None
