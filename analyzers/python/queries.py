"""Recognise database calls and ORM query chains in Python expressions.

``query_call`` says whether a call talks to the database right away (Django terminal queryset
methods, SQLAlchemy session calls, DB-API ``execute``); ``query_source`` describes the rows a
loop iterates when they come from an ORM query, with the eager loading already applied.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from dbsense.analyzers.ir import DJANGO, RAW_SQL, SQLALCHEMY, QueryCall, QuerySource
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.source import PythonSource, literal

MANAGERS = ("objects", "_default_manager", "_base_manager")
DJANGO_TERMINAL = {
    "get",
    "first",
    "last",
    "count",
    "exists",
    "aggregate",
    "latest",
    "earliest",
    "create",
    "get_or_create",
    "update_or_create",
    "update",
    "delete",
    "in_bulk",
    "contains",
}
SESSION_CALLS = {"get", "execute", "scalar", "scalars", "merge", "refresh"}
QUERY_TERMINAL = {"first", "one", "one_or_none", "all", "scalar", "count", "get"}
DBAPI_CALLS = {"execute", "exec_driver_sql", "fetch", "fetchrow", "fetchval"}
_EAGER_LOADERS = {"joinedload", "selectinload", "subqueryload", "immediateload", "contains_eager"}
_NO_QUERY_LOADERS = {"raiseload", "noload"}
_SQLA_ORM = "sqlalchemy.orm"
_COLUMN_OPTIONS = {"load_only", "defer", "undefer", "undefer_group", "with_expression"}


def chain(node: ast.AST) -> list[ast.AST]:
    """The links of a method chain, root first: ``a.b(x).c()`` -> [a, a.b, a.b(x), ..., call]."""
    links: list[ast.AST] = []
    current: ast.AST | None = node
    while current is not None:
        links.append(current)
        if isinstance(current, ast.Call):
            current = current.func
        elif isinstance(current, (ast.Attribute, ast.Subscript)):
            current = current.value
        else:
            current = None
    return list(reversed(links))


def method_calls(node: ast.AST) -> list[tuple[str, ast.Call]]:
    """``(name, call)`` for each method call of a chain, root first."""
    return [
        (link.func.attr, link)
        for link in chain(node)
        if isinstance(link, ast.Call) and isinstance(link.func, ast.Attribute)
    ]


def _receiver_text(node: ast.AST) -> str:
    try:
        return ast.unparse(node).lower()
    except (ValueError, RecursionError):
        return ""


def is_session(node: ast.AST) -> bool:
    """Heuristic for an SQLAlchemy session: ``session``, ``db.session``, ``self.session``..."""
    text = _receiver_text(node)
    return text.rsplit(".", 1)[-1] in ("session", "db_session", "sess", "s") or text.endswith(
        "session"
    )


def is_cursor(node: ast.AST) -> bool:
    text = _receiver_text(node).rsplit(".", 1)[-1]
    return text in ("cursor", "cur", "conn", "connection", "db", "c") or "cursor" in text


@dataclass(slots=True)
class QueryFinder:
    """Query recognition for one module."""

    source: PythonSource
    imports: ImportMap

    def django_model(self, node: ast.AST) -> str | None:
        """The model class a Django manager chain starts from (``Order.objects...``)."""
        links = chain(node)
        for index, link in enumerate(links):
            if isinstance(link, ast.Attribute) and link.attr in MANAGERS and index > 0:
                root = links[index - 1]
                if isinstance(root, (ast.Name, ast.Attribute)):
                    return self.imports.qualify(root) or ast.unparse(root)
        return None

    def query_call(self, call: ast.Call, depends: bool = True) -> QueryCall | None:
        """A call that runs a query when evaluated, or ``None``."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            return None
        name = func.attr
        model = self.django_model(call)
        if model is not None:
            if name in DJANGO_TERMINAL:
                hint = _django_batch_hint(name, call)
                return self._query(call, DJANGO, depends, hint)
            return None
        if name in SESSION_CALLS and is_session(func.value):
            hint = "`.in_()` or `session.scalars(select(...).where(Model.id.in_(ids)))`"
            return self._query(call, SQLALCHEMY, depends, hint if name == "get" else None)
        if name in QUERY_TERMINAL and self._is_orm_query(func.value):
            return self._query(call, SQLALCHEMY, depends)
        if name in DBAPI_CALLS and is_cursor(func.value):
            hint = "one query with `= ANY(%s)` or `executemany()`"
            return self._query(call, RAW_SQL, depends, hint)
        return None

    def _is_orm_query(self, node: ast.AST) -> bool:
        """``session.query(...)...`` or Flask-SQLAlchemy's ``Model.query...``."""
        links = chain(node)
        if (
            len(links) > 1
            and isinstance(links[0], ast.Name)
            and links[0].id[:1].isupper()
            and isinstance(links[1], ast.Attribute)
            and links[1].attr == "query"
        ):
            return True
        return any(
            isinstance(link, ast.Call)
            and isinstance(link.func, ast.Attribute)
            and link.func.attr == "query"
            and is_session(link.func.value)
            for link in links
        )

    def _query(
        self, call: ast.Call, framework: str, depends: bool, hint: str | None = None
    ) -> QueryCall:
        return QueryCall(self.describe(call), self.source.span(call), framework, depends, hint)

    def describe(self, call: ast.Call) -> str:
        """``Customer.objects.get()``: the call chain with arguments elided."""
        parts: list[str] = []
        for link in chain(call):
            if isinstance(link, ast.Name):
                parts.append(link.id)
            elif isinstance(link, ast.Attribute):
                parts.append("." + link.attr)
            elif isinstance(link, ast.Call):
                parts.append("()")
            elif isinstance(link, ast.Subscript):
                parts.append("[...]")
        text = "".join(parts)
        return text if len(text) <= 60 else text[-60:]

    # --- loop sources ----------------------------------------------------------------------

    def loop_source(self, node: ast.AST, insert_node: ast.AST | None = None) -> QuerySource | None:
        """The ORM query ``node`` evaluates to, when it is one."""
        django = self.django_model(node)
        if django is not None:
            return self._django_source(node, django, insert_node or node)
        return self._sqlalchemy_source(node)

    def _django_source(self, node: ast.AST, model: str, insert_node: ast.AST) -> QuerySource:
        eager: list[str] = []
        select_all = values = iterator = restricted = False
        for name, call in method_calls(node):
            restricted = restricted or name in ("only", "defer")
            if name == "select_related":
                paths = [_path(literal(a)) for a in call.args]
                eager.extend(p for p in paths if p)
                select_all = select_all or not call.args
            elif name == "prefetch_related":
                for argument in call.args:
                    lookup = (
                        argument.args[0]
                        if isinstance(argument, ast.Call) and argument.args
                        else argument
                    )
                    path = _path(literal(lookup))
                    if path:
                        eager.append(path)
            elif name in ("values", "values_list"):
                values = True
            elif name == "iterator":
                iterator = not any(k.arg == "chunk_size" for k in call.keywords)
        return QuerySource(
            DJANGO,
            model,
            tuple(_with_prefixes(eager)),
            select_all,
            values,
            iterator,
            insert_at=self._django_insert_at(insert_node),
            bounded=_bounded(node),
            query_span=self.source.span(insert_node),
            restricted=restricted,
        )

    def _django_insert_at(self, node: ast.AST) -> int | None:
        """Where ``.select_related(...)`` goes: after the last queryset call, before a slice
        or ``.iterator()``."""
        current = node
        while True:
            if isinstance(current, ast.Subscript):
                current = current.value
            elif (
                isinstance(current, ast.Call)
                and isinstance(current.func, ast.Attribute)
                and current.func.attr == "iterator"
            ):
                current = current.func.value
            else:
                break
        if not isinstance(current, (ast.Call, ast.Attribute, ast.Name)):
            return None
        return self.source.span(current).end

    def _sqlalchemy_source(self, node: ast.AST) -> QuerySource | None:
        statement = self._select_of(node)
        if statement is None:
            return None
        root, model_node, options_owner = statement
        if model_node is None:
            return QuerySource(SQLALCHEMY, "", rows_are_values=True)
        model = self.imports.qualify(model_node) or ast.unparse(model_node)
        eager: list[str] = []
        restricted = False
        for name, call in method_calls(options_owner):
            if name == "options":
                for argument in call.args:
                    eager.extend(self._loader_paths(argument))
                    restricted = restricted or self._loads_columns(argument)
        loaders = tuple(
            (loader, local)
            for loader in ("selectinload", "joinedload", "load_only")
            if (local := self.imports.local_name(f"{_SQLA_ORM}.{loader}"))
        )
        return QuerySource(
            SQLALCHEMY,
            model,
            tuple(_with_prefixes(eager)),
            insert_at=self.source.span(root).end,
            bounded=_bounded(node),
            query_span=self.source.span(node),
            import_at=self._import_at(),
            loader_names=loaders,
            restricted=restricted,
        )

    def _loads_columns(self, option: ast.AST) -> bool:
        """True for an option that picks the columns loaded (``load_only``, ``defer``...)."""
        for link in chain(option):
            if isinstance(link, ast.Call):
                func = link.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in _COLUMN_OPTIONS:
                    return True
        return False

    def _select_of(self, node: ast.AST) -> tuple[ast.AST, ast.AST | None, ast.AST] | None:
        """(the ``select(...)``/``query(...)`` call, its entity or ``None`` for column
        selects, the chain whose ``.options()`` apply)."""
        for link in chain(node):
            if not isinstance(link, ast.Call):
                continue
            name = self.imports.qualify(link.func) or ""
            is_select = name in (
                "sqlalchemy.select",
                "sqlalchemy.future.select",
                "sqlalchemy.sql.select",
            )
            is_query = (
                isinstance(link.func, ast.Attribute)
                and link.func.attr == "query"
                and is_session(link.func.value)
            )
            if is_select or is_query:
                entity = link.args[0] if len(link.args) == 1 else None
                if isinstance(entity, ast.Attribute):
                    entity = None  # a column: rows are values
                return link, entity, node
            if (
                isinstance(link.func, ast.Attribute)
                and link.func.attr
                in (
                    "execute",
                    "scalars",
                    "scalar",
                )
                and link.args
            ):
                inner = self._select_of(link.args[0])
                if inner is not None:
                    root, entity, owner = inner
                    return root, entity, owner
        links = chain(node)
        if len(links) > 1 and isinstance(links[1], ast.Attribute) and links[1].attr == "query":
            model = links[0]
            if isinstance(model, ast.Name) and model.id[:1].isupper():
                return links[1], model, node
        return None

    def _loader_paths(self, node: ast.AST) -> list[str]:
        """Eager paths of one loader option: ``selectinload(A.b).joinedload(B.c)`` ->
        ``["b", "b.c"]``; ``defaultload(A.b).selectinload(B.c)`` -> ``["b.c"]``."""
        paths: list[str] = []
        prefix: list[str] = []
        for link in chain(node):
            if not isinstance(link, ast.Call):
                continue
            loader = link.func.attr if isinstance(link.func, ast.Attribute) else ""
            if isinstance(link.func, ast.Name):
                loader = (self.imports.qualify(link.func) or link.func.id).rsplit(".", 1)[-1]
            steps = [_attr_name(argument) for argument in link.args]
            steps = [step for step in steps if step]
            prefix.extend(steps)
            if (loader in _EAGER_LOADERS or loader in _NO_QUERY_LOADERS) and prefix:
                paths.append(".".join(prefix))
        return paths

    def _import_at(self) -> int:
        last = None
        for statement in self.source.tree.body:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                last = statement
            elif last is not None or not (
                isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            ):
                break
        if last is None:
            return 0
        end = self.source.span(last).end
        newline = self.source.text.find("\n", end)
        return len(self.source.text) if newline == -1 else newline + 1


_BOUNDING_METHODS = {"limit", "first", "one", "one_or_none", "get", "iterator", "yield_per", "last"}
_KEY_FILTERS = {"pk", "id", "pk__in", "id__in"}


def _bounded(node: ast.AST) -> bool:
    """True when a query chain is sliced, limited, streamed or filtered on a key."""
    for link in chain(node):
        if isinstance(link, ast.Subscript) and isinstance(link.slice, ast.Slice):
            return True
        if isinstance(link, ast.Call) and isinstance(link.func, ast.Attribute):
            name = link.func.attr
            if name in _BOUNDING_METHODS:
                return True
            if name in ("filter", "filter_by") and any(
                k.arg in _KEY_FILTERS for k in link.keywords
            ):
                return True
            if name in ("where", "filter") and any(_is_key_comparison(a) for a in link.args):
                return True
            if name in ("execute", "scalars", "scalar") and link.args and _bounded(link.args[0]):
                return True
    return False


def _is_key_comparison(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Compare)
        and isinstance(node.left, ast.Attribute)
        and node.left.attr == "id"
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.Eq)
    )


def _attr_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    value = literal(node)
    return value if isinstance(value, str) else None


def _path(value: object) -> str | None:
    return value.replace("__", ".") if isinstance(value, str) and value else None


def _with_prefixes(paths: list[str]) -> list[str]:
    """``a.b`` eager-loads ``a`` too."""
    result: list[str] = []
    for path in paths:
        parts = path.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            if prefix not in result:
                result.append(prefix)
    return result


def _django_batch_hint(name: str, call: ast.Call) -> str | None:
    if name == "get" and any(
        k.arg in ("pk", "id") or (k.arg or "").endswith("_id") for k in call.keywords
    ):
        return "`in_bulk(ids)` or `filter(pk__in=ids)` once before the loop"
    return None
