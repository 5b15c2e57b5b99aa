"""Facts of the statement shapes that dominate migrations, read without sqlglot's parser.

Parsing with sqlglot builds a whole tree per statement, most of which the facts never look at.
For ``CREATE TABLE``, ``CREATE INDEX``, ``ALTER TABLE``, ``ALTER INDEX ... RENAME``, ``DROP
TABLE|INDEX``, ``SET``, ``COMMENT ON``, sequences and ``GRANT``/``REVOKE`` of the usual shapes,
:func:`shortcut_facts` reads the facts straight from the statement's lexemes; for any other
statement, or any part it is not sure of, it returns ``None`` and the statement goes through
sqlglot. Both ways give the same facts: the tests compare them on every fixture and on
generated workspaces, with :func:`plain_path` forcing the sqlglot way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlglot.tokens import TokenType

from dbsense.analyzers.ir import Fact, QualifiedName, Span
from dbsense.analyzers.sql.commands import command_facts
from dbsense.analyzers.sql.fast_alter import alter_index, alter_table, drop
from dbsense.analyzers.sql.fast_ddl import create_index, create_table
from dbsense.analyzers.sql.lexer import Lexeme, to_tokens
from dbsense.analyzers.sql.reader import LITERALS, Decline, Reader

_PLAIN = ContextVar("dbsense_plain_sql", default=False)


@contextmanager
def plain_path() -> Iterator[None]:
    """Within this block every statement goes through sqlglot (the reference the shortcuts
    are tested against)."""
    token = _PLAIN.set(True)
    try:
        yield
    finally:
        _PLAIN.reset(token)


def shortcuts_enabled() -> bool:
    return not _PLAIN.get()


def shortcut_facts(
    text: str,
    source: str,
    lexemes: list[Lexeme],
    span: Span,
    origin: str,
    created: set[QualifiedName],
) -> list[Fact] | None:
    """The facts of one statement (``text`` as written, ``source`` as sqlglot would read it,
    same offsets), or ``None`` when it is not a shape read here."""
    if len(lexemes) < 2 or lexemes[0][0] in LITERALS or lexemes[1][0] in LITERALS:
        return None
    read = _READERS.get((lexemes[0][1], lexemes[1][1]))
    if read is None:
        read = _READERS.get((lexemes[0][1], None))
        if read is None:
            return None
    reader = Reader(lexemes, text, span, origin, created)
    try:
        return read(reader, source)
    except Decline:
        return None


def _alter_table(reader: Reader, source: str) -> list[Fact]:
    if _is_command(reader):
        return _command(reader, source)
    return alter_table(reader)


def _is_command(reader: Reader) -> bool:
    """``ALTER TABLE ... OWNER TO r`` / ``VALIDATE CONSTRAINT c``: sqlglot leaves these as
    commands, read from their tokens by commands.py."""
    reader.expect("ALTER", "TABLE")
    reader.accept("IF", "EXISTS")
    reader.accept("ONLY")
    reader.qualified()
    command = reader.accept("OWNER", "TO") or reader.accept("VALIDATE", "CONSTRAINT")
    if command:
        reader.name()
        reader.end()
    reader.pos = 0
    return command


def _command(reader: Reader, source: str) -> list[Fact]:
    tokens = to_tokens(source, reader.lexemes)
    facts = command_facts(source, tokens, reader.statement, reader.origin, reader.created)
    if facts is None:
        raise Decline
    return facts


def _set(reader: Reader, source: str) -> list[Fact]:
    """``SET [SESSION | LOCAL] name {= | TO} value [, value ...]`` (a ``Set`` or a command for
    sqlglot; commands.py reads both from the tokens)."""
    reader.expect("SET")
    if not reader.accept("SESSION"):
        reader.accept("LOCAL")
    reader.name()
    if not reader.accept("="):
        reader.expect("TO")
    while True:
        value = reader.next()
        if value[0] not in (TokenType.VAR, TokenType.STRING, TokenType.NUMBER):
            raise Decline
        if not reader.accept(","):
            break
    reader.end()
    return _command(reader, source)


_COMMENTED = {"TABLE": 2, "COLUMN": 3, "INDEX": 2, "VIEW": 2, "SEQUENCE": 2, "SCHEMA": 1}


def _comment(reader: Reader, source: str) -> list[Fact]:
    """``COMMENT ON {TABLE | COLUMN | INDEX | VIEW | SEQUENCE | SCHEMA} name IS 'text'``:
    nothing the catalog models."""
    reader.expect("COMMENT", "ON")
    kind = reader.next()
    parts = _COMMENTED.get(kind[1]) if kind[0] not in LITERALS else None
    if parts is None:
        raise Decline
    reader.name()
    found = 1
    while reader.accept("."):
        reader.name()
        found += 1
    if found > parts or (kind[1] == "COLUMN" and found < 2):
        raise Decline
    reader.expect("IS")
    if reader.next()[0] != TokenType.STRING:
        raise Decline
    reader.end()
    return []


_SEQUENCE_OPTIONS = {
    "INCREMENT": ("BY",),
    "MINVALUE": (),
    "MAXVALUE": (),
    "START": ("WITH",),
    "RESTART": ("WITH",),
    "CACHE": (),
}


def _sequence(reader: Reader, source: str) -> list[Fact]:
    """``CREATE SEQUENCE [IF NOT EXISTS] name [option ...]`` and ``ALTER SEQUENCE [IF EXISTS]
    name option ...``: nothing the catalog models."""
    creating = reader.accept("CREATE", "SEQUENCE")
    if creating:
        reader.accept("IF", "NOT", "EXISTS")
    else:
        reader.expect("ALTER", "SEQUENCE")
        reader.accept("IF", "EXISTS")
    reader.qualified()
    options = 0
    while not reader.at_end():
        options += 1
        lexeme = reader.next()
        word = lexeme[1] if lexeme[0] not in LITERALS else ""
        if word in _SEQUENCE_OPTIONS and word != ("RESTART" if creating else "START"):
            for optional in _SEQUENCE_OPTIONS[word]:
                reader.accept(optional)
            _number(reader)
        elif word == "NO" and (reader.accept("MINVALUE") or reader.accept("MAXVALUE")):
            continue
        elif word == "OWNED":
            reader.expect("BY")
            if not reader.accept("NONE"):
                reader.name()
                reader.expect(".")
                reader.name()
                if reader.accept("."):
                    reader.name()
        else:
            raise Decline
    reader.end()
    if not creating and not options:
        raise Decline
    return []


def _number(reader: Reader) -> None:
    reader.accept("-")
    if reader.next()[0] != TokenType.NUMBER:
        raise Decline


_PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}


def _grant(reader: Reader, source: str) -> list[Fact]:
    """``GRANT privilege [, ...] ON [TABLE] name TO role [, ...]`` and the matching ``REVOKE
    ... FROM``: nothing the catalog models."""
    granting = reader.accept("GRANT")
    if not granting:
        reader.expect("REVOKE")
    if reader.accept("ALL"):
        reader.accept("PRIVILEGES")
    else:
        while True:
            if reader.peek() is None or reader.peek()[1] not in _PRIVILEGES:
                raise Decline
            reader.pos += 1
            if not reader.accept(","):
                break
    reader.expect("ON")
    reader.accept("TABLE")
    reader.qualified()
    reader.expect("TO" if granting else "FROM")
    while True:
        reader.name()
        if not reader.accept(","):
            break
    reader.end()
    return []


def _plain(read: Callable[[Reader], list[Fact]]) -> Callable[[Reader, str], list[Fact]]:
    return lambda reader, source: read(reader)


_READERS: dict[tuple[str, str | None], Callable[[Reader, str], list[Fact]]] = {
    ("CREATE", "TABLE"): _plain(create_table),
    ("CREATE", "INDEX"): _plain(create_index),
    ("CREATE", "UNIQUE"): _plain(create_index),
    ("ALTER", "TABLE"): _alter_table,
    ("ALTER", "INDEX"): _plain(alter_index),
    ("DROP", "TABLE"): _plain(drop),
    ("DROP", "INDEX"): _plain(drop),
    ("SET", None): _set,
    ("COMMENT", "ON"): _comment,
    ("CREATE", "SEQUENCE"): _sequence,
    ("ALTER", "SEQUENCE"): _sequence,
    ("GRANT", None): _grant,
    ("REVOKE", None): _grant,
}
