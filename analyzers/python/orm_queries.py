"""ORM read queries whose SQL is known statically, for index advice.

Only shapes whose SQL can be written down exactly are recognised, where they are evaluated:

- Django: ``Model.objects`` followed by ``all``, ``filter`` (keyword lookups ``exact``, ``gt``,
  ``gte``, ``lt``, ``lte``, ``isnull`` on the model's own fields, or ``fk__id``), ``order_by``,
  ``values``/``values_list``, ``prefetch_related``, ``iterator`` and ``using``; evaluated by
  ``get``, ``first``, ``count``, ``exists``, a ``[:n]``/``[a:b]`` slice, iteration (``for``, a
  comprehension) or ``list``/``tuple``.
- SQLAlchemy: ``select(Model)`` with ``where``/``filter`` (``==``, ``<``, ``<=``, ``>``, ``>=``,
  ``is_(None)``, ``and_``), ``filter_by``, ``order_by`` and ``limit``, passed to ``execute``,
  ``scalars`` or ``scalar`` (inline, or through a name assigned once in the same function); and
  ``session.query(Model)`` with the same methods, ended by ``all``, ``first``, ``one`` or
  ``one_or_none``.

Anything else (``Q`` objects, ``exclude``, joins through relations, annotations, expressions as
values) leaves the query out. The records name the model and fields as written; turning them
into SQL needs the catalog (``dbsense.query_sources``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from dbsense.analyzers.ir import DJANGO, SQLALCHEMY, Span
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.queries import MANAGERS, chain, is_session
from dbsense.analyzers.python.source import PythonSource, class_assignments, literal, module_name

ORDER_EXPLICIT = "explicit"  # ``order_by`` as given (empty: no ORDER BY)
ORDER_DEFAULT = "default"  # the model's ``Meta.ordering`` applies
ORDER_FIRST = "first"  # ``first()``: ``Meta.ordering``, else the primary key
ORDER_PK = "pk"  # ``first()`` after ``order_by()``: the primary key

DJANGO_GET_LIMIT = 21  # ``QuerySet.get`` fetches at most this many rows
_DJANGO_LOOKUPS = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_DJANGO_IGNORED = {"all", "prefetch_related", "iterator", "using"}
_DJANGO_EXPRESSIONS = {"F", "Q", "Value", "Subquery", "OuterRef", "Exists", "Func", "RawSQL"}
_DJANGO_MODEL = ("django.db.models.Model", "django.db.models.base.Model")
_DJANGO_MANAGER = ("django.db.models.Manager", "django.db.models.manager.Manager")
_SELECTS = ("sqlalchemy.select", "sqlalchemy.future.select", "sqlalchemy.sql.select")
_SA_OPERATORS = {ast.Eq: "=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_SA_EXECUTE = {"execute", "scalars", "scalar"}
_SA_TERMINAL = {"all", "first", "one", "one_or_none"}
_BINDERS = (ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor, ast.comprehension)


@dataclass(frozen=True, slots=True)
class OrmCondition:
    """``field operator $n`` (or ``field IS [NOT] NULL``): ``field`` as the ORM names it
    (``account``, ``account__id``, ``pk`` for Django; the attribute for SQLAlchemy)."""

    field: str
    operator: str  # "=", "<", "<=", ">", ">=", "IS NULL", "IS NOT NULL"


@dataclass(frozen=True, slots=True)
class OrmQuery:
    """A statically known read query (``span`` is the expression that builds it)."""

    span: Span
    framework: str  # DJANGO | SQLALCHEMY
    model: str  # the model class as qualified in the module
    conditions: tuple[OrmCondition, ...] = ()
    ordering: str = ORDER_EXPLICIT
    order_by: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    limit: int | None = None  # Django: a literal LIMIT
    offset: int | None = None  # Django: a literal OFFSET
    limit_parameter: bool = False  # SQLAlchemy: LIMIT is a bound parameter
    shape: str = "rows"  # rows | values | count | exists
    fields: tuple[str, ...] = ()  # ``values()`` fields (empty: every field)


@dataclass(frozen=True, slots=True)
class DjangoModelOptions:
    """What a Django model class adds to its queries. ``ordering`` is ``None`` when it cannot
    be known statically (a base class outside the module, a computed value)."""

    ordering: tuple[tuple[str, bool], ...] | None
    plain_manager: bool  # ``objects`` is Django's own manager


def orm_queries(path: str, text: str) -> list[OrmQuery]:
    """The statically known ORM read queries of a module (empty when it does not parse)."""
    try:
        source = PythonSource.parse(path, text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    imports = ImportMap.from_module(source.tree, module_name(path))
    finder = _Finder(source, imports)
    found: dict[Span, OrmQuery] = {}
    for query in finder.queries():
        found.setdefault(query.span, query)
    return sorted(found.values(), key=lambda query: query.span.start)


def django_model_options(path: str, text: str, class_name: str) -> DjangoModelOptions | None:
    """The ordering and manager of the model class ``class_name`` defined in this module."""
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    imports = ImportMap.from_module(tree, module_name(path))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    if class_name not in classes:
        return None
    return _options(classes[class_name], classes, imports, set())


# --- Django model options ---------------------------------------------------------------------


def _options(
    node: ast.ClassDef, classes: dict[str, ast.ClassDef], imports: ImportMap, seen: set[str]
) -> DjangoModelOptions:
    seen = seen | {node.name}
    meta = next(
        (item for item in node.body if isinstance(item, ast.ClassDef) and item.name == "Meta"),
        None,
    )
    plain = _plain_manager(node, imports)
    ordering: tuple[tuple[str, bool], ...] | None = ()
    if meta is not None:
        values = class_assignments(meta)
        if "ordering" in values:
            ordering = _ordering(values["ordering"])
        elif meta.bases:
            ordering = None  # ``class Meta(Parent.Meta)``: inherited from elsewhere
    for base in node.bases:
        if imports.is_(base, *_DJANGO_MODEL):
            continue
        parent = classes.get(base.id) if isinstance(base, ast.Name) else None
        if parent is None or parent.name in seen or not _abstract(parent):
            return DjangoModelOptions(None, False)  # a mixin, or multi-table inheritance
        inherited = _options(parent, classes, imports, seen)
        plain = plain and inherited.plain_manager
        if meta is None:
            ordering = inherited.ordering
    return DjangoModelOptions(ordering, plain)


def _abstract(node: ast.ClassDef) -> bool:
    meta = next(
        (item for item in node.body if isinstance(item, ast.ClassDef) and item.name == "Meta"),
        None,
    )
    return meta is not None and literal(class_assignments(meta).get("abstract")) is True


def _plain_manager(node: ast.ClassDef, imports: ImportMap) -> bool:
    manager = class_assignments(node).get("objects")
    if manager is None:
        return True
    return (
        isinstance(manager, ast.Call)
        and not manager.args
        and not manager.keywords
        and imports.is_(manager.func, *_DJANGO_MANAGER)
    )


def _ordering(node: ast.expr) -> tuple[tuple[str, bool], ...] | None:
    value = literal(node)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        return None
    result = []
    for item in value:
        if item == "?" or not item.lstrip("-"):
            return None
        result.append((item.lstrip("-"), item.startswith("-")))
    return tuple(result)


# --- finding queries --------------------------------------------------------------------------


class _Finder:
    def __init__(self, source: PythonSource, imports: ImportMap) -> None:
        self.source = source
        self.imports = imports

    def queries(self) -> Iterator[OrmQuery]:
        for scope in _scopes(self.source.tree):
            nodes = list(_walk_scope(scope))
            assigned = _single_assignments(nodes)
            for node in nodes:
                yield from self._django(node)
                yield from self._sqlalchemy(node, assigned)

    # --- Django ----------------------------------------------------------------------------

    def _django(self, node: ast.AST) -> Iterator[OrmQuery]:
        evaluated: list[ast.AST] = []
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            evaluated.append(node.iter)
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple"):
                evaluated.extend(node.args[:1])
            elif isinstance(node.func, ast.Attribute) and node.func.attr in (
                "get",
                "first",
                "count",
                "exists",
            ):
                evaluated.append(node)
        for expression in evaluated:
            query = self._django_query(expression)
            if query is not None:
                yield query

    def _django_query(self, node: ast.AST) -> OrmQuery | None:
        links = chain(node)
        start = next(
            (
                index
                for index, link in enumerate(links)
                if isinstance(link, ast.Attribute) and link.attr in MANAGERS and index > 0
            ),
            None,
        )
        if start is None or not all(
            isinstance(link, (ast.Name, ast.Attribute)) for link in links[:start]
        ):
            return None
        root = links[start - 1]
        model = self.imports.qualify(root) or ast.unparse(root)
        conditions: list[OrmCondition] = []
        order: list[tuple[str, bool]] | None = None  # None: the model's default ordering
        limit = offset = None
        shape, fields = "rows", ()
        rest = links[start + 1 :]
        for index, link in enumerate(rest):
            last = index == len(rest) - 1
            if isinstance(link, ast.Attribute):
                if last or not isinstance(rest[index + 1], ast.Call):
                    return None  # an attribute, not a method call
                continue
            if isinstance(link, ast.Subscript):
                bounds = _slice(link.slice) if last else None
                if bounds is None:
                    return None
                offset, limit = bounds
                continue
            if not isinstance(link, ast.Call) or not isinstance(link.func, ast.Attribute):
                return None
            name = link.func.attr
            if name in _DJANGO_IGNORED:
                continue
            if name in ("filter", "get"):
                if link.args or not self._lookups(link, conditions):
                    return None
                if name == "get":
                    if not last:
                        return None
                    order, limit = [], DJANGO_GET_LIMIT
            elif name == "order_by":
                order = _django_order(link)
                if order is None:
                    return None
            elif name in ("values", "values_list"):
                names = [literal(argument) for argument in link.args]
                allowed = {"flat", "named"} if name == "values_list" else set()
                if not all(isinstance(item, str) and "__" not in item for item in names) or any(
                    item.arg not in allowed for item in link.keywords
                ):
                    return None
                shape, fields = "values", tuple(names)  # type: ignore[arg-type]
            elif name == "first" and last and not link.args:
                if not order:
                    ordering = ORDER_FIRST if order is None else ORDER_PK
                    span = self.source.span(node)
                    return _django(span, model, conditions, ordering, (), 1, None, shape, fields)
                limit = 1
            elif name in ("count", "exists") and last and not link.args:
                shape, order = name, []
                limit = 1 if name == "exists" else None
            else:
                return None
        ordering = ORDER_DEFAULT if order is None else ORDER_EXPLICIT
        span = self.source.span(node)
        return _django(span, model, conditions, ordering, order or (), limit, offset, shape, fields)

    def _lookups(self, call: ast.Call, conditions: list[OrmCondition]) -> bool:
        """Append the call's keyword lookups in Django's order (sorted by name, as ``Q``
        sorts them); False when one cannot be rendered."""
        if any(item.arg is None for item in call.keywords):
            return False
        for item in sorted(call.keywords, key=lambda item: item.arg or ""):
            if item.arg is None or self._expression(item.value):
                return False
            parts = item.arg.split("__")
            lookup = parts[-1] if len(parts) > 1 else "exact"
            if lookup in _DJANGO_LOOKUPS or lookup == "isnull":
                parts = parts[:-1] if len(parts) > 1 else parts
            else:
                lookup = "exact"
            if len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("id", "pk")):
                return False
            field = "__".join(parts)
            value = literal(item.value)
            if lookup == "isnull":
                if not isinstance(value, bool):
                    return False
                conditions.append(OrmCondition(field, "IS NULL" if value else "IS NOT NULL"))
            elif value is None:
                if lookup != "exact":
                    return False
                conditions.append(OrmCondition(field, "IS NULL"))
            else:
                conditions.append(OrmCondition(field, _DJANGO_LOOKUPS[lookup]))
        return True

    def _expression(self, node: ast.AST) -> bool:
        """True for a Django query expression (``F("x")``...), which is not a bound value."""
        for child in ast.walk(node):
            if isinstance(child, ast.Call):
                name = (self.imports.qualify(child.func) or ast.unparse(child.func)).rsplit(".")[-1]
                if name in _DJANGO_EXPRESSIONS:
                    return True
        return False

    # --- SQLAlchemy ------------------------------------------------------------------------

    def _sqlalchemy(self, node: ast.AST, assigned: dict[str, ast.expr]) -> Iterator[OrmQuery]:
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            return
        name = node.func.attr
        if name in _SA_EXECUTE and node.args:
            statement = node.args[0]
            if isinstance(statement, ast.Name) and statement.id in assigned:
                statement = assigned[statement.id]
            query = self._select_query(statement)
            if query is not None:
                yield query
        elif name in _SA_TERMINAL and not node.args and not node.keywords:
            query = self._legacy_query(node)
            if query is not None:
                yield query

    def _select_query(self, node: ast.AST) -> OrmQuery | None:
        links = chain(node)
        first = next((i for i, link in enumerate(links) if isinstance(link, ast.Call)), None)
        if first is None or not self.imports.is_(links[first], *_SELECTS):
            return None
        return self._sa_chain(self.source.span(node), links[first], links[first + 1 :], False)

    def _legacy_query(self, node: ast.Call) -> OrmQuery | None:
        links = chain(node)
        for index, link in enumerate(links):
            if (
                isinstance(link, ast.Call)
                and isinstance(link.func, ast.Attribute)
                and link.func.attr == "query"
                and is_session(link.func.value)
            ):
                span = Span(self.source.span(link).start, self.source.span(node).end)
                first = node.func.attr == "first"  # type: ignore[union-attr]
                return self._sa_chain(span, link, links[index + 1 : -2], first)
        return None

    def _sa_chain(
        self, span: Span, root: ast.Call, rest: list[ast.AST], limit: bool
    ) -> OrmQuery | None:
        """The query of ``select(Model)`` / ``session.query(Model)`` and its methods."""
        if len(root.args) != 1 or root.keywords:
            return None
        entity = root.args[0]
        name = entity.id if isinstance(entity, ast.Name) else getattr(entity, "attr", "")
        if not isinstance(entity, (ast.Name, ast.Attribute)) or not name[:1].isupper():
            return None  # a column or an expression: rows are values, not the model
        model = self.imports.qualify(entity) or ast.unparse(entity)
        prefix = ast.unparse(entity)
        conditions: list[OrmCondition] = []
        order: list[tuple[str, bool]] = []
        for index, link in enumerate(rest):
            if isinstance(link, ast.Attribute):
                if index + 1 >= len(rest) or not isinstance(rest[index + 1], ast.Call):
                    return None
                continue
            if not isinstance(link, ast.Call) or not isinstance(link.func, ast.Attribute):
                return None
            name = link.func.attr
            if name in ("where", "filter"):
                if link.keywords or not all(
                    self._sa_condition(argument, prefix, conditions) for argument in link.args
                ):
                    return None
            elif name == "filter_by":
                if link.args or not _filter_by(link, prefix, conditions):
                    return None
            elif name == "order_by":
                keys = [self._sa_order(argument, prefix) for argument in link.args]
                if link.keywords or None in keys:
                    return None
                order.extend(keys)  # type: ignore[arg-type]
            elif name == "limit" and len(link.args) == 1 and not link.keywords:
                limit = True
            else:
                return None
        return OrmQuery(
            span,
            SQLALCHEMY,
            model,
            tuple(conditions),
            ORDER_EXPLICIT,
            tuple(order),
            limit_parameter=limit,
        )

    def _sa_condition(self, node: ast.AST, prefix: str, conditions: list[OrmCondition]) -> bool:
        if isinstance(node, ast.Call) and self.imports.is_(node.func, "sqlalchemy.and_"):
            return not node.keywords and all(
                self._sa_condition(argument, prefix, conditions) for argument in node.args
            )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            column = _column(node.func.value, prefix)
            method = node.func.attr
            if column and method in ("is_", "is_not", "isnot") and len(node.args) == 1:
                if literal(node.args[0]) is not None or node.keywords:
                    return False
                operator = "IS NULL" if method == "is_" else "IS NOT NULL"
                conditions.append(OrmCondition(column, operator))
                return True
            return False
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            return False
        column = _column(node.left, prefix)
        value = node.comparators[0]
        if column is None or _mentions(value, prefix):
            return False
        constant = literal(value)
        if constant is None and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            operator = "IS NULL" if isinstance(node.ops[0], ast.Eq) else "IS NOT NULL"
            conditions.append(OrmCondition(column, operator))
            return True
        operator = _SA_OPERATORS.get(type(node.ops[0]))
        if operator is None or isinstance(constant, bool):
            return False
        conditions.append(OrmCondition(column, operator))
        return True

    def _sa_order(self, node: ast.AST, prefix: str) -> tuple[str, bool] | None:
        column = _column(node, prefix)
        if column is not None:
            return column, False
        if isinstance(node, ast.Call) and not node.keywords:
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("asc", "desc"):
                column = _column(node.func.value, prefix)
                if column is not None and not node.args:
                    return column, node.func.attr == "desc"
            for direction in ("asc", "desc"):
                if self.imports.is_(node.func, f"sqlalchemy.{direction}") and len(node.args) == 1:
                    column = _column(node.args[0], prefix)
                    if column is not None:
                        return column, direction == "desc"
        return None


def _django(
    span: Span,
    model: str,
    conditions: list[OrmCondition],
    ordering: str,
    order: list[tuple[str, bool]] | tuple[()],
    limit: int | None,
    offset: int | None,
    shape: str,
    fields: tuple[str, ...],
) -> OrmQuery:
    return OrmQuery(
        span,
        DJANGO,
        model,
        tuple(conditions),
        ordering,
        tuple(order),
        limit=limit,
        offset=offset,
        shape=shape,
        fields=fields,
    )


def _django_order(call: ast.Call) -> list[tuple[str, bool]] | None:
    """``order_by("-created_at", "id")`` -> ``[("created_at", True), ("id", False)]``."""
    order = []
    for argument in call.args:
        item = literal(argument)
        if not isinstance(item, str) or item == "?" or not item.lstrip("-") or "__" in item:
            return None
        order.append((item.lstrip("-"), item.startswith("-")))
    return None if call.keywords else order


def _filter_by(call: ast.Call, prefix: str, conditions: list[OrmCondition]) -> bool:
    for item in call.keywords:
        if item.arg is None or _mentions(item.value, prefix):
            return False
        value = literal(item.value)
        if isinstance(value, bool):
            return False
        conditions.append(OrmCondition(item.arg, "IS NULL" if value is None else "="))
    return True


def _column(node: ast.AST, prefix: str) -> str | None:
    """``Model.attr`` -> ``attr`` when ``Model`` is the selected entity."""
    if isinstance(node, ast.Attribute) and ast.unparse(node.value) == prefix:
        return node.attr
    return None


def _mentions(node: ast.AST, prefix: str) -> bool:
    """True when ``node`` may be a column rather than a bound value: an attribute of the
    entity, or of another class that looks like a model (``Account.id``; ``Kind.CLICK`` looks
    like an enum member and stays a value)."""
    for child in ast.walk(node):
        if not isinstance(child, ast.Attribute):
            continue
        if ast.unparse(child.value) == prefix:
            return True
        owner = child.value
        if isinstance(owner, ast.Name) and owner.id[:1].isupper() and child.attr[:1].islower():
            return True
    return False


def _slice(node: ast.AST) -> tuple[int | None, int] | None:
    """(offset, limit) of a literal ``[:n]`` or ``[a:b]`` slice."""
    if not isinstance(node, ast.Slice) or node.step is not None:
        return None
    lower = literal(node.lower) if node.lower is not None else 0
    upper = literal(node.upper)
    if not isinstance(lower, int) or not isinstance(upper, int) or isinstance(upper, bool):
        return None
    if lower < 0 or upper <= lower:
        return None
    return (lower or None), upper - lower


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield node


def _walk_scope(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of one function (or the module) without those of nested functions."""
    pending = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            pending.extend(ast.iter_child_nodes(node))


def _single_assignments(nodes: list[ast.AST]) -> dict[str, ast.expr]:
    """Names bound exactly once in a scope, by a plain assignment, with their value."""
    values: dict[str, ast.expr] = {}
    counts: dict[str, int] = {}
    for node in nodes:
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                values[node.targets[0].id] = node.value
        elif isinstance(node, _BINDERS):
            targets = [node.target]
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            targets = [node.optional_vars]
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    counts[name.id] = counts.get(name.id, 0) + 1
    return {name: value for name, value in values.items() if counts.get(name) == 1}
