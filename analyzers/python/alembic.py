"""Alembic revisions: ``op.*`` calls in ``upgrade()`` -> the DDL facts SQL files produce, with
origin ``alembic``, plus the revision graph (``revision`` / ``down_revision`` / ``depends_on``).

``with op.batch_alter_table("t") as batch_op:`` blocks give the same facts for the
``batch_op.*`` calls as the ``op.*`` forms on table ``t``. On PostgreSQL, batch mode runs plain
``ALTER`` statements (``recreate="auto"``, the default, only recreates on SQLite), so the same
locking rules apply. The operations are queued and run when the block exits, so a fix that
wraps one call (``autocommit_block()``) is not offered inside a batch. With
``recreate="always"`` Alembic copies the table (new table, ``INSERT ... SELECT``, ``DROP``,
rename, indexes rebuilt): the facts still describe the end schema and every lock the ALTER
forms would take is taken for the whole copy, but no per-call fix applies.

``op.execute("...")`` SQL is analysed by the embedded-SQL front-end with the same origin and
the same set of tables created in the revision.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from dbsense.analyzers.ir import (
    ALEMBIC,
    AddColumnFact,
    AddConstraintFact,
    AlterColumnDefaultFact,
    AlterColumnNullFact,
    AlterColumnTypeFact,
    ColumnDef,
    ConstraintDef,
    CreateIndexFact,
    CreateTableFact,
    DropColumnFact,
    DropConstraintFact,
    DropIndexFact,
    DropTableFact,
    Fact,
    ForeignKeyDef,
    FrameworkFixFact,
    IndexKey,
    QualifiedName,
    RenameColumnFact,
    RenameTableFact,
    Span,
)
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.source import PythonSource, keyword, literal
from dbsense.analyzers.python.sqlalchemy import SqlAlchemyModels, _Table, is_sqlalchemy


@dataclass(slots=True)
class AlembicRevision:
    """One revision file; ``unit_id``/``depends_on`` are set when it declares a revision."""

    source: PythonSource
    imports: ImportMap
    unit_id: str | None = None
    depends_on: tuple[str, ...] = ()
    created_tables: set[QualifiedName] = field(default_factory=set)
    _models: SqlAlchemyModels | None = None

    def __post_init__(self) -> None:
        values: dict[str, object] = {}
        for statement in self.source.tree.body:
            if isinstance(statement, (ast.Assign, ast.AnnAssign)):
                targets = (
                    statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                )
                for target in targets:
                    if isinstance(target, ast.Name) and statement.value is not None:
                        values[target.id] = literal(statement.value)
        revision = values.get("revision")
        if isinstance(revision, str) and "down_revision" in values:
            self.unit_id = revision
            parents: list[str] = []
            for key in ("down_revision", "depends_on"):
                value = values.get(key)
                if isinstance(value, str):
                    parents.append(value)
                elif isinstance(value, (tuple, list)):
                    parents.extend(str(item) for item in value if isinstance(item, str))
            self.depends_on = tuple(parents)

    @property
    def _sa(self) -> SqlAlchemyModels:
        if self._models is None:
            self._models = SqlAlchemyModels(self.source, self.imports, "")
        return self._models

    @property
    def is_revision(self) -> bool:
        return self.unit_id is not None

    def facts(self) -> Iterator[Fact]:
        if not self.is_revision:
            return
        upgrade = next(
            (
                node
                for node in self.source.tree.body
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and node.name == "upgrade"
            ),
            None,
        )
        if upgrade is None:
            return
        batches = self._batch_calls(upgrade)
        for node in ast.walk(upgrade):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = node.func.value
            batch = batches.get(id(node))
            if batch is not None:
                yield from self._batch_operation(batch, node, upgrade)
                continue
            qualified = self.imports.qualify(node.func) or ""
            if qualified.startswith("alembic.op.") or (
                isinstance(receiver, ast.Name) and receiver.id == "op"
            ):
                yield from self._operation(node.func.attr, node, upgrade)

    # --- operations ------------------------------------------------------------------------

    def _operation(self, name: str, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        handler = getattr(self, f"_op_{name}", None)
        if handler is not None:
            yield from handler(call, upgrade)

    # --- batch mode ------------------------------------------------------------------------

    def _batch_calls(self, upgrade: ast.AST) -> dict[int, _Batch]:
        """The ``batch_alter_table`` block of each call (by node id) made on the name the
        block binds (``with op.batch_alter_table(...) as batch_op:``); inner blocks win."""
        calls: dict[int, _Batch] = {}
        for node in ast.walk(upgrade):
            if not isinstance(node, (ast.With, ast.AsyncWith)):
                continue
            for item in node.items:
                call = item.context_expr
                target = item.optional_vars
                if not (isinstance(call, ast.Call) and isinstance(target, ast.Name)):
                    continue
                func = call.func
                qualified = self.imports.qualify(func) or ""
                if not (
                    qualified == "alembic.op.batch_alter_table"
                    or (
                        isinstance(func, ast.Attribute)
                        and func.attr == "batch_alter_table"
                        and isinstance(func.value, ast.Name)
                        and func.value.id == "op"
                    )
                ):
                    continue
                table = call.args[0] if call.args else keyword(call, "table_name")
                if table is None or not isinstance(literal(table), str):
                    continue
                recreate = literal(keyword(call, "recreate")) == "always"
                batch = _Batch(table, keyword(call, "schema"), recreate)
                for statement in node.body:
                    for inner in ast.walk(statement):
                        if (
                            isinstance(inner, ast.Call)
                            and isinstance(inner.func, ast.Attribute)
                            and isinstance(inner.func.value, ast.Name)
                            and inner.func.value.id == target.id
                        ):
                            calls[id(inner)] = batch
        return calls

    def _batch_operation(self, batch: _Batch, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        """``batch_op.<name>(...)`` as ``op.<name>(...)`` on the batch's table: the table name
        goes where the ``op`` form takes it, located at the ``batch_alter_table`` argument."""
        name = call.func.attr  # type: ignore[attr-defined]
        position = _BATCH_TABLE_POSITION.get(name)
        if position is None:
            return
        table = ast.Constant(literal(batch.table))
        ast.copy_location(table, batch.table)
        table.end_lineno = batch.table.end_lineno
        table.end_col_offset = batch.table.end_col_offset
        args = list(call.args)
        args.insert(min(position, len(args)), table)
        keywords = [kw for kw in call.keywords if kw.arg != "schema"]
        if batch.schema is not None:
            keywords.append(ast.keyword("schema", batch.schema))
        virtual = ast.Call(call.func, args, keywords)
        ast.copy_location(virtual, call)
        virtual.end_lineno = call.end_lineno
        virtual.end_col_offset = call.end_col_offset
        for fact in self._operation(name, virtual, upgrade):
            if isinstance(fact, FrameworkFixFact) and (
                batch.recreate or fact.purpose not in _BATCH_FIXES
            ):
                continue  # the queued call runs at the block's exit, outside any wrapper
            yield fact

    def _table(
        self, call: ast.Call, position: int = 0, key: str = "table_name"
    ) -> QualifiedName | None:
        value = (
            literal(call.args[position])
            if len(call.args) > position
            else literal(keyword(call, key))
        )
        if not isinstance(value, str):
            return None
        schema = literal(keyword(call, "schema"))
        return QualifiedName(value, schema if isinstance(schema, str) else None)

    def _new(self, table: QualifiedName) -> bool:
        return table in self.created_tables

    def _op_create_table(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        table = self._table(call, 0, "table_name")
        if table is None:
            return
        span = self.source.span(call)
        model = _Table(table, self.source.span(call.args[0]), span)
        models = self._sa
        for argument in call.args[1:]:
            if not isinstance(argument, ast.Call):
                continue
            if is_sqlalchemy(self.imports, argument.func, "Column"):
                column = self._column(argument)
                if column is not None:
                    model.columns.append(column)
            else:
                models._schema_item(model, argument)
        models._apply_serial(model)
        self.created_tables.add(table)
        yield CreateTableFact(
            span=span,
            origin=ALEMBIC,
            table=table,
            name_span=model.name_span,
            columns=tuple(model.columns),
            constraints=tuple(model.constraints),
        )
        yield from model.indexes

    def _column(self, call: ast.Call) -> ColumnDef | None:
        if not call.args or not isinstance(literal(call.args[0]), str):
            return None
        first = call.args[0]
        target = ast.Name(str(literal(first)))
        ast.copy_location(target, first)
        target.end_lineno = first.end_lineno
        target.end_col_offset = first.end_col_offset
        return self._sa._column(target, None, call, self.source.span(call))

    def _op_add_column(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        table = self._table(call)
        column_call = call.args[1] if len(call.args) > 1 else keyword(call, "column")
        if table is None or not isinstance(column_call, ast.Call):
            return
        column = self._column(column_call)
        if column is not None:
            yield AddColumnFact(self.source.span(call), ALEMBIC, table, column, self._new(table))

    def _op_create_index(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        name = literal(call.args[0]) if call.args else literal(keyword(call, "index_name"))
        table = self._table(call, 1)
        columns_node = call.args[2] if len(call.args) > 2 else keyword(call, "columns")
        if table is None:
            return
        columns = literal(columns_node)
        keys: list[IndexKey] = []
        for column in columns if isinstance(columns, (list, tuple)) else ():
            if isinstance(column, str):
                keys.append(IndexKey(column, column, label=column))
        if not keys and isinstance(columns_node, (ast.List, ast.Tuple)):
            keys = [IndexKey(ast.unparse(e)) for e in columns_node.elts]
        concurrently = literal(keyword(call, "postgresql_concurrently")) is True
        using = literal(keyword(call, "postgresql_using"))
        where = keyword(call, "postgresql_where")
        span = self.source.span(call)
        yield CreateIndexFact(
            span=span,
            origin=ALEMBIC,
            name=name if isinstance(name, str) else None,
            table=table,
            table_span=self.source.span(call.args[1]) if len(call.args) > 1 else span,
            keys=tuple(keys),
            unique=literal(keyword(call, "unique")) is True,
            concurrently=concurrently,
            method=using if isinstance(using, str) else "btree",
            where=ast.unparse(where) if where is not None else None,
            table_created_in_unit=self._new(table),
        )
        if not concurrently:
            fix = self._concurrently_fix(call, upgrade)
            if fix is not None:
                yield fix

    def _concurrently_fix(self, call: ast.Call, upgrade: ast.AST) -> FrameworkFixFact | None:
        """Wrap the statement in ``autocommit_block()`` and pass ``postgresql_concurrently``."""
        statement = next(
            (
                node
                for node in ast.walk(upgrade)
                if isinstance(node, ast.Expr) and node.value is call
            ),
            None,
        )
        if statement is None:
            return None
        span = self.source.span(statement)
        text = self.source.text[span.start : span.end]
        if not text.endswith(")"):
            return None
        body = text[:-1].rstrip()
        separator = " " if body.endswith((",", "(")) else ", "
        body = f"{body}{separator}postgresql_concurrently=True)"
        indent = self.source.indentation(span.start)
        inside = indent + "    "
        reindented = body.replace("\n", "\n    ")
        new_text = f"with op.get_context().autocommit_block():\n{inside}{reindented}"
        return FrameworkFixFact(
            self.source.span(call),
            ALEMBIC,
            "concurrently",
            "Use `postgresql_concurrently=True` inside `autocommit_block()`",
            ((span, new_text),),
        )

    def _op_drop_index(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        name = literal(call.args[0]) if call.args else literal(keyword(call, "index_name"))
        if not isinstance(name, str):
            return
        schema = literal(keyword(call, "schema"))
        yield DropIndexFact(
            self.source.span(call),
            ALEMBIC,
            QualifiedName(name, schema if isinstance(schema, str) else None),
            self.source.span(call.args[0]) if call.args else self.source.span(call),
            concurrently=literal(keyword(call, "postgresql_concurrently")) is True,
        )

    def _op_create_foreign_key(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        args = [literal(a) for a in call.args]
        if len(args) < 5 or not isinstance(args[1], str) or not isinstance(args[2], str):
            return
        local, remote = args[3], args[4]
        if not isinstance(local, (list, tuple)) or not isinstance(remote, (list, tuple)):
            return
        not_valid = literal(keyword(call, "postgresql_not_valid")) is True
        name = args[0] if isinstance(args[0], str) else None
        fk = ForeignKeyDef(
            tuple(str(c) for c in local),
            QualifiedName(args[2]),
            tuple(str(c) for c in remote),
            name,
            not_valid,
            _string(keyword(call, "ondelete")),
        )
        span = self.source.span(call)
        table = QualifiedName(args[1], _string(keyword(call, "schema")))
        constraint = ConstraintDef("foreign-key", span, name, fk.columns, fk, not_valid=not_valid)
        yield AddConstraintFact(span, ALEMBIC, table, constraint, self._new(table))
        if not not_valid:
            at = span.end - 1
            body = self.source.text[span.start : at].rstrip()
            text = (
                " postgresql_not_valid=True"
                if body.endswith(",")
                else ", postgresql_not_valid=True"
            )
            yield FrameworkFixFact(
                span,
                ALEMBIC,
                "not-valid",
                "Add `postgresql_not_valid=True` (validate in a later revision)",
                ((Span(at, at), text),),
            )

    def _op_create_unique_constraint(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        args = [literal(a) for a in call.args]
        if len(args) < 3 or not isinstance(args[1], str) or not isinstance(args[2], (list, tuple)):
            return
        span = self.source.span(call)
        table = QualifiedName(args[1], _string(keyword(call, "schema")))
        name = args[0] if isinstance(args[0], str) else None
        constraint = ConstraintDef("unique", span, name, tuple(str(c) for c in args[2]))
        yield AddConstraintFact(span, ALEMBIC, table, constraint, self._new(table))

    def _op_create_check_constraint(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        args = [literal(a) for a in call.args]
        if len(args) < 3 or not isinstance(args[1], str):
            return
        span = self.source.span(call)
        table = QualifiedName(args[1], _string(keyword(call, "schema")))
        name = args[0] if isinstance(args[0], str) else None
        expression = args[2] if isinstance(args[2], str) else ast.unparse(call.args[2])
        constraint = ConstraintDef("check", span, name, (), expression=expression)
        yield AddConstraintFact(span, ALEMBIC, table, constraint, self._new(table))

    def _op_create_primary_key(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        args = [literal(a) for a in call.args]
        if len(args) < 3 or not isinstance(args[1], str) or not isinstance(args[2], (list, tuple)):
            return
        span = self.source.span(call)
        table = self._table(call, 1)
        name = args[0] if isinstance(args[0], str) else None
        constraint = ConstraintDef("primary-key", span, name, tuple(str(c) for c in args[2]))
        if table is not None:
            yield AddConstraintFact(span, ALEMBIC, table, constraint, self._new(table))

    def _op_drop_constraint(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        name_node = call.args[0] if call.args else keyword(call, "constraint_name")
        name = literal(name_node)
        table = self._table(call, 1)
        if table is None or not isinstance(name, str) or name_node is None:
            return
        yield DropConstraintFact(
            self.source.span(call),
            ALEMBIC,
            table,
            name,
            self.source.span(name_node),
            table_created_in_unit=self._new(table),
        )

    def _op_alter_column(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        table = self._table(call)
        column = (
            literal(call.args[1]) if len(call.args) > 1 else literal(keyword(call, "column_name"))
        )
        if table is None or not isinstance(column, str):
            return
        span = self.source.span(call)
        new = self._new(table)
        nullable = keyword(call, "nullable")
        if nullable is not None and isinstance(literal(nullable), bool):
            action = self.source.span(nullable)
            yield AlterColumnNullFact(
                span, ALEMBIC, table, column, action, not literal(nullable), new
            )
        type_node = keyword(call, "type_")
        if type_node is not None:
            type_ = self._sa._type(type_node)
            if type_ is not None:
                using = _string(keyword(call, "postgresql_using"))
                yield AlterColumnTypeFact(
                    span, ALEMBIC, table, column, self.source.span(type_node), type_, using, new
                )
        default = keyword(call, "server_default")
        if default is not None:
            value = literal(default)
            text = (
                None
                if value is None
                else (value if isinstance(value, str) else ast.unparse(default))
            )
            yield AlterColumnDefaultFact(
                span, ALEMBIC, table, column, self.source.span(default), text, new
            )
        new_name = _string(keyword(call, "new_column_name"))
        if new_name is not None:
            action = self.source.span(keyword(call, "new_column_name"))  # type: ignore[arg-type]
            yield RenameColumnFact(span, ALEMBIC, table, column, new_name, action, new)

    def _op_drop_column(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        table = self._table(call)
        column = literal(call.args[1]) if len(call.args) > 1 else None
        if table is None or not isinstance(column, str):
            return
        yield DropColumnFact(
            self.source.span(call),
            ALEMBIC,
            table,
            column,
            self.source.span(call.args[1]),
            table_created_in_unit=self._new(table),
        )

    def _op_drop_table(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        table = self._table(call)
        if table is None:
            return
        yield DropTableFact(
            self.source.span(call),
            ALEMBIC,
            table,
            self.source.span(call.args[0]),
            table_created_in_unit=self._new(table),
        )

    def _op_rename_table(self, call: ast.Call, upgrade: ast.AST) -> Iterator[Fact]:
        table = self._table(call)
        new_name = literal(call.args[1]) if len(call.args) > 1 else None
        if table is None or not isinstance(new_name, str):
            return
        yield RenameTableFact(
            self.source.span(call),
            ALEMBIC,
            table,
            new_name,
            self.source.span(call.args[1]),
            self._new(table),
        )


# Where the ``op.<name>`` form takes the table name that a ``batch_op.<name>`` call leaves out.
_BATCH_TABLE_POSITION = {
    "add_column": 0,
    "alter_column": 0,
    "drop_column": 0,
    "create_index": 1,
    "drop_index": 1,
    "create_foreign_key": 1,
    "create_unique_constraint": 1,
    "create_check_constraint": 1,
    "create_primary_key": 1,
    "drop_constraint": 1,
}
_BATCH_FIXES = {"not-valid"}  # fixes that edit the call itself, so they hold in a batch too


@dataclass(frozen=True, slots=True)
class _Batch:
    """A ``batch_alter_table`` block: its table and ``schema`` arguments, and whether it
    recreates the table (``recreate="always"``)."""

    table: ast.expr
    schema: ast.expr | None
    recreate: bool


def _string(node: ast.AST | None) -> str | None:
    value = literal(node)
    return value if isinstance(value, str) else None
