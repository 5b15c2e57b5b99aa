"""Django migrations: ``operations`` -> DDL facts with origin ``django-migration``, and the
dependency graph (``app.0002_name`` depends on the migrations in ``dependencies``, comes before
those in ``run_before``, and a squashed migration stands for those in ``replaces``).

Fields are typed the way Django's schema editor renders them (:mod:`.django`). ``RunSQL`` is
analysed by the embedded-SQL front-end; ``SeparateDatabaseAndState`` contributes only its
``database_operations``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from dbsense.analyzers.ir import (
    DJANGO_MIGRATION,
    AddColumnFact,
    AddConstraintFact,
    AlterColumnDefaultFact,
    AlterColumnNullFact,
    AlterColumnTypeFact,
    ConstraintDef,
    CreateIndexFact,
    CreateTableFact,
    DropColumnFact,
    DropIndexFact,
    DropTableFact,
    Fact,
    FrameworkFixFact,
    IndexKey,
    QualifiedName,
    RenameColumnFact,
    RenameTableFact,
    Span,
)
from dbsense.analyzers.python.django import DjangoModels, _Model, default_table
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.source import PythonSource, keyword, literal

_CONCURRENT_IMPORT = "from django.contrib.postgres.operations import AddIndexConcurrently\n"


@dataclass(slots=True)
class DjangoMigration:
    source: PythonSource
    imports: ImportMap
    unit_id: str | None = None
    depends_on: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    run_before: tuple[str, ...] = ()
    created_tables: set[QualifiedName] = field(default_factory=set)
    _class: ast.ClassDef | None = None
    _app: str = ""
    _tables: dict[str, QualifiedName] = field(default_factory=dict)
    _models: DjangoModels | None = None

    def __post_init__(self) -> None:
        parts = self.source.path.replace("\\", "/").split("/")
        if len(parts) < 3 or parts[-2] != "migrations":
            return
        for node in self.source.tree.body:
            if isinstance(node, ast.ClassDef) and node.name == "Migration":
                self._class = node
        if self._class is None:
            return
        self._app = parts[-3]
        self.unit_id = f"{self._app}.{parts[-1].rsplit('.', 1)[0]}"
        self.depends_on = self._keys("dependencies")
        self.replaces = self._keys("replaces")
        self.run_before = self._keys("run_before")

    def _keys(self, attribute: str) -> tuple[str, ...]:
        """The ``(app, name)`` pairs of a ``Migration`` attribute as unit ids; ``__first__``
        and ``__latest__`` name no migration of their own and are left out."""
        node = self._attribute(attribute)
        keys: list[str] = []
        for element in node.elts if isinstance(node, (ast.List, ast.Tuple)) else ():
            value = literal(element)
            if (
                isinstance(value, tuple)
                and len(value) == 2
                and all(isinstance(v, str) for v in value)
                and not value[1].startswith("__")
            ):
                keys.append(f"{value[0]}.{value[1]}")
        return tuple(keys)

    @property
    def _fields(self) -> DjangoModels:
        assert self._models is not None
        return self._models

    @property
    def is_migration(self) -> bool:
        return self.unit_id is not None

    def _attribute(self, name: str) -> ast.expr | None:
        assert self._class is not None
        for statement in self._class.body:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name) and target.id == name:
                        return statement.value
        return None

    def facts(self) -> Iterator[Fact]:
        if not self.is_migration:
            return
        self._models = DjangoModels(self.source, self.imports, self._app)
        self._models.label = self._app
        self._models.module = self._app
        operations = self._attribute("operations")
        for operation in operations.elts if isinstance(operations, (ast.List, ast.Tuple)) else ():
            if isinstance(operation, ast.Call):
                yield from self._operation(operation)

    def _operation(self, call: ast.Call) -> Iterator[Fact]:
        name = (self.imports.qualify(call.func) or ast.unparse(call.func)).rsplit(".", 1)[-1]
        if name == "SeparateDatabaseAndState":
            database = keyword(call, "database_operations")
            for item in database.elts if isinstance(database, (ast.List, ast.Tuple)) else ():
                if isinstance(item, ast.Call):
                    yield from self._operation(item)
            return
        handler = getattr(self, f"_op_{name}", None)
        if handler is not None:
            yield from handler(call)

    def _argument(self, call: ast.Call, position: int, name: str) -> ast.expr | None:
        return call.args[position] if len(call.args) > position else keyword(call, name)

    def _table(self, model_name: object) -> QualifiedName | None:
        if not isinstance(model_name, str):
            return None
        return self._tables.get(model_name.lower()) or default_table(self._app, model_name)

    # --- operations ------------------------------------------------------------------------

    def _op_CreateModel(self, call: ast.Call) -> Iterator[Fact]:
        name = literal(self._argument(call, 0, "name"))
        fields_node = self._argument(call, 1, "fields")
        if not isinstance(name, str):
            return
        options = literal(keyword(call, "options"))
        db_table = options.get("db_table") if isinstance(options, dict) else None
        table = (
            QualifiedName(db_table) if isinstance(db_table, str) else default_table(self._app, name)
        )
        self._tables[name.lower()] = table
        model = _Model(ast.ClassDef(name=name), f"{self._app}.{name}", table, False)
        for element in fields_node.elts if isinstance(fields_node, (ast.List, ast.Tuple)) else ():
            if isinstance(element, ast.Tuple) and len(element.elts) == 2:
                field_name, field_call = element.elts
                if isinstance(field_call, ast.Call) and isinstance(literal(field_name), str):
                    self._fields._field(model, _name(field_name), field_call, element)
        span = self.source.span(call)
        self.created_tables.add(table)
        yield CreateTableFact(
            span=span,
            origin=DJANGO_MIGRATION,
            table=table,
            name_span=self.source.span(self._argument(call, 0, "name") or call),
            columns=tuple(model.columns),
            constraints=tuple(model.constraints),
        )
        for index in model.indexes:
            yield _retag(index, span)

    def _field_model(self, call: ast.Call) -> _Model | None:
        """A one-field model holding the column (and indexes) of an ``AddField``/``AlterField``
        call, or None when its model, name or field cannot be read."""
        table = self._table(literal(self._argument(call, 0, "model_name")))
        name_node = self._argument(call, 1, "name")
        field_call = self._argument(call, 2, "field")
        if table is None or name_node is None or not isinstance(field_call, ast.Call):
            return None
        if not isinstance(literal(name_node), str):
            return None
        model = _Model(ast.ClassDef(name=table.name), table.name, table, False)
        model.has_pk = True
        self._fields._field(model, _name(name_node), field_call, call)
        return model

    def _op_AddField(self, call: ast.Call) -> Iterator[Fact]:
        model = self._field_model(call)
        if model is None:
            return
        table = model.table
        span = self.source.span(call)
        new = table in self.created_tables
        for column in model.columns:
            yield AddColumnFact(span, DJANGO_MIGRATION, table, column, new)
        for index in model.indexes:
            yield _retag(index, span, new)

    def _op_AlterField(self, call: ast.Call) -> Iterator[Fact]:
        """The field's column type, nullability and default, as type, null and default facts.
        ``AlterField`` restates the whole field, so each may well be unchanged: rules compare
        them with the state the replayed catalog held just before (``Catalog.type_before``,
        and ``restated`` null and default facts)."""
        model = self._field_model(call)
        field_call = self._argument(call, 2, "field")
        if model is None or not isinstance(field_call, ast.Call):
            return
        table = model.table
        span = self.source.span(call)
        new = table in self.created_tables
        for column in model.columns:
            if column.type is not None:
                yield AlterColumnTypeFact(
                    span,
                    DJANGO_MIGRATION,
                    table,
                    column.name,
                    column.type.span,
                    column.type,
                    table_created_in_unit=new,
                )
            null = keyword(field_call, "null")
            yield AlterColumnNullFact(
                span,
                DJANGO_MIGRATION,
                table,
                column.name,
                self.source.span(null if null is not None else field_call),
                not column.nullable,
                new,
                restated=True,
            )
            default = keyword(field_call, "db_default") or keyword(field_call, "default")
            yield AlterColumnDefaultFact(
                span,
                DJANGO_MIGRATION,
                table,
                column.name,
                self.source.span(default if default is not None else field_call),
                column.default,
                new,
                restated=True,
            )

    def _op_RemoveField(self, call: ast.Call) -> Iterator[Fact]:
        table = self._table(literal(self._argument(call, 0, "model_name")))
        name_node = self._argument(call, 1, "name")
        name = literal(name_node)
        if table is None or not isinstance(name, str) or name_node is None:
            return
        yield DropColumnFact(
            self.source.span(call),
            DJANGO_MIGRATION,
            table,
            name,
            self.source.span(name_node),
            table_created_in_unit=table in self.created_tables,
        )

    def _op_RenameField(self, call: ast.Call) -> Iterator[Fact]:
        table = self._table(literal(self._argument(call, 0, "model_name")))
        old = literal(self._argument(call, 1, "old_name"))
        new_node = self._argument(call, 2, "new_name")
        new = literal(new_node)
        if table is None or not isinstance(old, str) or not isinstance(new, str):
            return
        yield RenameColumnFact(
            self.source.span(call),
            DJANGO_MIGRATION,
            table,
            old,
            new,
            self.source.span(new_node),  # type: ignore[arg-type]
            table in self.created_tables,
        )

    def _op_DeleteModel(self, call: ast.Call) -> Iterator[Fact]:
        name_node = self._argument(call, 0, "name")
        table = self._table(literal(name_node))
        if table is None or name_node is None:
            return
        yield DropTableFact(
            self.source.span(call),
            DJANGO_MIGRATION,
            table,
            self.source.span(name_node),
            table_created_in_unit=table in self.created_tables,
        )

    def _op_RenameModel(self, call: ast.Call) -> Iterator[Fact]:
        table = self._table(literal(self._argument(call, 0, "old_name")))
        new_node = self._argument(call, 1, "new_name")
        new = literal(new_node)
        if table is None or not isinstance(new, str):
            return
        new_table = default_table(self._app, new)
        self._tables[new.lower()] = new_table
        yield RenameTableFact(
            self.source.span(call),
            DJANGO_MIGRATION,
            table,
            new_table.name,
            self.source.span(new_node),  # type: ignore[arg-type]
            table in self.created_tables,
        )

    def _op_AddIndex(self, call: ast.Call, concurrently: bool = False) -> Iterator[Fact]:
        table = self._table(literal(self._argument(call, 0, "model_name")))
        index = self._argument(call, 1, "index")
        if table is None or not isinstance(index, ast.Call):
            return
        fields_value = literal(keyword(index, "fields"))
        names = [str(f) for f in fields_value] if isinstance(fields_value, (list, tuple)) else []
        name = literal(keyword(index, "name"))
        condition = keyword(index, "condition")
        kind = (self.imports.qualify(index.func) or ast.unparse(index.func)).rsplit(".", 1)[-1]
        method = (
            kind[: -len("Index")].lower() if kind.endswith("Index") and kind != "Index" else "btree"
        )
        span = self.source.span(call)
        yield CreateIndexFact(
            span=span,
            origin=DJANGO_MIGRATION,
            name=name if isinstance(name, str) else None,
            table=table,
            table_span=span,
            keys=tuple(
                IndexKey(
                    n.lstrip("-"), n.lstrip("-"), descending=n.startswith("-"), label=n.lstrip("-")
                )
                for n in names
            ),
            concurrently=concurrently,
            method=method,
            where=ast.unparse(condition) if condition is not None else None,
            table_created_in_unit=table in self.created_tables,
        )
        if not concurrently:
            fix = self._concurrently_fix(call)
            if fix is not None:
                yield fix

    def _op_AddIndexConcurrently(self, call: ast.Call) -> Iterator[Fact]:
        yield from self._op_AddIndex(call, concurrently=True)

    def _op_RemoveIndex(self, call: ast.Call) -> Iterator[Fact]:
        name_node = self._argument(call, 1, "name")
        name = literal(name_node)
        if not isinstance(name, str) or name_node is None:
            return
        yield DropIndexFact(
            self.source.span(call),
            DJANGO_MIGRATION,
            QualifiedName(name),
            self.source.span(name_node),
        )

    def _op_AddConstraint(self, call: ast.Call) -> Iterator[Fact]:
        table = self._table(literal(self._argument(call, 0, "model_name")))
        constraint = self._argument(call, 1, "constraint")
        if table is None or not isinstance(constraint, ast.Call):
            return
        kind = (self.imports.qualify(constraint.func) or ast.unparse(constraint.func)).rsplit(
            ".", 1
        )[-1]
        name = literal(keyword(constraint, "name"))
        name = name if isinstance(name, str) else None
        span = self.source.span(call)
        if kind == "UniqueConstraint":
            fields_value = literal(keyword(constraint, "fields"))
            columns = (
                tuple(str(f) for f in fields_value)
                if isinstance(fields_value, (list, tuple))
                else ()
            )
            definition = ConstraintDef("unique", span, name, columns)
        elif kind == "CheckConstraint":
            check = keyword(constraint, "check") or keyword(constraint, "condition")
            definition = ConstraintDef(
                "check",
                span,
                name,
                (),
                expression=ast.unparse(check) if check is not None else None,
            )
        else:
            return
        yield AddConstraintFact(
            span, DJANGO_MIGRATION, table, definition, table in self.created_tables
        )

    def _concurrently_fix(self, call: ast.Call) -> FrameworkFixFact | None:
        """``AddIndex`` -> ``AddIndexConcurrently`` in a migration with ``atomic = False``."""
        assert self._class is not None
        edits: list[tuple[Span, str]] = [(self.source.span(call.func), "AddIndexConcurrently")]
        if (
            self.imports.local_name("django.contrib.postgres.operations.AddIndexConcurrently")
            is None
        ):
            at = _after_imports(self.source)
            edits.append((Span(at, at), _CONCURRENT_IMPORT))
        atomic = self._attribute("atomic")
        if atomic is None:
            first = self._class.body[0]
            start = self.source.line_start(self.source.span(first).start)
            indent = self.source.indentation(self.source.span(first).start)
            edits.append((Span(start, start), f"{indent}atomic = False\n\n"))
        elif literal(atomic) is not False:
            edits.append((self.source.span(atomic), "False"))
        return FrameworkFixFact(
            self.source.span(call),
            DJANGO_MIGRATION,
            "concurrently",
            "Use `AddIndexConcurrently` in a migration with `atomic = False`",
            tuple(edits),
        )


def _name(node: ast.expr) -> ast.Name:
    """A ``Name`` standing for a field-name string, at the string's position."""
    target = ast.Name(str(literal(node)))
    ast.copy_location(target, node)
    target.end_lineno = node.end_lineno
    target.end_col_offset = node.end_col_offset
    return target


def _retag(index: CreateIndexFact, span: Span, new: bool = True) -> CreateIndexFact:
    return replace(
        index, origin=DJANGO_MIGRATION, span=span, table_span=span, table_created_in_unit=new
    )


def _after_imports(source: PythonSource) -> int:
    """The start of the line after the module's last top-level import."""
    imports = [s for s in source.tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
    if not imports:
        return 0
    end = source.span(imports[-1]).end
    newline = source.text.find("\n", end)
    return len(source.text) if newline == -1 else newline + 1
