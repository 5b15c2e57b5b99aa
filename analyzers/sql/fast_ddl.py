"""``CREATE TABLE`` and ``CREATE INDEX`` of common shapes -> the facts ddl.py gives.

The readers here take the lexemes of statements whose shape they know (plain and
schema-qualified names, the usual types, ``NOT NULL``/``DEFAULT``/keys/``REFERENCES``/``CHECK``/
identity columns, table constraints, index keys on columns or simple expressions with a
predicate) and build the same facts ddl.py builds from sqlglot's tree, with the same spans.
Anything else raises :class:`Decline`.
"""

from __future__ import annotations

from sqlglot.tokens import TokenType

from dbsense.analyzers.ir import (
    ColumnDef,
    ColumnRefFact,
    ConstraintDef,
    CreateIndexFact,
    CreateTableFact,
    Fact,
    ForeignKeyDef,
    IndexKey,
    QualifiedName,
    Span,
    TypeRef,
)
from dbsense.analyzers.sql.ddl import on_delete_action
from dbsense.analyzers.sql.fast_expressions import (
    COLUMN,
    FUNCTION,
    PAREN,
    Node,
    columns,
    condition,
    function_names,
    key_label,
    operand,
)
from dbsense.analyzers.sql.reader import END, LITERALS, Decline, Reader
from dbsense.analyzers.sql.types import SERIAL_WORDS

# Written type (upper case, one space between words) -> Postgres name, for the type keywords
# sqlglot reads; any other plain word is a user-defined type named as written. Checked against
# sqlglot by the fast-path tests.
TYPE_NAMES = {
    "INT": "integer",
    "INTEGER": "integer",
    "INT4": "integer",
    "INT2": "smallint",
    "SMALLINT": "smallint",
    "INT8": "bigint",
    "BIGINT": "bigint",
    "SERIAL": "serial",
    "BIGSERIAL": "bigserial",
    "SMALLSERIAL": "smallserial",
    "TEXT": "text",
    "VARCHAR": "character varying",
    "CHARACTER VARYING": "character varying",
    "CHAR VARYING": "character varying",
    "CHAR": "character",
    "CHARACTER": "character",
    "BOOLEAN": "boolean",
    "BOOL": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMPTZ": "timestamp with time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "TIMESTAMP WITHOUT TIME ZONE": "timestamp without time zone",
    "TIME": "time without time zone",
    "TIMETZ": "time with time zone",
    "TIME WITH TIME ZONE": "time with time zone",
    "TIME WITHOUT TIME ZONE": "time without time zone",
    "INTERVAL": "interval",
    "NUMERIC": "numeric",
    "DECIMAL": "numeric",
    "REAL": "real",
    "FLOAT4": "real",
    "FLOAT8": "double precision",
    "FLOAT": "double precision",
    "DOUBLE PRECISION": "double precision",
    "JSON": "json",
    "JSONB": "jsonb",
    "UUID": "uuid",
    "BYTEA": "bytea",
    "INET": "inet",
    "MONEY": "money",
    "XML": "xml",
    "HSTORE": "hstore",
    "INT4RANGE": "int4range",
    "INT8RANGE": "int8range",
    "TSRANGE": "tsrange",
    "TSTZRANGE": "tstzrange",
    "DATERANGE": "daterange",
    "NUMRANGE": "numrange",
    "BIT": "bit",
}
# Types written with a length or precision: ``varchar(40)``, ``numeric(12, 2)``.
_SIZED = {
    "VARCHAR",
    "CHARACTER VARYING",
    "CHAR VARYING",
    "CHAR",
    "CHARACTER",
    "NUMERIC",
    "DECIMAL",
    "BIT",
    "TIMESTAMP",
    "TIMESTAMPTZ",
    "TIME",
    "TIMETZ",
}
_ZONED = {"TIMESTAMP", "TIME"}  # ... WITH[OUT] TIME ZONE
# What may follow a column's type or one of its constraints.
_COLUMN_STOPS = {
    "NOT",
    "NULL",
    "DEFAULT",
    "PRIMARY KEY",
    "UNIQUE",
    "REFERENCES",
    "CHECK",
    "CONSTRAINT",
    "GENERATED",
    ",",
    ")",
    ";",
    END,
}
# Where a column definition ends: the next element, the end of the list or statement.
_ELEMENT_ENDS = {",", ")", ";", END}
_ACTIONS = {"CASCADE": "CASCADE", "RESTRICT": "RESTRICT"}
# An element's first identifier is preceded by one of these words and a parenthesis.
_OPENING_WORDS = {"KEY", "UNIQUE", "CHECK", "EXCLUDE", "("}


def column_type(reader: Reader) -> TypeRef:
    """The type after a column name (or after ``TYPE``), up to the first word that is not
    part of it."""
    first = reader.pos
    lexeme = reader.next()
    if lexeme[0] in LITERALS:
        raise Decline
    written = lexeme[1]
    if written in _ZONED and reader.at("WITH", "WITHOUT"):
        zone = reader.next()[1]
        reader.expect("TIME")
        if not reader.at("ZONE") or reader.peek()[0] != TokenType.VAR:
            raise Decline
        reader.pos += 1
        written = f"{written} {zone} TIME ZONE"
    if lexeme[0] == TokenType.VAR:
        word = lexeme[1].lower()
        name = SERIAL_WORDS.get(word, word)
        if reader.at("."):
            raise Decline
    else:
        name = TYPE_NAMES.get(written)
        if name is None:
            raise Decline
    args: tuple[str, ...] = ()
    if reader.at("("):
        if lexeme[0] != TokenType.VAR and written not in _SIZED:
            raise Decline
        args = _type_arguments(reader)
    array = False
    while reader.accept("["):
        reader.expect("]")
        array = True
    start, end = reader.lexemes[first][2], reader.lexemes[reader.pos - 1][3]
    raw = reader.text[start:end]
    return TypeRef(name=name, raw=raw, span=reader.span(start, end), args=args, array=array)


def _type_arguments(reader: Reader) -> tuple[str, ...]:
    reader.expect("(")
    found = []
    while True:
        number = reader.next()
        if number[0] != TokenType.NUMBER or not number[1].isdigit():
            raise Decline
        found.append(number[1])
        if reader.accept(")"):
            return tuple(found)
        if len(found) == 2:
            raise Decline
        reader.expect(",")


def column_definition(reader: Reader) -> ColumnDef:
    """``name type [constraint ...]``: the column, up to the comma or parenthesis after it."""
    first = reader.pos
    name = reader.name()
    name_lexeme = reader.lexemes[first]
    type_ = column_type(reader)
    nullable, default, primary_key, unique = True, None, False, False
    identity = False
    references: ForeignKeyDef | None = None
    check = None
    words = reader.words
    while True:
        word = words[reader.pos]
        if word in _ELEMENT_ENDS:
            break
        label = None
        if word == "CONSTRAINT":
            reader.pos += 1
            label = reader.name()
            word = words[reader.pos]
        reader.pos += 1
        if word == "NOT":
            reader.expect("NULL")
            nullable = False
        elif word == "NULL":
            nullable = True
        elif word == "DEFAULT":
            default = operand(reader).sql
        elif word == "PRIMARY KEY":
            primary_key, nullable = True, False
        elif word == "UNIQUE":
            unique = True
        elif word == "REFERENCES":
            references = _reference(reader, (name,), label)
        elif word == "CHECK":
            reader.expect("(")
            check = condition(reader).sql
            reader.expect(")")
        elif word == "GENERATED":
            if not (reader.accept("ALWAYS") or reader.accept("BY", "DEFAULT")):
                raise Decline
            reader.expect("AS", "IDENTITY")
            identity, nullable = True, False
        else:
            raise Decline
        if words[reader.pos] not in _COLUMN_STOPS:
            raise Decline
    name_span = reader.span(name_lexeme[2], name_lexeme[3])
    return ColumnDef(
        name=name,
        name_span=name_span,
        type=type_,
        span=reader.span(name_lexeme[2], reader.element_end(first)),
        nullable=nullable,
        default=default,
        primary_key=primary_key,
        unique=unique,
        identity=identity,
        generated=False,
        references=references,
        check=check,
    )


def _reference(
    reader: Reader, columns_: tuple[str, ...], name: str | None, not_valid: bool = False
) -> ForeignKeyDef:
    """After ``REFERENCES``: the table, its columns and the ``ON DELETE``/``ON UPDATE``
    actions."""
    table, _ = reader.qualified()
    ref_columns: tuple[str, ...] = ()
    if reader.at("("):
        ref_columns = tuple(name for name, _ in reader.names())
    options = []
    while reader.at("ON"):
        event = reader.lexemes[reader.pos + 1] if reader.pos + 1 < len(reader.lexemes) else None
        if event is None or event[1] not in ("DELETE", "UPDATE") or event[0] in LITERALS:
            raise Decline
        reader.pos += 2
        written = reader.text[event[2] : event[3]]
        options.append(f"ON {written} {_action(reader)}")
    return ForeignKeyDef(
        columns=columns_,
        ref_table=table,
        ref_columns=ref_columns,
        name=name,
        not_valid=not_valid,
        on_delete=on_delete_action(options),
    )


def _action(reader: Reader) -> str:
    if reader.accept("NO", "ACTION"):
        return "NO ACTION"
    if reader.accept("SET", "NULL"):
        return "SET NULL"
    if reader.accept("SET", "DEFAULT"):
        return "SET DEFAULT"
    for word, action in _ACTIONS.items():
        if reader.accept(word):
            return action
    raise Decline


def table_constraint(reader: Reader, not_valid: bool = False) -> ConstraintDef:
    """``[CONSTRAINT name] PRIMARY KEY (...) | UNIQUE (...) | FOREIGN KEY (...) REFERENCES ...
    | CHECK (...)``, up to the comma or parenthesis after it."""
    start = reader.pos
    name = None
    identifiers: list[int] = []
    if reader.accept("CONSTRAINT"):
        name = reader.name()
        identifiers.append(reader.pos - 1)
    if reader.accept("PRIMARY KEY") or reader.accept("UNIQUE"):
        kind = "primary-key" if reader.lexemes[reader.pos - 1][1] == "PRIMARY KEY" else "unique"
        keys = reader.names()
        identifiers.extend(index for _, index in keys)
        include: tuple[str, ...] = ()
        if reader.accept("INCLUDE"):
            include = tuple(found for found, _ in reader.names())
        span = _element_span(reader, identifiers, start)
        return ConstraintDef(kind, span, name, tuple(key for key, _ in keys), include=include)
    if reader.accept("FOREIGN KEY"):
        keys = reader.names()
        identifiers.extend(index for _, index in keys)
        reader.expect("REFERENCES")
        key_columns = tuple(key for key, _ in keys)
        foreign_key = _reference(reader, key_columns, name, not_valid)
        span = _element_span(reader, identifiers, start)
        return ConstraintDef(
            "foreign-key", span, name, key_columns, foreign_key, not_valid=not_valid
        )
    if reader.accept("CHECK"):
        reader.expect("(")
        expression = condition(reader)
        reader.expect(")")
        identifiers.extend(column.column_index for column in columns(expression))
        span = _element_span(reader, identifiers, start)
        return ConstraintDef("check", span, name, expression=expression.sql, not_valid=not_valid)
    raise Decline


def _element_span(reader: Reader, identifiers: list[int], start: int) -> Span:
    """The span ddl.py's ``_element_span`` gives a table element: from its first identifier
    back to the keyword opening it, then to the end of the element."""
    if not identifiers:
        return reader.span(0, len(reader.text))
    lexemes = reader.lexemes
    index = min(identifiers)
    begin = index
    for position in range(index - 1, -1, -1):
        value = lexemes[position][1]
        before = lexemes[position - 1][1].upper() if position else ""
        if value == "(" and before.split(" ")[-1] in _OPENING_WORDS:
            begin = position
            continue
        if value in (",", "(") or value.upper() in ("ADD", "TABLE"):
            break
        begin = position
    if begin < start:
        raise Decline
    return reader.span(lexemes[begin][2], reader.element_end(begin))


def create_table(reader: Reader) -> list[Fact]:
    """``CREATE TABLE [IF NOT EXISTS] name (element [, ...]) [PARTITION BY ...]`` or ``CREATE
    TABLE name PARTITION OF parent {FOR VALUES ... | DEFAULT}``."""
    reader.expect("CREATE", "TABLE")
    if_not_exists = reader.accept("IF", "NOT", "EXISTS")
    table, name_span = reader.qualified()
    if reader.accept("PARTITION", "OF"):
        return _partition_of(reader, table, name_span, if_not_exists)
    paren = reader.pos
    reader.expect("(")
    defined: list[ColumnDef] = []
    constraints: list[ConstraintDef] = []
    while True:
        if reader.at("CONSTRAINT", "PRIMARY KEY", "UNIQUE", "FOREIGN KEY", "CHECK"):
            constraints.append(table_constraint(reader))
        else:
            defined.append(column_definition(reader))
        if reader.accept(")"):
            break
        reader.expect(",")
    partitioned = reader.accept("PARTITION BY")
    if partitioned:
        if not reader.accept("RANGE") and not reader.accept("LIST"):
            reader.expect("HASH")
        reader.names()
    reader.end()
    insert_at, separator = _element_insertion(reader, reader.lexemes[paren], defined, constraints)
    reader.created.add(table)
    return [
        CreateTableFact(
            span=reader.statement,
            origin=reader.origin,
            table=table,
            name_span=name_span,
            columns=tuple(defined),
            constraints=tuple(constraints),
            if_not_exists=if_not_exists,
            partitioned=partitioned,
            element_insert_at=insert_at,
            element_separator=separator,
        )
    ]


def _partition_of(
    reader: Reader, table: QualifiedName, name_span: Span, if_not_exists: bool
) -> list[Fact]:
    """After ``PARTITION OF``: the parent and its bounds. Where a first element would go is the
    first parenthesis after the name, as ddl.py finds it."""
    parent, _ = reader.qualified()
    paren = None
    if not reader.accept("DEFAULT"):
        reader.expect("FOR", "VALUES")
        paren = reader.pos + 1
        if reader.accept("IN"):
            _bounds(reader)
        else:
            reader.expect("FROM")
            _bounds(reader)
            reader.expect("TO")
            _bounds(reader)
    reader.end()
    reader.created.add(table)
    insert_at = reader.base + reader.lexemes[paren][3] if paren is not None else None
    return [
        CreateTableFact(
            span=reader.statement,
            origin=reader.origin,
            table=table,
            name_span=name_span,
            if_not_exists=if_not_exists,
            partition_of=parent,
            element_insert_at=insert_at,
            element_separator="",
        )
    ]


def _bounds(reader: Reader) -> None:
    """``(literal [, ...])`` of a partition bound."""
    reader.expect("(")
    while True:
        if reader.next()[0] not in (TokenType.STRING, TokenType.NUMBER):
            raise Decline
        if reader.accept(")"):
            return
        reader.expect(",")


def _element_insertion(
    reader: Reader, paren: tuple, defined: list[ColumnDef], constraints: list[ConstraintDef]
) -> tuple[int, str]:
    starts = [column.name_span.start for column in defined]
    starts += [constraint.span.start for constraint in constraints]
    if not starts:
        return reader.base + paren[3], ""
    first = min(starts)
    gap = reader.text[paren[3] : first - reader.base]
    if "\n" in gap:
        return first, ",\n" + gap.rsplit("\n", 1)[1]
    return first, ", "


def create_index(reader: Reader) -> list[Fact]:
    """``CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON table [USING method]
    (key [, ...]) [INCLUDE (...)] [WHERE predicate]``."""
    reader.expect("CREATE")
    unique = reader.accept("UNIQUE")
    keyword = reader.peek()
    reader.expect("INDEX")
    concurrently = reader.accept("CONCURRENTLY")
    if_not_exists = reader.accept("IF", "NOT", "EXISTS")
    name = None
    if not reader.at("ON"):
        name = reader.name()
    elif if_not_exists:
        raise Decline
    reader.expect("ON")
    table, table_span = reader.qualified()
    method = "btree"
    if reader.accept("USING"):
        word = reader.next()
        if word[0] in LITERALS:
            raise Decline
        method = reader.text[word[2] : word[3]].lower()
    reader.expect("(")
    keys: list[IndexKey] = []
    nodes: list[Node] = []
    while True:
        key, node = _index_key(reader)
        keys.append(key)
        nodes.append(node)
        if reader.accept(")"):
            break
        reader.expect(",")
    include: list[tuple[str, int]] = []
    if reader.accept("INCLUDE"):
        include = reader.names()
    where = None
    if reader.accept("WHERE"):
        where = condition(reader)
    reader.end()
    calls = [call for node in nodes for call in function_names(node)]
    if where is not None:
        calls.extend(function_names(where))
    facts: list[Fact] = [
        CreateIndexFact(
            span=reader.statement,
            origin=reader.origin,
            name=name,
            table=table,
            table_span=table_span,
            keys=tuple(keys),
            unique=unique,
            concurrently=concurrently,
            method=method,
            include=tuple(found for found, _ in include),
            where=where.sql if where is not None else None,
            if_not_exists=if_not_exists,
            concurrently_insert_at=reader.base + keyword[3],
            table_created_in_unit=table in reader.created,
            function_calls=tuple(calls),
        )
    ]
    referenced = [column.column_index for node in nodes for column in columns(node)]
    referenced += [index for _, index in include]
    if where is not None:
        referenced += [column.column_index for column in columns(where)]
    for index in referenced:
        lexeme = reader.lexemes[index]
        column = lexeme[1] if lexeme[0] == TokenType.IDENTIFIER else lexeme[1].lower()
        span = reader.span(lexeme[2], lexeme[3])
        facts.append(ColumnRefFact(span, reader.origin, table, column))
    return facts


def _index_key(reader: Reader) -> tuple[IndexKey, Node]:
    """One key: a column, a function call or a parenthesised expression, then ``ASC``/``DESC``
    and ``NULLS FIRST``/``LAST``."""
    node = operand(reader)
    if node.kind not in (COLUMN, PAREN) and not (node.kind == FUNCTION and node.sql[-1] == ")"):
        raise Decline
    descending = reader.accept("DESC")
    if not descending:
        reader.accept("ASC")
    nulls_first = None
    if reader.accept("NULLS"):
        if reader.accept("FIRST"):
            nulls_first = True
        elif reader.accept("LAST"):
            nulls_first = False
        else:
            raise Decline
    elif descending:
        nulls_first = True
    if not reader.at(",", ")"):
        raise Decline
    column = node.column if node.kind == COLUMN else None
    return (
        IndexKey(
            expression=column or node.sql,
            column=column,
            descending=descending,
            nulls_first=nulls_first if descending else None,
            label=column or key_label(node),
        ),
        node,
    )
