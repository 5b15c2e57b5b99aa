"""SQLAlchemy declarative models (1.4 ``Column`` style, 2.0 ``Mapped[]``/``mapped_column``) and
Core ``Table(...)`` objects -> table, column, constraint and index facts plus model facts.

Types come out in Postgres spelling as SQLAlchemy renders them: ``DateTime()`` is
``timestamp without time zone``, an autoincrementing ``Integer`` primary key is ``serial``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from dbsense.analyzers.ir import (
    SQLALCHEMY,
    ColumnDef,
    ConstraintDef,
    CreateIndexFact,
    CreateTableFact,
    Fact,
    ForeignKeyDef,
    FrameworkFixFact,
    IndexKey,
    ModelFact,
    QualifiedName,
    RelationDef,
    Span,
    TypeRef,
)
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.source import PythonSource, keyword, literal

# SQLAlchemy type class -> (Postgres type, positional/keyword argument names kept as type args)
TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Integer": ("integer", ()),
    "INTEGER": ("integer", ()),
    "INT": ("integer", ()),
    "BigInteger": ("bigint", ()),
    "BIGINT": ("bigint", ()),
    "SmallInteger": ("smallint", ()),
    "SMALLINT": ("smallint", ()),
    "String": ("character varying", ("length",)),
    "VARCHAR": ("character varying", ("length",)),
    "Unicode": ("character varying", ("length",)),
    "CHAR": ("character", ("length",)),
    "Text": ("text", ()),
    "TEXT": ("text", ()),
    "UnicodeText": ("text", ()),
    "Boolean": ("boolean", ()),
    "BOOLEAN": ("boolean", ()),
    "Date": ("date", ()),
    "DATE": ("date", ()),
    "Time": ("time without time zone", ()),
    "Interval": ("interval", ()),
    "INTERVAL": ("interval", ()),
    "Numeric": ("numeric", ("precision", "scale")),
    "NUMERIC": ("numeric", ("precision", "scale")),
    "DECIMAL": ("numeric", ("precision", "scale")),
    "Float": ("double precision", ()),
    "Double": ("double precision", ()),
    "REAL": ("real", ()),
    "LargeBinary": ("bytea", ()),
    "BYTEA": ("bytea", ()),
    "JSON": ("json", ()),
    "JSONB": ("jsonb", ()),
    "UUID": ("uuid", ()),
    "Uuid": ("uuid", ()),
    "INET": ("inet", ()),
    "CIDR": ("cidr", ()),
    "HSTORE": ("hstore", ()),
    "TSVECTOR": ("tsvector", ()),
}
_DATETIMES = {"DateTime", "DATETIME", "TIMESTAMP"}
_ANNOTATION_TYPES = {
    "int": "integer",
    "str": "character varying",
    "bool": "boolean",
    "float": "double precision",
    "Decimal": "numeric",
    "datetime": "timestamp without time zone",
    "date": "date",
    "time": "time without time zone",
    "timedelta": "interval",
    "UUID": "uuid",
    "bytes": "bytea",
}
_SERIAL = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}
_EAGER_LAZY = ("joined", "selectin", "subquery", "immediate", "raise", "raise_on_sql", "noload")


@dataclass(slots=True)
class _Table:
    table: QualifiedName
    name_span: Span
    span: Span
    columns: list[ColumnDef] = field(default_factory=list)
    constraints: list[ConstraintDef] = field(default_factory=list)
    indexes: list[CreateIndexFact] = field(default_factory=list)
    fixes: list[FrameworkFixFact] = field(default_factory=list)


def is_sqlalchemy(imports: ImportMap, node: ast.AST | None, *names: str) -> bool:
    """True when ``node`` names one of ``names`` from ``sqlalchemy`` (any submodule)."""
    qualified = imports.qualify(node) or ""
    return qualified.startswith("sqlalchemy") and qualified.rsplit(".", 1)[-1] in names


class SqlAlchemyModels:
    """Declarative classes and ``Table`` objects of one module."""

    def __init__(self, source: PythonSource, imports: ImportMap, module: str) -> None:
        self.source = source
        self.imports = imports
        self.module = module
        self.tables_by_class: dict[str, QualifiedName] = {}

    def facts(self) -> Iterator[Fact]:
        if not self.imports.imports_from("sqlalchemy"):
            return
        for node in self.source.tree.body:
            if isinstance(node, ast.ClassDef):
                name = _class_attr(node, "__tablename__")
                if isinstance(name, str):
                    self.tables_by_class[node.name] = QualifiedName(name)
        for node in self.source.tree.body:
            if isinstance(node, ast.ClassDef) and node.name in self.tables_by_class:
                yield from self._model(node)
            elif (
                isinstance(node, (ast.Assign, ast.AnnAssign))
                and isinstance(node.value, ast.Call)
                and is_sqlalchemy(self.imports, node.value.func, "Table")
            ):
                yield from self._core_table(node.value, node)

    # --- declarative -----------------------------------------------------------------------

    def _model(self, node: ast.ClassDef) -> Iterator[Fact]:
        table_args = _class_value(node, "__table_args__")
        schema = _schema(table_args)
        table = QualifiedName(self.tables_by_class[node.name].name, schema)
        name_span = self._name_span(node)
        model = _Table(table, name_span, self.source.span(node))
        relations: list[RelationDef] = []
        fields: list[str] = []
        attributes: list[tuple[str, str]] = []
        deferred: list[str] = []
        for item in node.body:
            target, annotation, value = _assignment(item)
            if target is None:
                continue
            if isinstance(value, ast.Call) and is_sqlalchemy(
                self.imports, value.func, "relationship", "relation"
            ):
                relations.append(self._relationship(target, annotation, value))
                continue
            if isinstance(value, ast.Call) and (
                is_sqlalchemy(self.imports, value.func, "deferred", "query_expression")
                or literal(keyword(value, "deferred")) is True
            ):
                deferred.append(target.id)
                if not is_sqlalchemy(self.imports, value.func, "mapped_column", "Column"):
                    continue
            if value is None and not _is_mapped(annotation):
                continue
            if isinstance(value, ast.Call) and not is_sqlalchemy(
                self.imports, value.func, "Column", "mapped_column"
            ):
                continue
            if value is not None and not isinstance(value, ast.Call):
                continue
            column = self._column(target, annotation, value, self.source.span(item))
            if column is not None:
                fields.append(target.id)
                attributes.append((target.id, column.name))
                model.columns.append(column)
                self._column_index(model, column, value)
        self._apply_serial(model)
        self._table_args(model, table_args)
        yield ModelFact(
            name_span,
            SQLALCHEMY,
            f"{self.module}.{node.name}",
            table,
            tuple(fields),
            tuple(relations),
            tuple(ast.unparse(base) for base in node.bases),
            columns=tuple(attributes),
            deferred=tuple(deferred),
        )
        yield from self._emit(model)

    def _relationship(
        self, target: ast.Name, annotation: ast.expr | None, call: ast.Call
    ) -> RelationDef:
        argument = call.args[0] if call.args else keyword(call, "argument")
        related = literal(argument)
        if isinstance(related, str):
            related_name = related
        elif argument is not None:
            related_name = ast.unparse(argument)
        else:
            related_name = _annotation_class(annotation) or "unknown"
        qualified = (
            self.imports.qualify(ast.Name(related_name)) if related_name.isidentifier() else None
        )
        many = _annotation_is_collection(annotation)
        uselist = literal(keyword(call, "uselist"))
        if isinstance(uselist, bool):
            many = uselist
        lazy = literal(keyword(call, "lazy"))
        backref = keyword(call, "backref")
        reverse = literal(backref)
        if isinstance(backref, ast.Call) and backref.args:
            reverse = literal(backref.args[0])
        return RelationDef(
            target.id,
            "relationship",
            qualified or f"{self.module}.{related_name}",
            many,
            lazy if isinstance(lazy, str) else ("select" if lazy is not False else "noload"),
            self.source.span(target),
            reverse if isinstance(reverse, str) else None,
        )

    def _column(
        self, target: ast.Name, annotation: ast.expr | None, call: ast.Call | None, span: Span
    ) -> ColumnDef | None:
        args = list(call.args) if call is not None else []
        name = target.id
        if args and isinstance(literal(args[0]), str):
            name = str(literal(args.pop(0)))
        type_node = next((a for a in args if not self._is_schema_item(a)), None)
        type_ = self._type(type_node) if type_node is not None else None
        if type_ is None:
            type_ = self._annotation_type(annotation)
        foreign = next(
            (
                a
                for a in args
                if isinstance(a, ast.Call) and is_sqlalchemy(self.imports, a.func, "ForeignKey")
            ),
            None,
        )
        primary = call is not None and literal(keyword(call, "primary_key")) is True
        nullable_value = literal(keyword(call, "nullable")) if call is not None else NotImplemented
        if isinstance(nullable_value, bool):
            nullable = nullable_value
        elif annotation is not None and _is_mapped(annotation):
            nullable = _annotation_optional(annotation)
        else:
            nullable = True
        identity = any(
            isinstance(a, ast.Call) and is_sqlalchemy(self.imports, a.func, "Identity")
            for a in args
        )
        unique = call is not None and literal(keyword(call, "unique")) is True
        server_default = keyword(call, "server_default") if call is not None else None
        return ColumnDef(
            name,
            self.source.span(target),
            type_,
            span,
            nullable=nullable and not primary,
            default=_server_default(server_default),
            primary_key=primary,
            unique=unique and not primary,
            identity=identity,
            references=self._foreign_key(name, foreign) if foreign is not None else None,
        )

    def _is_schema_item(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Call) and is_sqlalchemy(
            self.imports,
            node.func,
            "ForeignKey",
            "Identity",
            "Sequence",
            "Computed",
            "CheckConstraint",
        )

    def _type(self, node: ast.AST) -> TypeRef | None:
        call = node if isinstance(node, ast.Call) else None
        func = call.func if call is not None else node
        qualified = self.imports.qualify(func) or ""
        if not qualified.startswith("sqlalchemy"):
            return None
        kind = qualified.rsplit(".", 1)[-1]
        span = self.source.span(node)
        raw = self.source.segment(node)
        if kind == "ARRAY" and call is not None and call.args:
            inner = self._type(call.args[0])
            return TypeRef(inner.name, raw, span, inner.args, array=True) if inner else None
        if kind in _DATETIMES:
            timezone = call is not None and literal(keyword(call, "timezone")) is True
            zone = "with" if timezone else "without"
            return TypeRef(f"timestamp {zone} time zone", raw, span)
        if kind in ("Enum", "ENUM"):
            enum_name = literal(keyword(call, "name")) if call is not None else None
            return TypeRef(enum_name if isinstance(enum_name, str) else "enum", raw, span)
        entry = TYPES.get(kind)
        if entry is None:
            return None
        type_name, arg_names = entry
        args: list[str] = []
        if call is not None:
            for index, arg_name in enumerate(arg_names):
                value = literal(call.args[index]) if index < len(call.args) else NotImplemented
                if value is NotImplemented:
                    value = literal(keyword(call, arg_name))
                if isinstance(value, int) and not isinstance(value, bool):
                    args.append(str(value))
        return TypeRef(type_name, raw, span, tuple(args))

    def _annotation_type(self, annotation: ast.expr | None) -> TypeRef | None:
        inner = _mapped_inner(annotation)
        if inner is None:
            return None
        name = _strip_optional(inner)
        if name is None:
            return None
        type_name = _ANNOTATION_TYPES.get(name.rsplit(".", 1)[-1])
        if type_name is None:
            return None
        return TypeRef(type_name, self.source.segment(inner), self.source.span(inner))

    def _foreign_key(self, column: str, call: ast.Call) -> ForeignKeyDef | None:
        target = literal(call.args[0]) if call.args else literal(keyword(call, "column"))
        if isinstance(target, str) and "." in target:
            table, ref_column = target.rsplit(".", 1)
            schema, _, table_name = table.rpartition(".")
            ref = QualifiedName(table_name, schema or None)
        elif call.args and isinstance(call.args[0], ast.Attribute):
            attribute = call.args[0]
            owner = ast.unparse(attribute.value).rsplit(".", 1)[-1]
            owner_table = self.tables_by_class.get(owner)
            if owner_table is None:
                return None
            ref, ref_column = owner_table, attribute.attr
        else:
            return None
        on_delete = literal(keyword(call, "ondelete"))
        return ForeignKeyDef(
            (column,),
            ref,
            (ref_column,),
            on_delete=on_delete if isinstance(on_delete, str) else None,
        )

    def _column_index(self, model: _Table, column: ColumnDef, call: ast.Call | None) -> None:
        if call is not None and literal(keyword(call, "index")) is True:
            model.indexes.append(
                self._index(model, None, (column.name,), column.span, unique=column.unique)
            )
        elif column.references is not None and self.source.text[column.span.end - 1] == ")":
            at = column.span.end - 1
            body = self.source.text[column.span.start : at].rstrip()
            text = " index=True" if body.endswith((",", "(")) else ", index=True"
            model.fixes.append(
                FrameworkFixFact(
                    column.span, SQLALCHEMY, "fk-index", "Add `index=True`", ((Span(at, at), text),)
                )
            )

    def _apply_serial(self, model: _Table) -> None:
        """A lone integer primary key without ``Identity()`` or a foreign key renders as
        ``SERIAL`` (SQLAlchemy's ``autoincrement="auto"``)."""
        keys = [c for c in model.columns if c.primary_key]
        if len(keys) != 1:
            return
        key = keys[0]
        if key.identity or key.references is not None or key.type is None:
            return
        serial = _SERIAL.get(key.type.name)
        if serial is None or key.type.array:
            return
        index = model.columns.index(key)
        type_ = TypeRef(serial, key.type.raw, key.type.span, key.type.args)
        model.columns[index] = ColumnDef(
            key.name, key.name_span, type_, key.span, False, key.default, True, identity=False
        )

    def _table_args(self, model: _Table, node: ast.expr | None) -> None:
        elements = node.elts if isinstance(node, (ast.Tuple, ast.List)) else []
        for element in elements:
            if isinstance(element, ast.Call):
                self._schema_item(model, element)

    def _schema_item(self, model: _Table, call: ast.Call) -> None:
        span = self.source.span(call)
        name = literal(keyword(call, "name"))
        name = name if isinstance(name, str) else None
        if is_sqlalchemy(self.imports, call.func, "Index"):
            index_name = literal(call.args[0]) if call.args else None
            columns = tuple(self._column_ref(a) for a in call.args[1:])
            unique = literal(keyword(call, "unique")) is True
            using = literal(keyword(call, "postgresql_using"))
            where = keyword(call, "postgresql_where")
            index = self._index(
                model,
                index_name if isinstance(index_name, str) else None,
                tuple(c for c in columns if c),
                span,
                unique,
                using if isinstance(using, str) else "btree",
                ast.unparse(where) if where is not None else None,
            )
            ops = literal(keyword(call, "postgresql_ops"))
            if isinstance(ops, dict):  # {"name": "gin_trgm_ops"}
                opclasses = {c: o for c, o in ops.items() if isinstance(o, str)}
                keys = tuple(replace(k, opclass=opclasses.get(k.column)) for k in index.keys)
                index = replace(index, keys=keys)
            model.indexes.append(index)
        elif is_sqlalchemy(self.imports, call.func, "UniqueConstraint", "PrimaryKeyConstraint"):
            columns = tuple(c for c in (self._column_ref(a) for a in call.args) if c)
            kind = "unique" if call.func and "Unique" in ast.unparse(call.func) else "primary-key"
            model.constraints.append(ConstraintDef(kind, span, name, columns))
        elif is_sqlalchemy(self.imports, call.func, "CheckConstraint"):
            expression = literal(call.args[0]) if call.args else None
            model.constraints.append(
                ConstraintDef(
                    "check",
                    span,
                    name,
                    (),
                    expression=expression if isinstance(expression, str) else None,
                )
            )
        elif is_sqlalchemy(self.imports, call.func, "ForeignKeyConstraint") and len(call.args) >= 2:
            columns = literal(call.args[0])
            targets = literal(call.args[1])
            if (
                isinstance(columns, (list, tuple))
                and isinstance(targets, (list, tuple))
                and targets
            ):
                table, _, _ = str(targets[0]).rpartition(".")
                schema, _, table_name = table.rpartition(".")
                fk = ForeignKeyDef(
                    tuple(str(c) for c in columns),
                    QualifiedName(table_name, schema or None),
                    tuple(str(t).rsplit(".", 1)[-1] for t in targets),
                    name,
                )
                model.constraints.append(ConstraintDef("foreign-key", span, name, fk.columns, fk))

    def _column_ref(self, node: ast.AST) -> str | None:
        value = literal(node)
        if isinstance(value, str):
            return value
        if isinstance(node, ast.Attribute):
            return node.attr
        return None

    def _index(
        self,
        model: _Table,
        name: str | None,
        columns: tuple[str, ...],
        span: Span,
        unique: bool = False,
        method: str = "btree",
        where: str | None = None,
    ) -> CreateIndexFact:
        return CreateIndexFact(
            span=span,
            origin=SQLALCHEMY,
            name=name,
            table=model.table,
            table_span=span,
            keys=tuple(IndexKey(column, column, label=column) for column in columns),
            unique=unique,
            method=method,
            where=where,
            table_created_in_unit=True,
        )

    # --- Core Table ------------------------------------------------------------------------

    def _core_table(self, call: ast.Call, statement: ast.AST) -> Iterator[Fact]:
        name = literal(call.args[0]) if call.args else None
        if not isinstance(name, str):
            return
        schema = literal(keyword(call, "schema"))
        table = QualifiedName(name, schema if isinstance(schema, str) else None)
        model = _Table(table, self.source.span(call.args[0]), self.source.span(statement))
        for argument in call.args[2:]:
            if not isinstance(argument, ast.Call):
                continue
            if is_sqlalchemy(self.imports, argument.func, "Column") and argument.args:
                column_name = literal(argument.args[0])
                if not isinstance(column_name, str):
                    continue
                target = ast.Name(column_name)
                ast.copy_location(target, argument.args[0])
                target.end_lineno = argument.args[0].end_lineno
                target.end_col_offset = argument.args[0].end_col_offset
                column = self._column(target, None, argument, self.source.span(argument))
                if column is not None:
                    model.columns.append(column)
                    self._column_index(model, column, argument)
            else:
                self._schema_item(model, argument)
        self._apply_serial(model)
        yield from self._emit(model)

    def _emit(self, model: _Table) -> Iterator[Fact]:
        yield CreateTableFact(
            span=model.span,
            origin=SQLALCHEMY,
            table=model.table,
            name_span=model.name_span,
            columns=tuple(model.columns),
            constraints=tuple(model.constraints),
        )
        yield from model.indexes
        yield from model.fixes

    def _name_span(self, node: ast.ClassDef) -> Span:
        start = self.source.offset(node.lineno, node.col_offset)
        at = self.source.text.find(node.name, start)
        return Span(at, at + len(node.name)) if at >= 0 else Span(start, start)


def _server_default(node: ast.expr | None) -> str | None:
    """SQL of a ``server_default``: a string is a literal, ``text("now()")`` is raw SQL."""
    if node is None:
        return None
    value = literal(node)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(node, ast.Call) and node.args and isinstance(literal(node.args[0]), str):
        return str(literal(node.args[0]))
    return ast.unparse(node)


def eager_lazy(lazy: str) -> bool:
    """True when a relationship's ``lazy`` strategy never loads per row on access."""
    return lazy in _EAGER_LAZY


def _assignment(item: ast.stmt) -> tuple[ast.Name | None, ast.expr | None, ast.expr | None]:
    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
        return item.target, item.annotation, item.value
    if (
        isinstance(item, ast.Assign)
        and len(item.targets) == 1
        and isinstance(item.targets[0], ast.Name)
    ):
        return item.targets[0], None, item.value
    return None, None, None


def _class_value(node: ast.ClassDef, name: str) -> ast.expr | None:
    for item in node.body:
        target, _, value = _assignment(item)
        if target is not None and target.id == name:
            return value
    return None


def _class_attr(node: ast.ClassDef, name: str) -> object:
    return literal(_class_value(node, name))


def _schema(table_args: ast.expr | None) -> str | None:
    candidates: list[ast.expr] = []
    if isinstance(table_args, ast.Dict):
        candidates.append(table_args)
    elif isinstance(table_args, (ast.Tuple, ast.List)):
        candidates.extend(e for e in table_args.elts if isinstance(e, ast.Dict))
    for candidate in candidates:
        value = literal(candidate)
        if isinstance(value, dict) and isinstance(value.get("schema"), str):
            return value["schema"]
    return None


def _is_mapped(annotation: ast.expr | None) -> bool:
    return _mapped_inner(annotation) is not None


def _mapped_inner(annotation: ast.expr | None) -> ast.expr | None:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.Subscript):
        head = ast.unparse(annotation.value).rsplit(".", 1)[-1]
        if head == "Mapped":
            return annotation.slice
    return None


def _strip_optional(node: ast.expr) -> str | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        for side in (node.left, node.right):
            if not (isinstance(side, ast.Constant) and side.value is None):
                return _strip_optional(side)
        return None
    if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("Optional"):
        return _strip_optional(node.slice)
    if isinstance(node, (ast.Name, ast.Attribute)):
        return ast.unparse(node)
    return None


def _annotation_optional(annotation: ast.expr) -> bool:
    inner = _mapped_inner(annotation)
    if inner is None:
        return True
    text = ast.unparse(inner)
    return "Optional[" in text or "None" in text


def _annotation_is_collection(annotation: ast.expr | None) -> bool:
    inner = _mapped_inner(annotation)
    if isinstance(inner, ast.Subscript):
        head = ast.unparse(inner.value).rsplit(".", 1)[-1].lower()
        return head in ("list", "set", "sequence", "collection", "dynamicmapped", "writeonlymapped")
    return False


def _annotation_class(annotation: ast.expr | None) -> str | None:
    inner = _mapped_inner(annotation)
    if isinstance(inner, ast.Subscript):
        inner = inner.slice
    if inner is None:
        return None
    name = _strip_optional(inner) if not isinstance(inner, ast.Constant) else inner.value
    if isinstance(name, str):
        return name.strip("'\"")
    return None
