"""``ALTER TABLE``, ``ALTER INDEX ... RENAME`` and ``DROP TABLE|INDEX`` of common shapes -> the
facts ddl.py and alter.py give.

An ``ALTER TABLE`` here is one or more of ``ADD [COLUMN]``, ``ADD`` a table constraint
(optionally ``NOT VALID``), ``ALTER [COLUMN] ... SET DEFAULT | DROP DEFAULT | SET NOT NULL |
DROP NOT NULL | [SET DATA] TYPE ... [USING ...]`` and ``DROP COLUMN|CONSTRAINT``, or one
``RENAME``. As in the sqlglot path, the ``ADD`` facts come first, then the others, each with the
span of its own sub-command. Anything else raises :class:`Decline`.
"""

from __future__ import annotations

from collections.abc import Callable

from dbsense.analyzers.ir import (
    AddColumnFact,
    AddConstraintFact,
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
    RenameIndexFact,
    RenameTableFact,
    Span,
)
from dbsense.analyzers.sql.fast_ddl import column_definition, column_type, table_constraint
from dbsense.analyzers.sql.fast_expressions import condition, operand
from dbsense.analyzers.sql.reader import Decline, Reader

# A sub-command read up to its end: the fact it gives once its span and context are known.
_Pending = Callable[[Span, QualifiedName, bool], Fact]
_CONSTRAINT_STARTS = ("CONSTRAINT", "PRIMARY KEY", "UNIQUE", "FOREIGN KEY", "CHECK")


def alter_table(reader: Reader) -> list[Fact]:
    reader.expect("ALTER", "TABLE")
    reader.accept("IF", "EXISTS")
    reader.accept("ONLY")
    table, _ = reader.qualified()
    created = table in reader.created
    if reader.at("RENAME"):
        return _rename(reader, table, created)
    not_valid = _ends_not_valid(reader)
    added: list[Fact] = []
    pending: list[tuple[int, _Pending]] = []
    while True:
        first = reader.pos
        if reader.accept("ADD"):
            if reader.at("CHECK"):
                raise Decline  # sqlglot reads an unnamed ``ADD CHECK`` as a command
            if reader.at(*_CONSTRAINT_STARTS):
                constraint = table_constraint(reader, not_valid)
                fact = AddConstraintFact(
                    reader.statement, reader.origin, table, constraint, created
                )
            else:
                reader.accept("COLUMN")
                column = column_definition(reader)
                fact = AddColumnFact(reader.statement, reader.origin, table, column, created)
            added.append(fact)
        elif reader.accept("ALTER"):
            pending.append((first, _alter_column(reader)))
        elif reader.accept("DROP"):
            pending.append((first, _drop(reader)))
        else:
            raise Decline
        if not reader.accept(","):
            break
    if not_valid:
        reader.expect("NOT", "VALID")
        if pending or len(added) != 1 or not isinstance(added[0], AddConstraintFact):
            raise Decline
    reader.end()
    facts = added
    for first, make in pending:
        facts.append(make(_action_span(reader, first), table, created))
    return facts


def _ends_not_valid(reader: Reader) -> bool:
    """Whether the statement ends with ``NOT VALID`` (sqlglot marks the whole ``ALTER``)."""
    lexemes = reader.lexemes
    end = len(lexemes) - (1 if lexemes[-1][1] == ";" else 0)
    return end >= 2 and lexemes[end - 2][1] == "NOT" and lexemes[end - 1][1] == "VALID"


def _alter_column(reader: Reader) -> _Pending:
    reader.accept("COLUMN")
    if reader.peek() is not None and reader.peek()[1].upper() == "TYPE":
        raise Decline  # alter.py finds the type after the first word ``TYPE``
    column = reader.name()
    origin, statement = reader.origin, reader.statement
    if reader.accept("SET", "DEFAULT"):
        default = operand(reader).sql
        return lambda span, table, created: AlterColumnDefaultFact(
            statement, origin, table, column, span, default, created
        )
    if reader.accept("DROP", "DEFAULT"):
        return lambda span, table, created: AlterColumnDefaultFact(
            statement, origin, table, column, span, None, created
        )
    for words, not_null in ((("SET", "NOT", "NULL"), True), (("DROP", "NOT", "NULL"), False)):
        if reader.accept(*words):
            return lambda span, table, created, flag=not_null: AlterColumnNullFact(
                statement, origin, table, column, span, flag, created
            )
    if reader.accept("SET", "DATA", "TYPE") or reader.accept("TYPE"):
        type_ = column_type(reader)
        using = condition(reader).sql if reader.accept("USING") else None
        return lambda span, table, created: AlterColumnTypeFact(
            statement, origin, table, column, span, type_, using, created
        )
    raise Decline


def _drop(reader: Reader) -> _Pending:
    if reader.accept("COLUMN"):
        kind = "COLUMN"
    else:
        reader.expect("CONSTRAINT")
        kind = "CONSTRAINT"
    if_exists = reader.accept("IF", "EXISTS")
    name = reader.name()
    cascade = reader.accept("CASCADE")
    if not cascade:
        reader.accept("RESTRICT")
    origin, statement = reader.origin, reader.statement
    fact = DropColumnFact if kind == "COLUMN" else DropConstraintFact
    return lambda span, table, created: fact(
        statement, origin, table, name, span, cascade, if_exists, created
    )


def _rename(reader: Reader, table: QualifiedName, created: bool) -> list[Fact]:
    first = reader.pos
    reader.expect("RENAME")
    if reader.accept("TO"):
        new_name = reader.name()
        reader.end()
        if created:
            reader.created.add(QualifiedName(new_name, table.schema))
        span = _action_span(reader, first)
        return [RenameTableFact(reader.statement, reader.origin, table, new_name, span, created)]
    reader.accept("COLUMN")
    old = reader.name()
    reader.expect("TO")
    new = reader.name()
    reader.end()
    span = _action_span(reader, first)
    return [RenameColumnFact(reader.statement, reader.origin, table, old, new, span, created)]


def _action_span(reader: Reader, first: int) -> Span:
    """The span of the sub-command starting at lexeme ``first``: to the last lexeme before the
    next comma at depth 0 (or the end of the statement)."""
    depth = 0
    last = first
    for index in range(first, len(reader.lexemes)):
        value = reader.lexemes[index][1]
        if value == ";" and depth == 0:
            break
        if value in ("(", "["):
            depth += 1
        elif value in (")", "]"):
            depth = max(depth - 1, 0)
        elif value == "," and depth == 0:
            break
        last = index
    return reader.span_of(first, last)


def alter_index(reader: Reader) -> list[Fact]:
    """``ALTER INDEX [IF EXISTS] name RENAME TO new``."""
    reader.expect("ALTER", "INDEX")
    reader.accept("IF", "EXISTS")
    index, _ = reader.qualified()
    reader.expect("RENAME", "TO")
    new_name, _ = reader.qualified()
    reader.end()
    return [RenameIndexFact(reader.statement, reader.origin, index, new_name.name)]


def drop(reader: Reader) -> list[Fact]:
    """``DROP TABLE [IF EXISTS] name [, ...]`` or ``DROP INDEX [CONCURRENTLY] [IF EXISTS]
    name``, then ``CASCADE``/``RESTRICT``."""
    reader.expect("DROP")
    keyword = reader.peek()
    is_index = reader.accept("INDEX")
    if not is_index:
        reader.expect("TABLE")
    concurrently = is_index and reader.accept("CONCURRENTLY")
    if_exists = reader.accept("IF", "EXISTS")
    targets = [reader.qualified()]
    while not is_index and reader.accept(","):
        targets.append(reader.qualified())
    cascade = reader.accept("CASCADE")
    if not cascade:
        reader.accept("RESTRICT")
    reader.end()
    statement, origin = reader.statement, reader.origin
    if is_index:
        insert_at = reader.base + keyword[3]
        ((index, span),) = targets
        return [
            DropIndexFact(
                statement, origin, index, span, concurrently, if_exists, cascade, insert_at
            )
        ]
    facts: list[Fact] = []
    for table, span in targets:
        created = table in reader.created
        reader.created.discard(table)
        facts.append(DropTableFact(statement, origin, table, span, cascade, if_exists, created))
    return facts
