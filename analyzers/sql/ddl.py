"""sqlglot DDL trees -> dbsense facts with exact spans."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from sqlglot import exp

from dbsense.analyzers.ir import (
    AddColumnFact,
    AddConstraintFact,
    ColumnDef,
    ColumnRefFact,
    ConstraintDef,
    CreateDomainFact,
    CreateEnumFact,
    CreateFunctionFact,
    CreateIndexFact,
    CreateSchemaFact,
    CreateTableFact,
    CreateViewFact,
    Fact,
    ForeignKeyDef,
    IndexKey,
    QualifiedName,
    RenameIndexFact,
    Span,
)
from dbsense.analyzers.sql.tokens import TokenIndex
from dbsense.analyzers.sql.types import expression_sql, type_ref


@dataclass(slots=True)
class StatementScope:
    """What DDL extraction needs to know about the statement and its unit."""

    text: str  # the statement text
    base: int  # offset of the statement in the host document
    tokens: TokenIndex
    origin: str
    created_tables: set[QualifiedName]  # tables created earlier in the same unit

    def span(self, start: int, end: int) -> Span:
        return Span(self.base + start, self.base + end)

    def node_span(self, node: exp.Expression) -> Span | None:
        meta = node.meta if isinstance(node, exp.Identifier) else None
        if not meta or "start" not in meta:
            return None
        return self.span(meta["start"], meta["end"] + 1)


def ddl_facts(tree: exp.Expression, scope: StatementScope, statement_span: Span) -> Iterator[Fact]:
    """The DDL facts of one parsed statement."""
    kind = (tree.args.get("kind") or "").upper()
    if isinstance(tree, exp.Create):
        if kind == "TABLE":
            yield from _create_table(tree, scope, statement_span)
        elif kind == "INDEX":
            fact = _create_index(tree, scope, statement_span)
            if fact is not None:
                yield fact
                yield from _index_columns(tree, fact.table, scope)
        elif kind == "SCHEMA":
            yield from _create_schema(tree, scope, statement_span)
        elif kind == "VIEW":
            yield from _create_view(tree, scope, statement_span)
        elif kind == "TYPE":
            yield from _create_type(tree, scope, statement_span)
    elif isinstance(tree, exp.Alter) and kind == "TABLE":
        yield from _alter_table(tree, scope, statement_span)
    elif isinstance(tree, exp.Alter) and kind == "INDEX":
        yield from _alter_index(tree, scope, statement_span)


def _create_schema(
    tree: exp.Create, scope: StatementScope, statement_span: Span
) -> Iterator[CreateSchemaFact]:
    target = tree.this
    node = target.args.get("db") if isinstance(target, exp.Table) else None
    if node is not None:
        exists = bool(tree.args.get("exists"))
        yield CreateSchemaFact(statement_span, scope.origin, _ident(node), exists)


def _create_view(
    tree: exp.Create, scope: StatementScope, statement_span: Span
) -> Iterator[CreateViewFact]:
    target = tree.this
    table_node = target.this if isinstance(target, exp.Schema) else target
    view = qualified_name(table_node)
    if view is None:
        return
    properties = tree.args.get("properties")
    materialized = any(
        isinstance(prop, exp.MaterializedProperty)
        for prop in (properties.expressions if properties else ())
    )
    yield CreateViewFact(
        span=statement_span,
        origin=scope.origin,
        view=view,
        name_span=_table_span(table_node, scope) or statement_span,
        materialized=materialized,
        or_replace=bool(tree.args.get("replace")),
    )


def _create_type(
    tree: exp.Create, scope: StatementScope, statement_span: Span
) -> Iterator[CreateEnumFact]:
    name = qualified_name(tree.this)
    body = tree.args.get("expression")
    if name is None or not isinstance(body, exp.DataType) or body.this != exp.DataType.Type.ENUM:
        return
    labels = tuple(label.name for label in body.expressions if isinstance(label, exp.Literal))
    yield CreateEnumFact(statement_span, scope.origin, name, labels)


def _alter_index(tree: exp.Alter, scope: StatementScope, statement_span: Span) -> Iterator[Fact]:
    index = qualified_name(tree.this)
    for action in tree.args.get("actions") or ():
        if index is not None and isinstance(action, exp.AlterRename):
            new_name = qualified_name(action.this)
            if new_name is not None:
                yield RenameIndexFact(statement_span, scope.origin, index, new_name.name)


_NAME_FIELDS = {
    CreateTableFact: "table",
    CreateIndexFact: "table",
    CreateViewFact: "view",
    CreateEnumFact: "type",
    CreateDomainFact: "domain",
    CreateFunctionFact: "function",
}


def in_schema(fact: Fact, schema: str) -> Fact:
    """``fact`` with the unqualified name of the object it creates placed in ``schema`` (the
    elements of ``CREATE SCHEMA s CREATE TABLE t ...``)."""
    name_field = _NAME_FIELDS.get(type(fact))
    name = getattr(fact, name_field) if name_field else None
    if not isinstance(name, QualifiedName) or name.schema is not None:
        return fact
    return replace(fact, **{name_field: QualifiedName(name.name, schema)})


def qualified_name(table: exp.Table | None) -> QualifiedName | None:
    if not isinstance(table, exp.Table) or not table.name:
        return None
    schema = table.args.get("db")
    return QualifiedName(_ident(table.this), _ident(schema) if schema is not None else None)


def _ident(node: exp.Expression) -> str:
    """Postgres folds unquoted identifiers to lower case."""
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    return node.name.lower()


def _create_table(
    tree: exp.Create, scope: StatementScope, statement_span: Span
) -> Iterator[CreateTableFact]:
    target = tree.this
    schema_node = target if isinstance(target, exp.Schema) else None
    table_node = schema_node.this if schema_node is not None else target
    table = qualified_name(table_node)
    if table is None:
        return
    columns: list[ColumnDef] = []
    constraints: list[ConstraintDef] = []
    like: list[QualifiedName] = []
    for element in schema_node.expressions if schema_node is not None else ():
        if isinstance(element, exp.LikeProperty):
            source = qualified_name(element.this)
            if source is not None:
                like.append(source)
        elif isinstance(element, exp.ColumnDef):
            column = _column(element, scope)
            if column is not None:
                columns.append(column)
        else:
            constraint = _table_constraint(element, scope)
            if constraint is not None:
                constraints.append(constraint)
    properties = tree.args.get("properties")
    partition_of = None
    partitioned = False
    temporary = False
    for prop in properties.expressions if properties else ():
        if isinstance(prop, exp.PartitionedOfProperty):
            partition_of = qualified_name(prop.this)
        elif isinstance(prop, exp.PartitionedByProperty):
            partitioned = True
        elif isinstance(prop, exp.TemporaryProperty):
            temporary = True
    scope.created_tables.add(table)
    name_span = _table_span(table_node, scope) or statement_span
    insert_at, separator = _element_insertion(scope, name_span, columns, constraints)
    yield CreateTableFact(
        span=statement_span,
        origin=scope.origin,
        table=table,
        name_span=name_span,
        columns=tuple(columns),
        constraints=tuple(constraints),
        temporary=temporary,
        if_not_exists=bool(tree.args.get("exists")),
        partition_of=partition_of,
        partitioned=partitioned,
        like=tuple(like),
        element_insert_at=insert_at,
        element_separator=separator,
    )


def _element_insertion(
    scope: StatementScope,
    name_span: Span,
    columns: list[ColumnDef],
    constraints: list[ConstraintDef],
) -> tuple[int | None, str]:
    """Where a new first table element goes, and what separates it from the current first one
    (``", "``, or a newline with the elements' indentation)."""
    paren = scope.tokens.keyword("(", name_span.end - scope.base)
    if paren is None:
        return None, ""
    starts = [c.name_span.start for c in columns] + [c.span.start for c in constraints]
    if not starts:
        return scope.base + paren.end + 1, ""
    first = min(starts)
    gap = scope.text[paren.end + 1 : first - scope.base]
    if "\n" in gap:
        return first, ",\n" + gap.rsplit("\n", 1)[1]
    return first, ", "


def _table_span(table: exp.Expression, scope: StatementScope) -> Span | None:
    if not isinstance(table, exp.Table):
        return None
    name = scope.node_span(table.this)
    schema = table.args.get("db")
    schema_span = scope.node_span(schema) if schema is not None else None
    if name and schema_span:
        return Span(schema_span.start, name.end)
    return name


def _column(node: exp.ColumnDef, scope: StatementScope) -> ColumnDef | None:
    name_span = scope.node_span(node.this)
    if name_span is None:
        return None
    local_name_end = name_span.end - scope.base
    type_ = None
    data_type = node.args.get("kind")
    type_span = scope.tokens.column_type_span(local_name_end)
    if isinstance(data_type, exp.DataType) and type_span is not None:
        raw = scope.text[type_span.start : type_span.end]
        type_ = type_ref(data_type, raw, scope.span(type_span.start, type_span.end))
    nullable, default, primary_key, unique = True, None, False, False
    identity = generated = False
    references: ForeignKeyDef | None = None
    check = None
    column_name = _ident(node.this)
    for constraint in node.args.get("constraints") or ():
        kind = constraint.args.get("kind") if isinstance(constraint, exp.ColumnConstraint) else None
        if isinstance(kind, exp.NotNullColumnConstraint):
            nullable = bool(kind.args.get("allow_null"))
        elif isinstance(kind, exp.DefaultColumnConstraint):
            default = expression_sql(kind.this) if kind.this else None
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            primary_key, nullable = True, False
        elif isinstance(kind, exp.UniqueColumnConstraint):
            unique = True
        elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
            identity, nullable = True, False
            if kind.args.get("expression") is not None:
                identity, generated = False, True
        elif isinstance(kind, exp.ComputedColumnConstraint):
            generated = True
        elif isinstance(kind, exp.CheckColumnConstraint):
            check = expression_sql(kind.this) if kind.this else None
        elif isinstance(kind, exp.Reference):
            label = constraint.this
            references = _reference(kind, (column_name,), _ident(label) if label else None)
    start = name_span.start - scope.base
    return ColumnDef(
        name=column_name,
        name_span=name_span,
        type=type_,
        span=scope.span(start, scope.tokens.element_end(start)),
        nullable=nullable,
        default=default,
        primary_key=primary_key,
        unique=unique,
        identity=identity,
        generated=generated,
        references=references,
        check=check,
    )


def _reference(
    node: exp.Reference, columns: tuple[str, ...], name: str | None = None, not_valid: bool = False
) -> ForeignKeyDef | None:
    target = node.this
    if isinstance(target, exp.Schema):
        ref_table = qualified_name(target.this)
        ref_columns = tuple(_ident(column) for column in target.expressions)
    else:
        ref_table = qualified_name(target)
        ref_columns = ()
    if ref_table is None:
        return None
    return ForeignKeyDef(
        columns=columns,
        ref_table=ref_table,
        ref_columns=ref_columns,
        name=name,
        not_valid=not_valid,
        on_delete=on_delete_action(node.args.get("options") or ()),
    )


def on_delete_action(options: Iterable[object]) -> str | None:
    """The ``ON DELETE`` action among a reference's options (``ON DELETE CASCADE`` ...)."""
    text = " ".join(str(option) for option in options).upper()
    if "ON DELETE" not in text:
        return None
    return text.split("ON DELETE", 1)[1].strip().split(" ON ")[0]


def _table_constraint(
    node: exp.Expression, scope: StatementScope, not_valid: bool = False
) -> ConstraintDef | None:
    name = None
    body = node
    span_node = node
    if isinstance(node, exp.Constraint):
        name = _ident(node.this) if node.this is not None else None
        if not node.expressions:
            return None
        body = node.expressions[0]
    span = _element_span(span_node, scope)
    if isinstance(body, exp.PrimaryKey | exp.PrimaryKeyColumnConstraint):
        columns = tuple(_key_name(column) for column in body.expressions)
        include = _include(body)
        return ConstraintDef("primary-key", span, name, columns, include=include)
    if isinstance(body, exp.UniqueColumnConstraint):
        target = body.this
        items = target.expressions if isinstance(target, exp.Schema) else ()
        columns = tuple(_key_name(column) for column in items)
        return ConstraintDef("unique", span, name, columns, include=_include(body))
    if isinstance(body, exp.ForeignKey):
        columns = tuple(_key_name(column) for column in body.expressions)
        reference = body.args.get("reference")
        if not isinstance(reference, exp.Reference):
            return None
        fk = _reference(reference, columns, name, not_valid)
        if fk is None:
            return None
        return ConstraintDef("foreign-key", span, name, columns, fk, not_valid=not_valid)
    if isinstance(body, exp.CheckColumnConstraint):
        expression = body.this.sql(dialect="postgres") if body.this is not None else None
        return ConstraintDef("check", span, name, expression=expression, not_valid=not_valid)
    if isinstance(body, exp.ExcludeColumnConstraint):
        return ConstraintDef("exclude", span, name, not_valid=not_valid)
    return None


def _include(node: exp.Expression) -> tuple[str, ...]:
    params = node.args.get("include")
    if not isinstance(params, exp.IndexParameters):
        return ()
    return tuple(_key_name(column) for column in params.args.get("include") or ())


def _key_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Ordered):
        node = node.this
    if isinstance(node, exp.Column):
        return _ident(node.this)
    return _ident(node) if isinstance(node, exp.Identifier) else node.sql(dialect="postgres")


def _element_span(node: exp.Expression, scope: StatementScope) -> Span:
    """Span of a table element, found from the first identifier inside it."""
    starts = [
        ident.meta["start"]
        for ident in node.find_all(exp.Identifier)
        if ident.meta and "start" in ident.meta
    ]
    if not starts:
        return scope.span(0, len(scope.text))
    first_ident = min(starts)
    # Walk back to the keyword that opens the element (CONSTRAINT/PRIMARY/FOREIGN/UNIQUE/CHECK).
    # An unnamed constraint's first identifier sits in its own list (``FOREIGN KEY (a)``).
    tokens = scope.tokens.tokens
    index = scope.tokens.index_at(first_ident)
    start = first_ident
    for position in range(index - 1, -1, -1):
        token = tokens[position]
        before = tokens[position - 1].text.upper() if position else ""
        if token.text == "(" and before.split(" ")[-1] in {
            "KEY",
            "UNIQUE",
            "CHECK",
            "EXCLUDE",
            "(",
        }:
            start = token.start
            continue
        if token.text in {",", "("} or token.text.upper() in {"ADD", "TABLE"}:
            break
        start = token.start
    return scope.span(start, scope.tokens.element_end(start))


def _create_index(
    tree: exp.Create, scope: StatementScope, statement_span: Span
) -> CreateIndexFact | None:
    index = tree.this
    if not isinstance(index, exp.Index):
        return None
    table_node = index.args.get("table")
    table = qualified_name(table_node)
    if table is None:
        return None
    params = index.args.get("params")
    keys: list[IndexKey] = []
    include: tuple[str, ...] = ()
    where = None
    method = "btree"
    calls: list[str] = []
    if isinstance(params, exp.IndexParameters):
        using = params.args.get("using")
        if using is not None:
            method = using.name.lower()
        for ordered in params.args.get("columns") or ():
            keys.append(_index_key(ordered))
            calls.extend(_function_names(ordered))
        include = tuple(_key_name(column) for column in params.args.get("include") or ())
        predicate = params.args.get("where")
        if isinstance(predicate, exp.Where):
            where = predicate.this.sql(dialect="postgres")
            calls.extend(_function_names(predicate))
    keyword = scope.tokens.keyword("INDEX")
    name_node = index.this
    return CreateIndexFact(
        span=statement_span,
        origin=scope.origin,
        name=_ident(name_node) if name_node is not None else None,
        table=table,
        table_span=_table_span(table_node, scope) or statement_span,
        keys=tuple(keys),
        unique=bool(tree.args.get("unique")),
        concurrently=bool(tree.args.get("concurrently")),
        method=method,
        include=include,
        where=where,
        if_not_exists=bool(tree.args.get("exists")),
        concurrently_insert_at=scope.base + keyword.end + 1 if keyword else None,
        table_created_in_unit=table in scope.created_tables,
        function_calls=tuple(calls),
    )


def _index_columns(
    tree: exp.Create, table: QualifiedName, scope: StatementScope
) -> Iterator[ColumnRefFact]:
    """The columns an index names in its keys, key expressions, INCLUDE and predicate."""
    params = tree.this.args.get("params") if isinstance(tree.this, exp.Index) else None
    if not isinstance(params, exp.IndexParameters):
        return
    parts = [*(params.args.get("columns") or ()), *(params.args.get("include") or ())]
    if params.args.get("where") is not None:
        parts.append(params.args["where"])
    for part in parts:
        for node in part.find_all(exp.Column, exp.Identifier):
            if isinstance(node, exp.Column):
                continue
            parent = node.parent
            if isinstance(parent, exp.Column) and parent.this is not node:
                continue  # a qualifier (``t.col``), not the column
            if not isinstance(parent, exp.Column) and not _bare_key(node, params):
                continue
            span = scope.node_span(node)
            if span is not None:
                yield ColumnRefFact(span, scope.origin, table, _ident(node))


def _bare_key(node: exp.Identifier, params: exp.IndexParameters) -> bool:
    """An INCLUDE entry is a bare identifier rather than a column node."""
    return any(node is item for item in params.args.get("include") or ())


def _index_key(ordered: exp.Expression) -> IndexKey:
    descending = False
    nulls_first = None
    node = ordered
    if isinstance(ordered, exp.Ordered):
        descending = bool(ordered.args.get("desc"))
        nulls_first = ordered.args.get("nulls_first") if descending else None
        node = ordered.this
    opclass = collation = None
    if isinstance(node, exp.Opclass):
        opclass = node.expression.name.lower()
        node = node.this
    if isinstance(node, exp.Collate):
        collation = node.expression.name
        node = node.this
    column = _ident(node.this) if isinstance(node, exp.Column) else None
    return IndexKey(
        expression=column or node.sql(dialect="postgres"),
        column=column,
        opclass=opclass,
        collation=collation,
        descending=descending,
        nulls_first=nulls_first,
        label=column or _key_label(node),
    )


def _key_label(node: exp.Expression) -> str:
    """The column name Postgres derives for an index expression: a function's name, a cast's
    operand, ``case``, else ``expr``."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column):
        return _ident(node.this)
    if isinstance(node, exp.Cast):
        inner = node.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.Column | exp.Func | exp.Cast):
            return _key_label(inner)
        return node.to.sql(dialect="postgres").split("(")[0].split()[-1].lower()
    if isinstance(node, exp.Case):
        return "case"
    if isinstance(node, exp.Func):
        head = node.sql(dialect="postgres").split("(", 1)[0].strip()
        if head and head.replace("_", "").replace(".", "").isalnum():
            return head.split(".")[-1].lower()
    return "expr"


def _function_names(node: exp.Expression) -> list[str]:
    names = []
    for call in node.find_all(exp.Func):
        if isinstance(call, exp.Anonymous):
            names.append(str(call.this).lower())
        else:
            names.append(call.sql_name().lower())
    return names


def _alter_table(tree: exp.Alter, scope: StatementScope, statement_span: Span) -> Iterator[Fact]:
    table = qualified_name(tree.this)
    if table is None:
        return
    created = table in scope.created_tables
    not_valid = bool(tree.args.get("not_valid"))
    for action in tree.args.get("actions") or ():
        if isinstance(action, exp.ColumnDef):
            column = _column(action, scope)
            if column is not None:
                yield AddColumnFact(
                    span=statement_span,
                    origin=scope.origin,
                    table=table,
                    column=column,
                    table_created_in_unit=created,
                )
        elif isinstance(action, exp.AddConstraint):
            for element in action.expressions:
                constraint = _table_constraint(element, scope, not_valid)
                if constraint is not None:
                    yield AddConstraintFact(
                        span=statement_span,
                        origin=scope.origin,
                        table=table,
                        constraint=constraint,
                        table_created_in_unit=created,
                    )
