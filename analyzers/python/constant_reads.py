"""Read queries with only literal arguments that request handlers run: Django queryset chains
(``Category.objects.filter(active=True).order_by("name")``) and constant ``SELECT`` strings passed
alone to a DB-API ``execute``. Equal queries get equal normalised text, so a rule can see the
same read repeated across handlers.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cached_property

from dbsense.analyzers.ir import DJANGO, RAW_SQL, ConstantReadFact, Fact
from dbsense.analyzers.python.clients import literal_str
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.queries import MANAGERS, method_calls
from dbsense.analyzers.python.scopes import Scopes
from dbsense.analyzers.python.source import PythonSource, literal

_READS = {
    "all",
    "filter",
    "exclude",
    "order_by",
    "values",
    "values_list",
    "only",
    "defer",
    "select_related",
    "prefetch_related",
    "distinct",
    "get",
    "first",
    "last",
    "count",
    "exists",
    "aggregate",
    "annotate",
}
_WRITES = {
    "create",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
_CACHE_CALLS = {"get", "get_or_set", "get_many"}
_CACHE_DECORATORS = {"cache_page", "cached", "cached_property", "memoize"}


class ConstantReads:
    """The constant request-path reads of one module."""

    def __init__(self, parsed: PythonSource, imports: ImportMap) -> None:
        self.parsed = parsed
        self.imports = imports

    @cached_property
    def scopes(self) -> Scopes:
        return Scopes(self.parsed.tree, self.imports)

    def facts(self) -> Iterator[Fact]:
        if "execute" not in self.parsed.text and not self.imports.imports_from("django"):
            return
        if not self.imports.imports_from("django"):
            yield from self._raw_reads()
            return
        written = self._written_models()
        for node in ast.walk(self.parsed.tree):
            if not isinstance(node, ast.Call) or self._is_inner_link(node):
                continue
            found = self._django_read(node)
            if found is None:
                continue
            model, text = found
            fact = self._fact(node, text, model, DJANGO, written=model in written)
            if fact is not None:
                yield fact
        yield from self._raw_reads()

    def _django_read(self, call: ast.Call) -> tuple[str, str] | None:
        calls = method_calls(call)
        if not calls:
            return None
        receiver = calls[0][1].func.value  # type: ignore[attr-defined]
        if not (
            isinstance(receiver, ast.Attribute)
            and receiver.attr in MANAGERS
            and isinstance(receiver.value, ast.Name)
        ):
            return None
        if any(name not in _READS for name, _ in calls):
            return None
        if not all(_constant(argument) for _, link in calls for argument in _arguments(link)):
            return None
        return receiver.value.id, _normalise(ast.unparse(call))

    def _is_inner_link(self, call: ast.Call) -> bool:
        """A call whose result another method of the same chain is called on."""
        parent = self.scopes.parent(call)
        grand = self.scopes.parent(parent) if parent is not None else None
        return (
            isinstance(parent, ast.Attribute)
            and isinstance(grand, ast.Call)
            and grand.func is parent
        )

    def _raw_reads(self) -> Iterator[Fact]:
        for node in ast.walk(self.parsed.tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "execute"
                and len(node.args) == 1
                and not node.keywords
            ):
                continue
            sql = literal_str(node.args[0])
            if sql is None or not re.match(r"\s*select\b", sql, re.IGNORECASE):
                continue
            fact = self._fact(node, _normalise(sql), None, RAW_SQL, written=False)
            if fact is not None:
                yield fact

    def _fact(
        self, node: ast.Call, text: str, model: str | None, origin: str, written: bool
    ) -> ConstantReadFact | None:
        function = self.scopes.function_of(node)
        kind = self.scopes.request_kind(function)
        if function is None or kind is None:
            return None
        owner = self.scopes.class_of(function)
        name = f"{owner.name}.{function.name}" if owner is not None else function.name
        return ConstantReadFact(
            self.parsed.span(node),
            origin,
            query=text,
            model=model,
            function=name,
            request_kind=kind,
            cached=self._cached(function),
            written=written,
        )

    def _cached(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        for decorator in function.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = self.imports.qualify(target) or ast.unparse(target)
            if name.rsplit(".", 1)[-1] in _CACHE_DECORATORS:
                return True
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _CACHE_CALLS
                and "cache" in ast.unparse(node.func.value).lower()
            ):
                return True
        return False

    def _written_models(self) -> set[str]:
        """Models the module writes: ``M.objects.create()``..., or ``M(...)`` instances."""
        written: set[str] = set()
        for node in ast.walk(self.parsed.tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id[:1].isupper():
                written.add(func.id)
            if (
                isinstance(func, ast.Attribute)
                and func.attr in _WRITES
                and isinstance(func.value, ast.Attribute)
                and func.value.attr in MANAGERS
                and isinstance(func.value.value, ast.Name)
            ):
                written.add(func.value.value.id)
        return written


def _arguments(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(keyword.value for keyword in call.keywords)]


def _constant(node: ast.expr) -> bool:
    if isinstance(node, ast.Starred):
        return False
    return literal(node) is not NotImplemented


def _normalise(text: str) -> str:
    return " ".join(text.split())
