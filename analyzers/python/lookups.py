"""ORM substring and regex filters: Django ``field__icontains=...`` lookups (in queryset filters
and ``Q(...)``) and SQLAlchemy ``Model.col.ilike(...)``-style column operators.

Each becomes an :class:`OrmPatternFact` with the SQL the ORM sends for it, so a rule can judge
it against the model's table in the catalog. Lookups through relations (``author__name``) are
left out: their table is another model's.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from dbsense.analyzers.ir import DJANGO, SQLALCHEMY, Fact, OrmPatternFact
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.queries import QueryFinder
from dbsense.analyzers.python.source import PythonSource, literal

# lookup -> (operator, wrapped column function, leading wildcard)
_DJANGO_LOOKUPS = {
    "contains": ("LIKE", None, True),
    "icontains": ("LIKE", "upper", True),
    "endswith": ("LIKE", None, True),
    "iendswith": ("LIKE", "upper", True),
    "regex": ("~", None, False),
    "iregex": ("~*", None, False),
}
_FILTERS = {"filter", "get", "get_or_create", "update_or_create", "count", "exists", "first"}
_SQLA_METHODS = {
    "contains": ("LIKE", None),
    "icontains": ("LIKE", "lower"),
    "endswith": ("LIKE", None),
    "iendswith": ("LIKE", "lower"),
    "like": ("LIKE", None),
    "ilike": ("ILIKE", None),
    "regexp_match": ("~", None),
}


class PatternLookups:
    """``OrmPatternFact`` of one module."""

    def __init__(self, source: PythonSource, imports: ImportMap) -> None:
        self.source = source
        self.imports = imports
        self.finder = QueryFinder(source, imports)

    def facts(self) -> Iterator[Fact]:
        for node in ast.walk(self.source.tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr in _FILTERS:
                model = self.finder.django_model(node)
                if model is not None:
                    yield from self._django(node, model)
            if node.func.attr in _SQLA_METHODS:
                fact = self._sqlalchemy(node)
                if fact is not None:
                    yield fact

    # --- Django ----------------------------------------------------------------------------

    def _django(self, call: ast.Call, model: str) -> Iterator[Fact]:
        keywords = list(call.keywords)
        for argument in call.args:  # Q(...) objects, combined with | & ~
            for node in ast.walk(argument):
                if isinstance(node, ast.Call) and self._is_q(node.func):
                    keywords.extend(node.keywords)
        for item in keywords:
            field, _, lookup = (item.arg or "").rpartition("__")
            shape = _DJANGO_LOOKUPS.get(lookup)
            if shape is None or not field or "__" in field:
                continue
            operator, wrapped, leading = shape
            value = literal(item.value)
            if leading:
                pattern: str | None = f"%{value}%" if isinstance(value, str) else "%"
            else:
                pattern = value if isinstance(value, str) else ""
            yield OrmPatternFact(
                self.source.span(item),
                DJANGO,
                model,
                field,
                lookup,
                operator,
                pattern,
                wrapped,
            )

    def _is_q(self, func: ast.AST) -> bool:
        qualified = self.imports.qualify(func) or ""
        return qualified in ("django.db.models.Q", "django.db.models.query_utils.Q")

    # --- SQLAlchemy ------------------------------------------------------------------------

    def _sqlalchemy(self, call: ast.Call) -> OrmPatternFact | None:
        func = call.func
        assert isinstance(func, ast.Attribute)
        column = func.value
        if not (
            isinstance(column, ast.Attribute)
            and isinstance(column.value, (ast.Name, ast.Attribute))
            and _class_name(column.value)
            and len(call.args) >= 1
        ):
            return None
        operator, wrapped = _SQLA_METHODS[func.attr]
        if func.attr in ("like", "ilike"):
            pattern = _prefix(call.args[0])
        elif func.attr == "regexp_match":
            value = literal(call.args[0])
            pattern = value if isinstance(value, str) else ""
            flags = literal(call.args[1]) if len(call.args) > 1 else None
            if isinstance(flags, str) and "i" in flags:
                operator = "~*"
        else:
            value = literal(call.args[0])
            pattern = f"%{value}%" if isinstance(value, str) else "%"
        model = self.imports.qualify(column.value) or ast.unparse(column.value)
        return OrmPatternFact(
            self.source.span(call),
            SQLALCHEMY,
            model,
            column.attr,
            func.attr,
            operator,
            pattern,
            wrapped,
        )


def _class_name(node: ast.AST) -> bool:
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return name[:1].isupper()


def _prefix(node: ast.AST) -> str | None:
    """The literal text a pattern starts with: ``"%x"`` -> ``%x``, ``f"%{q}%"`` -> ``%``,
    ``"%" + q`` -> ``%``; ``None`` when it starts with a variable."""
    value = literal(node)
    if isinstance(value, str):
        return value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _prefix(node.left)
    return None
