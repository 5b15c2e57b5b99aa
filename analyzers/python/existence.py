"""Existence tests written as counts: ``qs.count() > 0``, ``len(qs) == 0``, ``if qs.count():``."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from dbsense.analyzers.ir import DJANGO, CountForExistenceFact
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.queries import QueryFinder
from dbsense.analyzers.python.scopes import Scopes
from dbsense.analyzers.python.source import PythonSource, literal

# (operator, constant) pairs that mean "some rows" (True) or "no rows" (False)
_MEANING = {
    (ast.Gt, 0): True,
    (ast.GtE, 1): True,
    (ast.NotEq, 0): True,
    (ast.Eq, 0): False,
    (ast.Lt, 1): False,
    (ast.LtE, 0): False,
}


class ExistenceChecks:
    def __init__(self, source: PythonSource, imports: ImportMap) -> None:
        self.source = source
        self.finder = QueryFinder(source, imports)
        self.scopes = Scopes(source.tree, imports)

    def _is_queryset(self, node: ast.AST) -> bool:
        """A Django queryset chain, or a name assigned exactly once from one in its function."""
        if self.finder.django_model(node) is not None:
            return True
        if not isinstance(node, ast.Name):
            return False
        scope = self.scopes.function_of(node) or self.source.tree
        values = [
            statement.value
            for statement in ast.walk(scope)
            if isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in statement.targets)
        ]
        return len(values) == 1 and self.finder.django_model(values[0]) is not None

    def facts(self) -> Iterator[CountForExistenceFact]:
        for node in ast.walk(self.source.tree):
            if isinstance(node, ast.Compare) and len(node.ops) == 1:
                value = literal(node.comparators[0])
                meaning = _MEANING.get((type(node.ops[0]), value)) if type(value) is int else None
                if meaning is not None:
                    fact = self._fact(node, node.left, meaning)
                    if fact is not None:
                        yield fact
            elif isinstance(node, (ast.If, ast.While, ast.IfExp)) and isinstance(
                node.test, ast.Call
            ):
                fact = self._fact(node.test, node.test, True)
                if fact is not None:
                    yield fact

    def _fact(self, node: ast.AST, counted: ast.AST, some: bool) -> CountForExistenceFact | None:
        if not isinstance(counted, ast.Call):
            return None
        if (
            isinstance(counted.func, ast.Attribute)
            and counted.func.attr == "count"
            and not counted.args
            and self._is_queryset(counted.func.value)
        ):
            query = counted.func.value
            kind = "count"
        elif (
            isinstance(counted.func, ast.Name)
            and counted.func.id == "len"
            and len(counted.args) == 1
            and self._is_queryset(counted.args[0])
        ):
            query = counted.args[0]
            kind = "len"
        else:
            return None
        text = self.source.segment(query)
        replacement = f"{text}.exists()" if some else f"not {text}.exists()"
        return CountForExistenceFact(self.source.span(node), DJANGO, kind, text, replacement)
