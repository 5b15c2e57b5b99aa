"""Django REST framework settings: the pagination every list view inherits.

A module that binds ``REST_FRAMEWORK`` at top level (``REST_FRAMEWORK = {...}``, then maybe
``REST_FRAMEWORK["KEY"] = value`` or ``REST_FRAMEWORK.update(...)``) gives a
:class:`DrfSettingsFact` with its ``DEFAULT_PAGINATION_CLASS`` and whether ``PAGE_SIZE`` is set.
A page-number or limit-offset class named there is also an :class:`OrmOffsetFact` (kind
``drf-default``) on the class path: every paginated list view then sends ``OFFSET``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from dbsense.analyzers.ir import DJANGO, DrfSettingsFact, Fact, OrmOffsetFact
from dbsense.analyzers.python.source import PythonSource, literal

SETTING = "REST_FRAMEWORK"
OFFSET_PAGINATORS = {
    "rest_framework.pagination.PageNumberPagination": "PageNumberPagination",
    "rest_framework.pagination.LimitOffsetPagination": "LimitOffsetPagination",
}


class DrfSettings:
    def __init__(self, source: PythonSource) -> None:
        self.source = source

    def facts(self) -> Iterator[Fact]:
        entries: dict[str, ast.expr] = {}
        first: ast.stmt | None = None
        for statement in self.source.tree.body:
            found = _entries(statement)
            if found is None:
                continue
            first = first or statement
            entries.update(found)
        if first is None:
            return
        paginator = entries.get("DEFAULT_PAGINATION_CLASS")
        dotted = literal(paginator)
        pagination = dotted if isinstance(dotted, str) and dotted else None
        size = entries.get("PAGE_SIZE")
        value = literal(size) if size is not None else None
        page_size = size is not None and value not in (None, 0, False)
        yield DrfSettingsFact(self.source.span(first), DJANGO, pagination, page_size)
        name = OFFSET_PAGINATORS.get(pagination or "")
        if name is not None and paginator is not None:
            yield OrmOffsetFact(
                self.source.span(paginator), DJANGO, "drf-default", name, None, True
            )


def _entries(statement: ast.stmt) -> dict[str, ast.expr] | None:
    """The ``REST_FRAMEWORK`` keys a top-level statement sets, or ``None`` when it sets none."""
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        value = statement.value
        for target in targets:
            if isinstance(target, ast.Name) and target.id == SETTING:
                return _dict(value)
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == SETTING
                and isinstance(literal(target.slice), str)
                and value is not None
            ):
                return {str(literal(target.slice)): value}
        return None
    call = statement.value if isinstance(statement, ast.Expr) else None
    if (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "update"
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == SETTING
    ):
        entries: dict[str, ast.expr] = {}
        for argument in call.args:
            entries.update(_dict(argument))
        entries.update({kw.arg: kw.value for kw in call.keywords if kw.arg is not None})
        return entries
    return None


def _dict(node: ast.expr | None) -> dict[str, ast.expr]:
    if not isinstance(node, ast.Dict):
        return {}
    return {
        str(literal(key)): value
        for key, value in zip(node.keys, node.values, strict=True)
        if key is not None and isinstance(literal(key), str)
    }
