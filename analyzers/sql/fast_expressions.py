"""Small expressions (defaults, checks, index keys and predicates) read without sqlglot.

Each :class:`Node` mirrors the sqlglot node the parser would build: its children in sqlglot's
argument order (walks visit them in the same order), its SQL as sqlglot's Postgres generator
spells it, and, for function nodes, the name :func:`ddl._function_names` reports. Only
literals, columns, casts to common types, a few functions, comparisons, ``IS [NOT] NULL``,
``NOT``, ``AND``/``OR`` and parentheses are read; anything else declines.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot.dialects.postgres import Postgres
from sqlglot.tokens import TokenType

from dbsense.analyzers.sql.reader import LITERALS, Decline, Reader

_FUNCTIONS = Postgres.Parser.FUNCTIONS
_FUNCTION_PARSERS = Postgres.Parser.FUNCTION_PARSERS

COLUMN, PAREN, CAST, FUNCTION, OTHER = "column", "paren", "cast", "function", "other"


@dataclass(frozen=True, slots=True)
class Node:
    kind: str
    sql: str
    children: tuple[Node, ...] = ()
    function: str | None = None  # the name reported for a function node (``lower``, ``and``)
    column: str | None = None  # a column's folded name
    column_index: int = -1  # the lexeme of a column's name


def walk(node: Node) -> Iterator[Node]:
    """Breadth first, as sqlglot's ``find_all``."""
    queue = deque([node])
    while queue:
        current = queue.popleft()
        yield current
        queue.extend(current.children)


def function_names(node: Node) -> list[str]:
    return [found.function for found in walk(node) if found.function is not None]


def columns(node: Node) -> list[Node]:
    return [found for found in walk(node) if found.kind == COLUMN]


# Functions read here: upper-case name -> (spelling, reported name); ``None`` spelling means
# "NAME(arguments)". Checked against sqlglot by the fast-path tests.
_KNOWN = {
    "NOW": ("CURRENT_TIMESTAMP", "current_timestamp", 0),
    "LOWER": (None, "lower", 1),
    "UPPER": (None, "upper", 1),
    "GEN_RANDOM_UUID": (None, "uuid", 0),
}
_NO_PAREN = {
    TokenType.CURRENT_TIMESTAMP: "CURRENT_TIMESTAMP",
    TokenType.CURRENT_DATE: "CURRENT_DATE",
}
# Cast targets: written type -> sqlglot's spelling.
CAST_TYPES = {
    "TEXT": "TEXT",
    "JSONB": "JSONB",
    "JSON": "JSON",
    "BIGINT": "BIGINT",
    "INT8": "BIGINT",
    "INTEGER": "INT",
    "INT": "INT",
    "INT4": "INT",
    "SMALLINT": "SMALLINT",
    "DATE": "DATE",
    "UUID": "UUID",
    "BOOLEAN": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMP",
    "TIMESTAMPTZ": "TIMESTAMPTZ",
    "VARCHAR": "VARCHAR",
    "CHARACTER VARYING": "VARCHAR",
    "REGCLASS": "REGCLASS",
}
_COMPARISONS = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def condition(reader: Reader) -> Node:
    """``a OR b``, ``a AND b``, ``NOT a``, a comparison or ``IS [NOT] NULL``."""
    node = _conjunction(reader)
    while reader.accept("OR"):
        right = _conjunction(reader)
        node = Node(OTHER, f"{node.sql} OR {right.sql}", (node, right), "or")
    return node


def _conjunction(reader: Reader) -> Node:
    node = _negation(reader)
    while reader.accept("AND"):
        right = _negation(reader)
        node = Node(OTHER, f"{node.sql} AND {right.sql}", (node, right), "and")
    return node


def _negation(reader: Reader) -> Node:
    if reader.accept("NOT"):
        inner = _comparison(reader)
        return Node(OTHER, f"NOT {inner.sql}", (inner,))
    return _comparison(reader)


def _comparison(reader: Reader) -> Node:
    left = operand(reader)
    lexeme = reader.peek()
    if lexeme is not None and lexeme[0] not in LITERALS:
        operator = _COMPARISONS.get(lexeme[1])
        if operator is not None:
            reader.pos += 1
            right = operand(reader)
            if reader.at(*_COMPARISONS):
                raise Decline  # a chain: sqlglot nests it by precedence
            return Node(OTHER, f"{left.sql} {operator} {right.sql}", (left, right))
    if reader.accept("IS"):
        negated = reader.accept("NOT")
        reader.expect("NULL")
        null = Node(OTHER, "NULL")
        word = "IS NOT NULL" if negated else "IS NULL"
        return Node(OTHER, f"{left.sql} {word}", (left, null))
    return left


def operand(reader: Reader) -> Node:
    """A literal, column, function call or parenthesised condition, with ``::type`` casts."""
    node = _primary(reader)
    while reader.accept("::"):
        target = reader.next()
        spelling = CAST_TYPES.get(target[1]) if target[0] not in LITERALS else None
        if spelling is None or reader.at("(", "["):
            raise Decline
        node = Node(CAST, f"CAST({node.sql} AS {spelling})", (node, Node(OTHER, spelling)), "cast")
    return node


def _primary(reader: Reader) -> Node:
    lexeme = reader.next()
    token_type, value = lexeme[0], lexeme[1]
    if token_type == TokenType.NUMBER:
        return Node(OTHER, value)
    if token_type == TokenType.STRING:
        if not value.isprintable():
            raise Decline
        return Node(OTHER, "'" + value.replace("'", "''") + "'")
    if token_type == TokenType.DASH:
        number = reader.next()
        if number[0] != TokenType.NUMBER or reader.at("::"):
            raise Decline
        return Node(OTHER, "-" + number[1], (Node(OTHER, number[1]),))
    if token_type == TokenType.TRUE or token_type == TokenType.FALSE:
        return Node(OTHER, value)
    if token_type == TokenType.NULL:
        return Node(OTHER, "NULL")
    if token_type in _NO_PAREN and not reader.at("("):
        spelling = _NO_PAREN[token_type]
        return Node(FUNCTION, spelling, (), spelling.lower())
    if token_type == TokenType.L_PAREN:
        inner = condition(reader)
        reader.expect(")")
        return Node(PAREN, f"({inner.sql})", (inner,))
    if token_type == TokenType.VAR and reader.at("("):
        return _call(reader, value, lexeme)
    if token_type == TokenType.VAR or token_type == TokenType.IDENTIFIER:
        if reader.at(".", "("):
            raise Decline
        written = reader.text[lexeme[2] : lexeme[3]]
        name = value.lower() if token_type == TokenType.VAR else value
        identifier = Node(OTHER, written)
        return Node(COLUMN, written, (identifier,), column=name, column_index=reader.pos - 1)
    raise Decline


def _call(reader: Reader, upper: str, lexeme: tuple) -> Node:
    reader.expect("(")
    arguments: list[Node] = []
    if not reader.accept(")"):
        while True:
            arguments.append(condition(reader))
            if reader.accept(")"):
                break
            reader.expect(",")
    inside = ", ".join(argument.sql for argument in arguments)
    known = _KNOWN.get(upper)
    if known is not None:
        spelling, reported, arity = known
        if len(arguments) != arity:
            raise Decline
        sql = spelling if spelling is not None else f"{upper}({inside})"
        return Node(FUNCTION, sql, tuple(arguments), reported)
    if upper in _FUNCTIONS or upper in _FUNCTION_PARSERS:
        raise Decline  # a function sqlglot knows under its own name and arguments
    written = reader.text[lexeme[2] : lexeme[3]]
    return Node(FUNCTION, f"{upper}({inside})", tuple(arguments), written.lower())


def key_label(node: Node) -> str:
    """The column name Postgres derives for an index expression (``ddl._key_label``)."""
    while node.kind == PAREN:
        node = node.children[0]
    if node.kind == COLUMN:
        return node.column or "expr"
    if node.kind == CAST:
        raise Decline
    if node.kind == FUNCTION:
        head = node.sql.split("(", 1)[0].strip()
        if head and head.replace("_", "").replace(".", "").isalnum():
            return head.split(".")[-1].lower()
    return "expr"
