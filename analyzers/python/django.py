"""Django models -> table, column, constraint and index facts, plus model/relation facts.

A model declares what Django's migrations create, so its facts feed the same catalog as SQL
(origin ``django``). Indexes of a model are declarations, never lock-taking statements, so they
are emitted with ``table_created_in_unit``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from dbsense.analyzers.ir import (
    DJANGO,
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
from dbsense.analyzers.python.source import PythonSource, class_assignments, keyword, literal

MODELS = "django.db.models"
# field class -> (Postgres type, type arguments taken from keywords, default arguments)
_TYPES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "AutoField": ("integer", (), ()),
    "BigAutoField": ("bigint", (), ()),
    "SmallAutoField": ("smallint", (), ()),
    "IntegerField": ("integer", (), ()),
    "BigIntegerField": ("bigint", (), ()),
    "SmallIntegerField": ("smallint", (), ()),
    "PositiveIntegerField": ("integer", (), ()),
    "PositiveBigIntegerField": ("bigint", (), ()),
    "PositiveSmallIntegerField": ("smallint", (), ()),
    "BooleanField": ("boolean", (), ()),
    "NullBooleanField": ("boolean", (), ()),
    "CharField": ("character varying", ("max_length",), ()),
    "SlugField": ("character varying", ("max_length",), ("50",)),
    "EmailField": ("character varying", ("max_length",), ("254",)),
    "URLField": ("character varying", ("max_length",), ("200",)),
    "FileField": ("character varying", ("max_length",), ("100",)),
    "ImageField": ("character varying", ("max_length",), ("100",)),
    "FilePathField": ("character varying", ("max_length",), ("100",)),
    "TextField": ("text", (), ()),
    "DateField": ("date", (), ()),
    "DateTimeField": ("timestamp with time zone", (), ()),
    "TimeField": ("time without time zone", (), ()),
    "DurationField": ("interval", (), ()),
    "DecimalField": ("numeric", ("max_digits", "decimal_places"), ()),
    "FloatField": ("double precision", (), ()),
    "UUIDField": ("uuid", (), ()),
    "JSONField": ("jsonb", (), ()),
    "BinaryField": ("bytea", (), ()),
    "GenericIPAddressField": ("inet", (), ()),
    "IPAddressField": ("inet", (), ()),
    "HStoreField": ("hstore", (), ()),
}
_AUTO = {"AutoField", "BigAutoField", "SmallAutoField"}
_RELATIONS = {"ForeignKey", "OneToOneField", "ManyToManyField"}
_USER_MODEL = "auth.User"


@dataclass(slots=True)
class _Model:
    node: ast.ClassDef
    qualified: str
    table: QualifiedName
    abstract: bool
    columns: list[ColumnDef] = field(default_factory=list)
    constraints: list[ConstraintDef] = field(default_factory=list)
    indexes: list[CreateIndexFact] = field(default_factory=list)
    relations: list[RelationDef] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str]] = field(default_factory=list)  # (attribute, column)
    has_pk: bool = False
    fixes: list[FrameworkFixFact] = field(default_factory=list)


def app_label(path: str) -> str:
    """The app a models module belongs to: ``shop/models.py`` and ``shop/models/order.py`` are
    app ``shop``."""
    parts = [part for part in path.replace("\\", "/").split("/") if part]
    if len(parts) >= 3 and parts[-2] == "models":
        return parts[-3]
    return parts[-2] if len(parts) >= 2 else "app"


def default_table(label: str, class_name: str) -> QualifiedName:
    return QualifiedName(f"{label}_{class_name.lower()}".lower())


def is_field(imports: ImportMap, call: ast.AST) -> str | None:
    """The Django field class a call constructs (``CharField``), or ``None``."""
    if not isinstance(call, ast.Call):
        return None
    qualified = imports.qualify(call.func) or ""
    for prefix in (MODELS + ".", "django.db.models.fields.", "django.contrib.postgres.fields."):
        if qualified.startswith(prefix):
            name = qualified.rsplit(".", 1)[-1]
            if name.endswith("Field") or name == "ForeignKey":
                return name
    return None


class DjangoModels:
    """Model classes of one module and the facts they declare."""

    def __init__(self, source: PythonSource, imports: ImportMap, module: str) -> None:
        self.source = source
        self.imports = imports
        self.module = module
        self.label = app_label(source.path)
        self.models: dict[str, _Model] = {}

    def facts(self) -> Iterator[Fact]:
        if not self.imports.imports_from("django"):
            return
        for node in self.source.tree.body:
            if isinstance(node, ast.ClassDef) and self._is_model(node):
                self.models[node.name] = self._model(node)
        for model in self.models.values():
            yield from self._emit(model)

    # --- discovery -------------------------------------------------------------------------

    def _is_model(self, node: ast.ClassDef) -> bool:
        for base in node.bases:
            qualified = self.imports.qualify(base) or ""
            if qualified in (f"{MODELS}.Model", "django.db.models.base.Model"):
                return True
            if isinstance(base, ast.Name) and base.id in self.models:
                return True
        return any(
            isinstance(item, ast.Assign) and is_field(self.imports, item.value)
            for item in node.body
        )

    def _model(self, node: ast.ClassDef) -> _Model:
        meta = _meta(node)
        abstract = literal(meta.get("abstract")) is True
        table_name = literal(meta.get("db_table"))
        label = literal(meta.get("app_label"))
        label = label if isinstance(label, str) else self.label
        table = (
            QualifiedName(table_name)
            if isinstance(table_name, str)
            else default_table(label, node.name)
        )
        model = _Model(node, f"{self.module}.{node.name}", table, abstract)
        for base in node.bases:
            parent = self.models.get(base.id) if isinstance(base, ast.Name) else None
            if parent is not None and parent.abstract:
                model.columns.extend(parent.columns)
                model.relations.extend(parent.relations)
                model.fields.extend(parent.fields)
                model.attributes.extend(parent.attributes)
                model.has_pk = parent.has_pk
        for item in node.body:
            if isinstance(item, ast.Assign) and len(item.targets) == 1:
                target = item.targets[0]
                if isinstance(target, ast.Name) and isinstance(item.value, ast.Call):
                    self._field(model, target, item.value, item)
            elif (
                isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and isinstance(item.value, ast.Call)
            ):
                self._field(model, item.target, item.value, item)
        if not model.has_pk and not abstract:
            span = self.source.span(node)
            name_span = self._class_name_span(node)
            id_type = TypeRef("bigint", "BigAutoField", name_span)
            model.columns.insert(
                0,
                ColumnDef("id", name_span, id_type, span, False, primary_key=True, identity=True),
            )
            model.attributes.insert(0, ("id", "id"))
        self._meta_options(model, meta)
        return model

    def _class_name_span(self, node: ast.ClassDef) -> Span:
        start = self.source.offset(node.lineno, node.col_offset)
        name_at = self.source.text.find(node.name, start)
        return Span(name_at, name_at + len(node.name)) if name_at >= 0 else Span(start, start)

    # --- fields ----------------------------------------------------------------------------

    def _field(self, model: _Model, target: ast.Name, call: ast.Call, statement: ast.AST) -> None:
        kind = is_field(self.imports, call)
        if kind is None:
            return
        name = target.id
        name_span = self.source.span(target)
        span = self.source.span(statement)
        func_span = self.source.span(call.func)
        raw = self.source.segment(call.func)
        model.fields.append(name)
        if kind in _RELATIONS:
            self._relation(model, kind, name, name_span, span, func_span, raw, call)
            return
        type_ = self._type(kind, call, func_span, raw)
        db_column = literal(keyword(call, "db_column"))
        column = db_column if isinstance(db_column, str) else name
        primary = literal(keyword(call, "primary_key")) is True or kind in _AUTO
        model.has_pk = model.has_pk or primary
        null = literal(keyword(call, "null")) is True
        unique = literal(keyword(call, "unique")) is True
        default = _sql_default(keyword(call, "db_default") or keyword(call, "default"))
        definition = ColumnDef(
            column,
            name_span,
            type_,
            span,
            nullable=null and not primary,
            default=default,
            primary_key=primary,
            unique=unique and not primary,
            identity=kind in _AUTO,
        )
        model.columns.append(definition)
        model.attributes.append((name, column))
        if literal(keyword(call, "db_index")) is True and not unique and not primary:
            model.indexes.append(self._index(model, None, (column,), span))

    def _type(self, kind: str, call: ast.Call, span: Span, raw: str) -> TypeRef | None:
        if kind == "ArrayField":
            base = call.args[0] if call.args else keyword(call, "base_field")
            inner_kind = is_field(self.imports, base) if base is not None else None
            inner = self._type(inner_kind, base, span, raw) if inner_kind else None  # type: ignore[arg-type]
            if inner is None:
                return None
            return TypeRef(inner.name, raw, span, inner.args, array=True)
        entry = _TYPES.get(kind)
        if entry is None:
            return None
        name, arg_keys, defaults = entry
        args = []
        for index, key in enumerate(arg_keys):
            value = literal(keyword(call, key))
            if isinstance(value, int):
                args.append(str(value))
            elif index < len(defaults):
                args.append(defaults[index])
        return TypeRef(name, raw, span, tuple(args))

    def _relation(
        self,
        model: _Model,
        kind: str,
        name: str,
        name_span: Span,
        span: Span,
        func_span: Span,
        raw: str,
        call: ast.Call,
    ) -> None:
        target_node = call.args[0] if call.args else keyword(call, "to")
        target_class, target_table = self._target(target_node, model)
        related_name = literal(keyword(call, "related_name"))
        owner = model.node.name.lower()
        if kind == "ManyToManyField":
            reverse = related_name if isinstance(related_name, str) else f"{owner}_set"
            model.relations.append(
                RelationDef(
                    name,
                    "many-to-many",
                    target_class,
                    True,
                    span=name_span,
                    reverse_name=None if reverse.endswith("+") else reverse,
                )
            )
            return
        one_to_one = kind == "OneToOneField"
        default_reverse = owner if one_to_one else f"{owner}_set"
        reverse = related_name if isinstance(related_name, str) else default_reverse
        model.relations.append(
            RelationDef(
                name,
                "one-to-one" if one_to_one else "forward",
                target_class,
                False,
                span=name_span,
                reverse_name=None if reverse.endswith("+") else reverse,
            )
        )
        db_column = literal(keyword(call, "db_column"))
        column = db_column if isinstance(db_column, str) else f"{name}_id"
        primary = literal(keyword(call, "primary_key")) is True
        model.has_pk = model.has_pk or primary
        to_field = literal(keyword(call, "to_field"))
        ref_column = to_field if isinstance(to_field, str) else "id"
        constraint = literal(keyword(call, "db_constraint"))
        references = (
            None
            if constraint is False
            else ForeignKeyDef((column,), target_table, (ref_column,), on_delete=_on_delete(call))
        )
        unique = one_to_one and not primary
        model.attributes.append((f"{name}_id", column))
        model.columns.append(
            ColumnDef(
                column,
                name_span,
                TypeRef("bigint", raw, func_span),
                span,
                nullable=literal(keyword(call, "null")) is True,
                primary_key=primary,
                unique=unique,
                references=references,
            )
        )
        if literal(keyword(call, "db_index")) is not False and not unique and not primary:
            model.indexes.append(self._index(model, None, (column,), span))
        elif literal(keyword(call, "db_index")) is False:
            self._keep_index_fix(model, call, span)

    def _keep_index_fix(self, model: _Model, call: ast.Call, span: Span) -> None:
        """Drop ``db_index=False`` (and the comma before it) so Django indexes the key."""
        node = next(kw for kw in call.keywords if kw.arg == "db_index")
        value = self.source.span(node.value)
        start = self.source.offset(node.lineno, node.col_offset)
        comma = self.source.text.rfind(",", 0, start)
        if comma < span.start:
            return
        model.fixes.append(
            FrameworkFixFact(
                span,
                DJANGO,
                "fk-index",
                "Remove `db_index=False`",
                ((Span(comma, value.end), ""),),
            )
        )

    def _target(self, node: ast.AST | None, model: _Model) -> tuple[str, QualifiedName]:
        """The related model's qualified class name and table."""
        value = literal(node)
        if isinstance(value, str):
            if value == "self":
                return model.qualified, model.table
            if "." in value:
                label, class_name = value.rsplit(".", 1)
                return class_name, default_table(label, class_name)
            local = self.models.get(value)
            if local is not None:
                return local.qualified, local.table
            return f"{self.module}.{value}", default_table(self.label, value)
        qualified = self.imports.qualify(node) or ""
        if qualified.endswith("AUTH_USER_MODEL") or qualified.endswith("get_user_model"):
            return _USER_MODEL, QualifiedName("auth_user")
        if isinstance(node, ast.Name) and node.id in self.models:
            local = self.models[node.id]
            return local.qualified, local.table
        if qualified:
            parts = qualified.split(".")
            packages = parts[:-1]
            if "models" in packages and packages.index("models") > 0:
                label = packages[packages.index("models") - 1]
            else:
                label = packages[-1] if packages else self.label
            return qualified, default_table(label, parts[-1])
        name = ast.unparse(node) if node is not None else "unknown"
        return name, default_table(self.label, name.rsplit(".", 1)[-1])

    # --- Meta ------------------------------------------------------------------------------

    def _meta_options(self, model: _Model, meta: dict[str, ast.expr]) -> None:
        together = literal(meta.get("unique_together"))
        if isinstance(together, (tuple, list)) and together:
            groups = [together] if all(isinstance(v, str) for v in together) else together
            span = self.source.span(meta["unique_together"])
            for group in groups:
                if isinstance(group, (tuple, list)):
                    columns = tuple(self._column_of(model, str(name)) for name in group)
                    model.constraints.append(ConstraintDef("unique", span, None, columns))
        for key in ("indexes", "constraints"):
            node = meta.get(key)
            elements = node.elts if isinstance(node, (ast.List, ast.Tuple)) else []
            for element in elements:
                if isinstance(element, ast.Call):
                    self._meta_object(model, element)

    def _meta_object(self, model: _Model, call: ast.Call) -> None:
        kind = (self.imports.qualify(call.func) or "").rsplit(".", 1)[-1]
        span = self.source.span(call)
        name = literal(keyword(call, "name"))
        name = name if isinstance(name, str) else None
        fields_value = literal(keyword(call, "fields"))
        names = [str(f) for f in fields_value] if isinstance(fields_value, (list, tuple)) else []
        condition = keyword(call, "condition")
        where = ast.unparse(condition) if condition is not None else None
        if kind == "Index" or kind.endswith("Index"):
            columns = tuple(self._column_of(model, n.lstrip("-")) for n in names)
            method = kind[: -len("Index")].lower() if kind != "Index" else "btree"
            index = self._index(model, name, columns, span, method=method or "btree")
            index = replace(index, keys=self._index_keys(model, call, index.keys))
            model.indexes.append(_with_where(index, where))
        elif kind == "UniqueConstraint":
            columns = tuple(self._column_of(model, n) for n in names)
            if where is not None:
                model.indexes.append(
                    _with_where(self._index(model, name, columns, span, unique=True), where)
                )
            elif columns:
                model.constraints.append(ConstraintDef("unique", span, name, columns))
        elif kind == "CheckConstraint":
            check = keyword(call, "check") or keyword(call, "condition")
            expression = ast.unparse(check) if check is not None else None
            model.constraints.append(ConstraintDef("check", span, name, (), expression=expression))

    def _index_keys(
        self, model: _Model, call: ast.Call, keys: tuple[IndexKey, ...]
    ) -> tuple[IndexKey, ...]:
        """``opclasses=[...]`` on ``fields`` keys, and ``OpClass(Upper("f"), name=...)`` or
        ``Upper("f")`` expression keys."""
        opclasses = literal(keyword(call, "opclasses"))
        if isinstance(opclasses, (list, tuple)) and len(opclasses) == len(keys):
            keys = tuple(
                replace(key, opclass=opclass) if isinstance(opclass, str) else key
                for key, opclass in zip(keys, opclasses, strict=True)
            )
        expressions: list[IndexKey] = []
        for argument in call.args:
            opclass = None
            if isinstance(argument, ast.Call) and _callee(argument) == "OpClass" and argument.args:
                value = literal(keyword(argument, "name"))
                opclass = value if isinstance(value, str) else None
                argument = argument.args[0]
            key = self._expression_key(model, argument)
            if key is not None:
                expressions.append(replace(key, opclass=opclass))
        return keys + tuple(expressions)

    def _expression_key(self, model: _Model, node: ast.AST) -> IndexKey | None:
        """``Upper("email")``/``Lower(F("email"))`` -> ``upper(email)``; ``F("email")`` or a
        plain name -> the column."""
        function = None
        if isinstance(node, ast.Call) and _callee(node) in ("Upper", "Lower") and node.args:
            function = _callee(node).lower()
            node = node.args[0]
        if isinstance(node, ast.Call) and _callee(node) == "F" and node.args:
            node = node.args[0]
        field_name = literal(node)
        if not isinstance(field_name, str):
            return None
        column = self._column_of(model, field_name)
        if function is None:
            return IndexKey(column, column, label=column)
        return IndexKey(f"{function}({column})", label=function)

    def _column_of(self, model: _Model, field_name: str) -> str:
        for relation in model.relations:
            if relation.attr == field_name and relation.kind in ("forward", "one-to-one"):
                return f"{field_name}_id"
        return field_name

    def _index(
        self,
        model: _Model,
        name: str | None,
        columns: tuple[str, ...],
        span: Span,
        unique: bool = False,
        method: str = "btree",
    ) -> CreateIndexFact:
        return CreateIndexFact(
            span=span,
            origin=DJANGO,
            name=name,
            table=model.table,
            table_span=span,
            keys=tuple(IndexKey(column, column, label=column) for column in columns),
            unique=unique,
            method=method,
            table_created_in_unit=True,
        )

    # --- output ----------------------------------------------------------------------------

    def _emit(self, model: _Model) -> Iterator[Fact]:
        name_span = self._class_name_span(model.node)
        yield ModelFact(
            name_span,
            DJANGO,
            model.qualified,
            None if model.abstract else model.table,
            tuple(model.fields),
            tuple(model.relations),
            tuple(ast.unparse(base) for base in model.node.bases),
            model.abstract,
            tuple(model.attributes),
        )
        if model.abstract:
            return
        yield CreateTableFact(
            span=self.source.span(model.node),
            origin=DJANGO,
            table=model.table,
            name_span=name_span,
            columns=tuple(model.columns),
            constraints=tuple(model.constraints),
        )
        yield from model.indexes
        yield from model.fixes


def _sql_default(node: ast.expr | None) -> str | None:
    """The SQL literal Django writes for a field default when it adds the column: the value,
    or for a callable the value it returns at migration time (a constant, shown by name)."""
    if node is None:
        return None
    value = literal(node)
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return "'" + ast.unparse(node).replace("'", "''") + "'"


def _meta(node: ast.ClassDef) -> dict[str, ast.expr]:
    for item in node.body:
        if isinstance(item, ast.ClassDef) and item.name == "Meta":
            return class_assignments(item)
    return {}


def _on_delete(call: ast.Call) -> str | None:
    node = keyword(call, "on_delete") or (call.args[1] if len(call.args) > 1 else None)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _with_where(index: CreateIndexFact, where: str | None) -> CreateIndexFact:
    return index if where is None else replace(index, where=where)
