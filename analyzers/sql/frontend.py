"""The SQL front-end: a document's text -> statements -> facts.

Each statement is parsed on its own, so one that does not parse becomes a parse-error fact and
the rest of the file is still analysed. Spans are offsets into the host document.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import partial

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from dbsense.analyzers.budget import Deadline
from dbsense.analyzers.ir import (
    SQL_FILE,
    CreateSchemaFact,
    Fact,
    ParseErrorFact,
    QualifiedName,
    Span,
    StatementFact,
)
from dbsense.analyzers.sql.alter import alter_facts
from dbsense.analyzers.sql.commands import Words, command_facts, token_name
from dbsense.analyzers.sql.ddl import StatementScope, ddl_facts, in_schema
from dbsense.analyzers.sql.lexer import scan, to_tokens
from dbsense.analyzers.sql.memo import StatementMemo, UnitTables
from dbsense.analyzers.sql.queries import query_facts
from dbsense.analyzers.sql.shortcut import shortcut_facts, shortcuts_enabled
from dbsense.analyzers.sql.split import split_statements
from dbsense.analyzers.sql.tokens import TokenIndex

logging.getLogger("sqlglot").setLevel(logging.ERROR)

_POSTGRES = Dialect.get_or_raise("postgres")
_KIND_WORDS = re.compile(r"[A-Za-z_]+")
_KIND_SKIP = {"OR", "REPLACE", "UNIQUE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL"}
_TRANSACTION_START = {"BEGIN", "START TRANSACTION"}
_TRANSACTION_END = {"COMMIT", "ROLLBACK", "END", "ABORT"}
# Driver placeholders are normalised to a literal of the same length so offsets are kept.
_ON_ONLY = re.compile(r"(?is)^(\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b.*?\bON\s+)(ONLY)\b")
_MATERIALIZED = re.compile(r"(?is)^\s*CREATE\s+MATERIALIZED\s+VIEW\b")
_WITH_DATA = re.compile(r"(?is)(\bWITH\s+(?:NO\s+)?DATA)(\s*;?\s*)$")
_NESTED_SCHEMA = re.compile(r"(?is)^\s*CREATE\s+SCHEMA\b.*?\b(?:CREATE|GRANT|AUTHORIZATION)\b")
_FUNCTION = re.compile(r"(?is)^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\b")
_PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)s|%s|(?<![:\w]):[A-Za-z_][A-Za-z0-9_]*")


@dataclass(slots=True)
class SqlAnalysis:
    facts: list[Fact] = field(default_factory=list)
    statements: int = 0
    analysed: int = 0


def statement_kind(text: str) -> str:
    """The leading keywords of a statement, e.g. ``CREATE INDEX`` or ``ALTER TABLE``."""
    words = []
    for match in _KIND_WORDS.finditer(text[:80]):
        word = match.group().upper()
        if word in _KIND_SKIP:
            continue
        words.append(word)
        if len(words) == 2 or words[0] not in {"CREATE", "ALTER", "DROP", "START"}:
            break
    return " ".join(words)


def analyze_sql(
    text: str,
    origin: str = SQL_FILE,
    created_tables: set[QualifiedName] | None = None,
    placeholders: bool = False,
    deadline: Deadline | None = None,
    memo: StatementMemo | None = None,
) -> SqlAnalysis:
    """Analyse SQL ``text``. ``created_tables`` carries the unit's tables across calls (embedded
    SQL of one migration); ``placeholders`` normalises driver parameters first. Statements after
    ``deadline`` passes are counted, not analysed, and one notice covers them. With ``memo``
    (a whole document analysed again), unchanged statements reuse their earlier facts."""
    result = SqlAnalysis()
    if created_tables is not None:
        memo = None  # the tables come from outside: the memo cannot see what they were
        created: set[QualifiedName] = created_tables
    else:
        created = UnitTables() if memo is not None else set()
    if memo is not None:
        memo.begin()
    in_transaction = False
    stopped = False
    for raw in split_statements(text):
        if raw.kind != "sql":
            continue
        result.statements += 1
        if stopped or (deadline is not None and deadline.passed()):
            if not stopped:
                notice = deadline.notice("this statement and the rest of the file")
                result.facts.append(
                    ParseErrorFact(
                        Span(raw.span.start, len(text)), origin, notice, unsupported=True
                    )
                )
            stopped = True
            continue
        kind = statement_kind(raw.text)
        if kind in _TRANSACTION_START:
            in_transaction = True
        span = _with_trailing_comment(text, raw.span)
        if memo is None or not isinstance(created, UnitTables):
            facts = _statement_facts(raw.text, span, origin, created, raw.error, placeholders)
        else:
            key = (text[span.start : span.end], raw.span.end - span.start, raw.error, origin)
            facts = memo.facts(
                (*key, placeholders),
                span,
                created,
                partial(_statement_facts, raw.text, span, origin, created, raw.error, placeholders),
            )
        parsed = not any(isinstance(fact, ParseErrorFact) for fact in facts)
        result.analysed += parsed
        result.facts.append(StatementFact(span, origin, kind, parsed, in_transaction))
        result.facts.extend(facts)
        if kind in _TRANSACTION_END:
            in_transaction = False
    return result


def _with_trailing_comment(text: str, span: Span) -> Span:
    """Extend a statement's span over a comment that ends its last line (``...; -- noqa``), so
    text inserted after the statement lands after that comment."""
    line_end = text.find("\n", span.end)
    line_end = len(text) if line_end == -1 else line_end
    tail = text[span.end : line_end]
    stripped = tail.strip()
    if stripped and not stripped.startswith("--"):
        return span
    return Span(span.start, span.end + len(tail.rstrip()))


def _statement_facts(
    text: str,
    span: Span,
    origin: str,
    created: set[QualifiedName],
    lexical_error: str | None,
    placeholders: bool,
) -> list[Fact]:
    if lexical_error:
        return [ParseErrorFact(span, origin, f"cannot parse statement: {lexical_error}")]
    source = _neutralise_placeholders(text) if placeholders else text
    source = _ON_ONLY.sub(lambda m: m.group(1) + " " * len(m.group(2)), source)
    if _MATERIALIZED.match(source):  # sqlglot does not read ``WITH [NO] DATA``
        source = _WITH_DATA.sub(lambda m: " " * len(m.group(1)) + m.group(2), source)
    lexemes = scan(source) if shortcuts_enabled() else None
    if lexemes is not None:
        facts = shortcut_facts(text, source, lexemes, span, origin, created)
        if facts is not None:
            return facts
    try:
        tokens = to_tokens(source, lexemes) if lexemes is not None else _POSTGRES.tokenize(source)
        if _NESTED_SCHEMA.match(source):
            return _create_schema(source, tokens, span, origin, created)
        trees = _POSTGRES.parser().parse(tokens, source)
    except (ParseError, TokenError) as error:
        message = _error_message(error)
        # The parser keeps its errors, and the error's traceback every frame up to the caller's:
        # a cycle that would hold the whole document's analysis until the garbage collector.
        error.__traceback__ = None
        return [ParseErrorFact(span, origin, message)]
    except RecursionError as error:
        error.__traceback__ = None
        return [ParseErrorFact(span, origin, "statement is nested too deeply to analyse")]
    tree = trees[0] if trees else None
    if tree is None:
        return []
    scope = StatementScope(text, span.start, TokenIndex(tokens), origin, created)
    if isinstance(tree, exp.Command):
        facts = command_facts(source, tokens, span, origin, created)
        if facts is not None:
            return facts
        keyword = statement_kind(text) or "statement"
        message = f"`{keyword}` is valid SQL that dbsense does not analyse yet"
        return [ParseErrorFact(span, origin, message, unsupported=True)]
    if isinstance(tree, exp.Set) or _FUNCTION.match(source):
        return command_facts(source, tokens, span, origin, created) or []
    facts: list[Fact] = list(ddl_facts(tree, scope, span))
    if isinstance(tree, exp.Select) and "set_config" in source.lower():
        facts.extend(command_facts(source, tokens, span, origin, created) or ())
    facts.extend(alter_facts(tree, scope, span))
    facts.extend(query_facts(tree, scope, span))
    return facts


def _create_schema(
    source: str, tokens: list, span: Span, origin: str, created: set[QualifiedName]
) -> list[Fact]:
    """``CREATE SCHEMA s [AUTHORIZATION r] [element ...]``: the schema, then each element
    analysed as its own statement with its unqualified new objects placed in ``s``."""
    words = Words(source, tokens)
    index = words.skip(2, "IF", "NOT", "EXISTS")
    exists = index > 2
    if words.starts("AUTHORIZATION", at=index):
        name = token_name(words.tokens[index + 1]) if index + 1 < len(words.tokens) else None
        index += 2
    else:
        name = token_name(words.tokens[index]) if index < len(words.tokens) else None
        index += 1
        if words.starts("AUTHORIZATION", at=index):
            index += 2
    if not name:
        return [ParseErrorFact(span, origin, "cannot parse statement: schema name expected")]
    facts: list[Fact] = [CreateSchemaFact(span, origin, name, exists)]
    starts = [
        i
        for i in range(index, len(words.tokens))
        if words.upper[i] in ("CREATE", "GRANT") and _depth(words.tokens, i) == 0
    ]
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(words.tokens)
        begin = words.tokens[start].start
        finish = words.tokens[end - 1].end + 1
        element = Span(span.start + begin, span.start + finish)
        inner = _statement_facts(source[begin:finish], element, origin, created, None, False)
        facts.extend(in_schema(fact, name) for fact in inner)
    return facts


def _depth(tokens: list, index: int) -> int:
    depth = 0
    for token in tokens[:index]:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
    return depth


def _neutralise_placeholders(text: str) -> str:
    return _PLACEHOLDER.sub(lambda m: "1" + " " * (len(m.group()) - 1), text)


def _error_message(error: Exception) -> str:
    if isinstance(error, ParseError) and error.errors:
        first = error.errors[0]
        description = first.get("description") or "syntax error"
        return f"cannot parse statement: {description}"
    return f"cannot parse statement: {str(error).splitlines()[0] if str(error) else 'syntax error'}"
