"""The workspace's read queries as SQL, for index advice.

Three sources, each query located in its document:

- top-level ``SELECT`` statements of ``.sql`` files (not view definitions);
- ``SELECT`` statements embedded in Python (``cursor.execute``, ``text()``...), recovered from
  the string literal exactly as the driver receives it;
- ORM queries whose SQL is known statically (:mod:`dbsense.analyzers.python.orm_queries`),
  rendered the way Django and SQLAlchemy write them, against the catalog: the model's table and
  columns, Django's ``Meta.ordering``, foreign keys as their ``_id`` column.

Driver placeholders become ``$n`` parameters so every query can be planned generically.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass

from dbsense.analyzers.catalog import Catalog, Table
from dbsense.analyzers.ir import (
    DJANGO,
    RAW_SQL,
    Fact,
    ModelFact,
    QualifiedName,
    QueryFact,
    Span,
    is_python,
)
from dbsense.analyzers.python.orm_queries import (
    ORDER_DEFAULT,
    ORDER_FIRST,
    ORDER_PK,
    DjangoModelOptions,
    OrmQuery,
    django_model_options,
    orm_queries,
)
from dbsense.analyzers.python.source import PythonSource
from dbsense.analyzers.python.strings import string_map

_ORM_HINT = re.compile(r"\.objects\b|\bselect\(|\.query\(")
_PLACEHOLDER = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|::|%\((?P<named>\w+)\)s|%s|(?<![:\w]):(?P<colon>[A-Za-z_]\w*)"""
)


@dataclass(frozen=True, slots=True)
class WorkspaceQuery:
    """A read query of the workspace: its SQL (``$n`` parameters) and where it is written."""

    sql: str
    path: str
    span: Span
    line: int
    origin: str  # sql-file | raw-sql | django | sqlalchemy

    @property
    def source(self) -> str:
        return f"{self.path}:{self.line}"


def normalise(sql: str) -> str:
    """Driver placeholders (``%s``, ``%(name)s``, ``:name``) become ``$n``."""
    names: dict[str, int] = {}

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith(("'", '"')) or text == "::":
            return text
        key = match.group("named") or match.group("colon")
        if key is None:
            key = f"#{len(names)}"
        names.setdefault(key, len(names) + 1)
        return f"${names[key]}"

    return _PLACEHOLDER.sub(replace, sql.strip().rstrip(";").strip())


def workspace_queries(
    texts: Mapping[str, str], facts: Mapping[str, tuple[Fact, ...]], catalog: Catalog | None = None
) -> list[WorkspaceQuery]:
    """Every read query of the workspace that can be planned, in path order. ORM queries need
    the ``catalog`` (without it only SQL is returned)."""
    found: list[WorkspaceQuery] = []
    for path in sorted(facts):
        text = texts.get(path, "")
        if path.endswith(".sql"):
            for fact in _selects(facts[path], None):
                sql = normalise(text[fact.span.start : fact.span.end])
                found.append(_query(sql, path, fact.span, text, fact.origin))
        elif is_python(path):
            found.extend(_embedded(path, text, facts[path]))
            if catalog is not None and _ORM_HINT.search(text):
                renderer = _Renderer(catalog, texts)
                for orm in orm_queries(path, text):
                    sql = renderer.render(orm)
                    if sql is not None:
                        found.append(_query(sql, path, orm.span, text, orm.framework))
    return found


def _selects(facts: tuple[Fact, ...], origin: str | None) -> list[QueryFact]:
    return [
        fact
        for fact in facts
        if isinstance(fact, QueryFact)
        and fact.kind == "SELECT"
        and fact.view is None
        and (origin is None or fact.origin == origin)
    ]


def _query(sql: str, path: str, span: Span, text: str, origin: str) -> WorkspaceQuery:
    return WorkspaceQuery(sql, path, span, text.count("\n", 0, span.start) + 1, origin)


def _embedded(path: str, text: str, facts: tuple[Fact, ...]) -> list[WorkspaceQuery]:
    """SELECTs embedded in Python string literals, with the SQL the driver receives."""
    selects = _selects(facts, RAW_SQL)
    if not selects:
        return []
    try:
        source = PythonSource.parse(path, text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    literals = [
        (source.span(node), node.value)
        for node in ast.walk(source.tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    found = []
    for fact in selects:
        for span, value in literals:
            if not (span.start <= fact.span.start and fact.span.end <= span.end):
                continue
            mapping = string_map(text, span.start, span.end, value)
            if mapping is None:
                break
            pieces = zip(mapping.value, mapping.starts, mapping.ends, strict=True)
            sql = "".join(
                char
                for char, start, end in pieces
                if fact.span.start <= start and end <= fact.span.end
            )
            found.append(_query(normalise(sql), path, fact.span, text, RAW_SQL))
            break
    return found


# --- ORM queries as SQL -----------------------------------------------------------------------


def quote(name: str) -> str:
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def _table_sql(name: QualifiedName) -> str:
    schema = name.schema or "public"
    return quote(name.name) if schema == "public" else f"{quote(schema)}.{quote(name.name)}"


class _Renderer:
    """Writes an :class:`OrmQuery` as the SQL its ORM sends, or gives up (``None``)."""

    def __init__(self, catalog: Catalog, texts: Mapping[str, str]) -> None:
        self.catalog = catalog
        self.texts = texts
        self._options: dict[str, DjangoModelOptions | None] = {}

    def render(self, query: OrmQuery) -> str | None:
        located = self.catalog.python.model(query.model)
        if located is None or not isinstance(located.fact, ModelFact):
            return None
        model = located.fact
        table = self.catalog.table(model.table) if model.table is not None else None
        if table is None or model.abstract or self._inherits(model):
            return None
        options = None
        if query.framework == DJANGO:
            options = self._django_options(located.path, model)
            if options is None or not options.plain_manager:
                return None
        columns = self._select_list(query, model, table)
        where = self._where(query, model, table)
        order = self._order(query, model, table, options)
        if columns is None or where is None or order is None:
            return None
        sql = f"SELECT {columns} FROM {_table_sql(table.name)}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if order:
            sql += " ORDER BY " + ", ".join(order)
        if query.limit is not None:
            sql += f" LIMIT {query.limit}"
        elif query.limit_parameter:
            sql += f" LIMIT ${sum('$' in condition for condition in where) + 1}"
        if query.offset is not None:
            sql += f" OFFSET {query.offset}"
        return sql

    def _inherits(self, model: ModelFact) -> bool:
        """True when a base class is another model (inheritance joins or filters the table)."""
        module = model.qualified.rsplit(".", 1)[0]
        for base in model.bases:
            parent = self.catalog.python.model(f"{module}.{base}") or self.catalog.python.model(
                base
            )
            if parent is not None and parent.fact is not model:
                fact = parent.fact
                if not (isinstance(fact, ModelFact) and fact.abstract):
                    return True
        return False

    def _django_options(self, path: str, model: ModelFact) -> DjangoModelOptions | None:
        key = f"{path}:{model.qualified}"
        if key not in self._options:
            text = self.texts.get(path)
            name = model.qualified.rsplit(".", 1)[-1]
            self._options[key] = django_model_options(path, text, name) if text else None
        return self._options[key]

    def _model_columns(self, table: Table) -> list[str]:
        declared = [name for name in table.columns if name in table.declared]
        return declared or list(table.columns)

    def _select_list(self, query: OrmQuery, model: ModelFact, table: Table) -> str | None:
        if query.shape == "count":
            return 'COUNT(*) AS "__count"'
        if query.shape == "exists":
            return '1 AS "a"'  # Django 5 sends the 1 as a parameter: the same plan
        if query.shape == "values" and query.fields:
            columns = [self._column(query, model, table, name) for name in query.fields]
            if None in columns:
                return None
            return ", ".join(quote(column) for column in columns)  # type: ignore[arg-type]
        return ", ".join(quote(column) for column in self._model_columns(table))

    def _where(self, query: OrmQuery, model: ModelFact, table: Table) -> list[str] | None:
        parts = []
        parameter = 0
        for condition in query.conditions:
            column = self._column(query, model, table, condition.field)
            if column is None:
                return None
            if condition.operator.startswith("IS "):
                parts.append(f"{quote(column)} {condition.operator}")
            else:
                parameter += 1
                parts.append(f"{quote(column)} {condition.operator} ${parameter}")
        return parts

    def _order(
        self, query: OrmQuery, model: ModelFact, table: Table, options: DjangoModelOptions | None
    ) -> list[str] | None:
        keys: tuple[tuple[str, bool], ...] | None = query.order_by
        if query.ordering in (ORDER_DEFAULT, ORDER_FIRST):
            keys = options.ordering if options is not None else None
            if keys is None:
                return None
        if query.ordering == ORDER_PK or (query.ordering == ORDER_FIRST and not keys):
            keys = (("pk", False),)
        order = []
        for field, descending in keys:
            column = self._column(query, model, table, field, relations=False)
            if column is None:
                return None
            ascending = " ASC" if query.framework == DJANGO else ""  # as each ORM writes it
            order.append(f"{quote(column)}{' DESC' if descending else ascending}")
        return order

    def _column(
        self, query: OrmQuery, model: ModelFact, table: Table, field: str, relations: bool = True
    ) -> str | None:
        """The column ``field`` names, when it is one of the table's own columns."""
        parts = field.split("__")
        if parts[0] == "pk" and query.framework == DJANGO:
            primary = table.primary_key
            keys = primary.columns if primary is not None else ()
            column = keys[0] if len(keys) == 1 else None
            return column if len(parts) == 1 else None
        if query.framework != DJANGO:
            name = parts[0]
            known = name in table.columns and (not table.declared or name in table.declared)
            return name if len(parts) == 1 and known else None
        name = parts[0]
        forward = {r.attr for r in model.relations if r.kind in ("forward", "one-to-one")}
        attname = len(parts) == 1 and name.endswith("_id") and name[:-3] in forward
        if name in forward or attname:
            if name in forward and not relations:
                return None  # ordering by a relation follows the related model's ordering
            column = name if attname else f"{name}_id"
            foreign_key = next(
                (fk for fk in table.foreign_keys if fk.definition.columns == (column,)), None
            )
            if foreign_key is None:
                return None
            if len(parts) == 2:  # ``account__id``: the referenced key, read from the FK itself
                target = foreign_key.target
                primary = target.primary_key if target is not None else None
                if primary is None or tuple(primary.columns) != foreign_key.definition.ref_columns:
                    return None
            return column
        if any(relation.attr == name for relation in model.relations):
            return None  # many-to-many: a join
        primary = table.primary_key
        field_names = {*model.fields, *(primary.columns if primary is not None else ())}
        if len(parts) != 1 or parts[0] not in field_names or parts[0] not in table.columns:
            return None
        return parts[0]
