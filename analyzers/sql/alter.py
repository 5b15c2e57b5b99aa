"""ALTER TABLE sub-commands, DROP TABLE and DROP INDEX -> facts.

ddl.py covers ``ADD COLUMN``/``ADD CONSTRAINT`` and commands.py the forms sqlglot leaves as an
opaque ``exp.Command`` (``VALIDATE CONSTRAINT``); this module the other sub-commands. Each gets
the span of its own text (``ALTER COLUMN c TYPE bigint``), found by splitting the tokens after
the table name at top-level commas.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from dbsense.analyzers.ir import (
    AlterColumnDefaultFact,
    AlterColumnNullFact,
    AlterColumnTypeFact,
    DropColumnFact,
    DropConstraintFact,
    DropIndexFact,
    DropTableFact,
    Fact,
    QualifiedName,
    RenameColumnFact,
    RenameTableFact,
    Span,
    TypeRef,
)
from dbsense.analyzers.sql.ddl import StatementScope, qualified_name
from dbsense.analyzers.sql.types import expression_sql, type_ref

_OPEN = {TokenType.L_PAREN, TokenType.L_BRACKET}
_CLOSE = {TokenType.R_PAREN, TokenType.R_BRACKET}
_TYPE_END_WORDS = {"USING", "COLLATE"}


@dataclass(frozen=True, slots=True)
class _Action:
    """The tokens of one sub-command (``tokens[first:last + 1]``)."""

    tokens: Sequence[Token]

    @property
    def words(self) -> list[str]:
        return [token.text.upper() for token in self.tokens]

    def local_span(self) -> tuple[int, int]:
        return self.tokens[0].start, self.tokens[-1].end + 1


def alter_facts(
    tree: exp.Expression, scope: StatementScope, statement_span: Span
) -> Iterator[Fact]:
    """Facts of a parsed ``ALTER TABLE`` (the sub-commands ddl.py does not cover) or ``DROP``."""
    if isinstance(tree, exp.Alter) and (tree.args.get("kind") or "").upper() == "TABLE":
        yield from _alter_table(tree, scope, statement_span)
    elif isinstance(tree, exp.Drop):
        kind = (tree.args.get("kind") or "").upper()
        if kind == "TABLE":
            yield from _drop_tables(tree, scope, statement_span)
        elif kind == "INDEX":
            yield from _drop_indexes(tree, scope, statement_span)


# --- parsed ALTER TABLE ------------------------------------------------------------------------


def _alter_table(tree: exp.Alter, scope: StatementScope, statement_span: Span) -> Iterator[Fact]:
    table = qualified_name(tree.this)
    header = _header(scope.tokens.tokens)
    if table is None or header is None:
        return
    created = table in scope.created_tables
    actions = tree.args.get("actions") or []
    ranges = _actions(scope.tokens.tokens, header[1])
    for position, action in enumerate(actions):
        tokens = ranges[position] if len(ranges) == len(actions) else None
        span = scope.span(*tokens.local_span()) if tokens else statement_span
        if isinstance(action, exp.AlterColumn):
            yield from _alter_column(action, tokens, table, created, span, scope, statement_span)
        elif isinstance(action, exp.RenameColumn):
            old, new = action.this, action.args.get("to")
            if isinstance(old, exp.Column) and isinstance(new, exp.Column):
                yield RenameColumnFact(
                    statement_span,
                    scope.origin,
                    table,
                    _fold(old.this),
                    _fold(new.this),
                    span,
                    created,
                )
        elif isinstance(action, exp.AlterRename):
            yield from _rename(tree, action, table, created, span, scope, statement_span)
        elif isinstance(action, exp.Drop):
            yield from _drop_in_alter(action, table, created, span, scope, statement_span)


def _alter_column(
    action: exp.AlterColumn,
    tokens: _Action | None,
    table: QualifiedName,
    created: bool,
    span: Span,
    scope: StatementScope,
    statement_span: Span,
) -> Iterator[Fact]:
    column = _fold(action.this)
    origin = scope.origin
    data_type = action.args.get("dtype")
    if isinstance(data_type, exp.DataType):
        using = action.args.get("using")
        using_sql = using.sql(dialect="postgres") if isinstance(using, exp.Expression) else None
        type_ = _type_after_keyword(data_type, tokens, scope) if tokens else None
        yield AlterColumnTypeFact(
            statement_span, origin, table, column, span, type_, using_sql, created
        )
    elif "allow_null" in action.args and action.args["allow_null"] is not None:
        not_null = not action.args["allow_null"]
        yield AlterColumnNullFact(statement_span, origin, table, column, span, not_null, created)
    elif isinstance(action.args.get("default"), exp.Expression):
        default = expression_sql(action.args["default"])
        yield AlterColumnDefaultFact(statement_span, origin, table, column, span, default, created)
    elif action.args.get("drop"):
        yield AlterColumnDefaultFact(statement_span, origin, table, column, span, None, created)


def _type_after_keyword(
    data_type: exp.DataType, action: _Action, scope: StatementScope
) -> TypeRef | None:
    """The type written after ``TYPE`` in ``action``, up to ``USING``/``COLLATE``."""
    words = action.words
    if "TYPE" not in words:
        return None
    tokens = action.tokens[words.index("TYPE") + 1 :]
    kept: list[Token] = []
    depth = 0
    for token in tokens:
        if token.token_type in _OPEN:
            depth += 1
        elif token.token_type in _CLOSE:
            depth -= 1
        elif depth == 0 and token.text.upper() in _TYPE_END_WORDS:
            break
        kept.append(token)
    if not kept:
        return None
    start, end = kept[0].start, kept[-1].end + 1
    return type_ref(data_type, scope.text[start:end], scope.span(start, end))


def _rename(
    tree: exp.Alter,
    action: exp.AlterRename,
    table: QualifiedName,
    created: bool,
    span: Span,
    scope: StatementScope,
    statement_span: Span,
) -> Iterator[Fact]:
    target = action.this
    if not isinstance(target, exp.Table):
        return
    # ``RENAME a TO b`` (no COLUMN keyword) comes back as a rename with a TO option.
    to = next(
        (o for o in tree.args.get("options") or () if isinstance(o, exp.ToTableProperty)), None
    )
    if to is not None and isinstance(to.this, exp.Table):
        old, new = _fold(target.this), _fold(to.this.this)
        yield RenameColumnFact(statement_span, scope.origin, table, old, new, span, created)
        return
    new_name = _fold(target.this)
    if created:
        scope.created_tables.add(QualifiedName(new_name, table.schema))
    yield RenameTableFact(statement_span, scope.origin, table, new_name, span, created)


def _drop_in_alter(
    action: exp.Drop,
    table: QualifiedName,
    created: bool,
    span: Span,
    scope: StatementScope,
    statement_span: Span,
) -> Iterator[Fact]:
    kind = (action.args.get("kind") or "").upper()
    cascade = bool(action.args.get("cascade"))
    if_exists = bool(action.args.get("exists"))
    for target in action.args.get("tables") or ():
        name = _fold(target.this) if isinstance(target, exp.Column | exp.Table) else None
        if name is None:
            continue
        if kind == "COLUMN":
            yield DropColumnFact(
                statement_span, scope.origin, table, name, span, cascade, if_exists, created
            )
        elif kind == "CONSTRAINT":
            yield DropConstraintFact(
                statement_span, scope.origin, table, name, span, cascade, if_exists, created
            )


# --- DROP TABLE / DROP INDEX -------------------------------------------------------------------


def _drop_tables(tree: exp.Drop, scope: StatementScope, statement_span: Span) -> Iterator[Fact]:
    cascade = bool(tree.args.get("cascade"))
    if_exists = bool(tree.args.get("exists"))
    for target in tree.args.get("tables") or ():
        table = qualified_name(target)
        if table is None:
            continue
        span = _name_span(target, scope) or statement_span
        created = table in scope.created_tables
        scope.created_tables.discard(table)
        yield DropTableFact(statement_span, scope.origin, table, span, cascade, if_exists, created)


def _drop_indexes(tree: exp.Drop, scope: StatementScope, statement_span: Span) -> Iterator[Fact]:
    keyword = scope.tokens.keyword("INDEX")
    insert_at = scope.base + keyword.end + 1 if keyword is not None else None
    for target in tree.args.get("tables") or ():
        index = qualified_name(target)
        if index is None:
            continue
        yield DropIndexFact(
            statement_span,
            scope.origin,
            index,
            _name_span(target, scope) or statement_span,
            concurrently=bool(tree.args.get("concurrently")),
            if_exists=bool(tree.args.get("exists")),
            cascade=bool(tree.args.get("cascade")),
            concurrently_insert_at=insert_at,
        )


def _name_span(target: exp.Expression, scope: StatementScope) -> Span | None:
    if not isinstance(target, exp.Table):
        return None
    name = scope.node_span(target.this)
    schema = target.args.get("db")
    schema_span = scope.node_span(schema) if schema is not None else None
    if name is not None and schema_span is not None:
        return Span(schema_span.start, name.end)
    return name


# --- token level -------------------------------------------------------------------------------


def _header(tokens: Sequence[Token]) -> tuple[QualifiedName, int] | None:
    """``ALTER TABLE [IF EXISTS] [ONLY] name [*]``: the table and the index of the next token."""
    words = [token.text.upper() for token in tokens]
    if words[:2] != ["ALTER", "TABLE"]:
        return None
    position = 2
    if words[position : position + 2] == ["IF", "EXISTS"]:
        position += 2
    if position < len(words) and words[position] == "ONLY":
        position += 1
    parts: list[str] = []
    while position < len(tokens):
        parts.append(_token_name(tokens[position]))
        position += 1
        if position < len(tokens) and tokens[position].token_type == TokenType.DOT:
            position += 1
            continue
        break
    if position < len(tokens) and tokens[position].token_type == TokenType.STAR:
        position += 1
    if not parts or len(parts) > 3:
        return None
    schema = parts[-2] if len(parts) > 1 else None
    return QualifiedName(parts[-1], schema), position


def _actions(tokens: Sequence[Token], first: int) -> list[_Action]:
    """The sub-commands after the table name, split at top-level commas."""
    actions: list[_Action] = []
    current: list[Token] = []
    depth = 0
    for token in tokens[first:]:
        if token.token_type == TokenType.SEMICOLON and depth == 0:
            break
        if token.token_type in _OPEN:
            depth += 1
        elif token.token_type in _CLOSE:
            depth = max(depth - 1, 0)
        elif token.token_type == TokenType.COMMA and depth == 0:
            if current:
                actions.append(_Action(current))
            current = []
            continue
        current.append(token)
    if current:
        actions.append(_Action(current))
    return actions


def _token_name(token: Token) -> str:
    """Postgres folds unquoted identifiers to lower case."""
    return token.text if token.token_type == TokenType.IDENTIFIER else token.text.lower()


def _fold(node: exp.Expression) -> str:
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    if isinstance(node, exp.Column | exp.Table):
        return _fold(node.this)
    return node.name.lower()
