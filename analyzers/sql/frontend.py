"""The SQL front-end: a document's text -> statements -> facts.

Each statement is parsed on its own, so one that does not parse becomes a parse-error fact and
the rest of the file is still analysed. Spans are offsets into the host document.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from dbsense.analyzers.ir import (
    SQL_FILE,
    Fact,
    ParseErrorFact,
    QualifiedName,
    SettingFact,
    Span,
    StatementFact,
)
from dbsense.analyzers.sql.ddl import StatementScope, ddl_facts
from dbsense.analyzers.sql.split import split_statements
from dbsense.analyzers.sql.tokens import TokenIndex

logging.getLogger("sqlglot").setLevel(logging.ERROR)

_POSTGRES = Dialect.get_or_raise("postgres")
_KIND_WORDS = re.compile(r"[A-Za-z_]+")
_KIND_SKIP = {"OR", "REPLACE", "UNIQUE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL"}
_TRANSACTION_START = {"BEGIN", "START TRANSACTION"}
_TRANSACTION_END = {"COMMIT", "ROLLBACK", "END", "ABORT"}
# Driver placeholders are normalised to a literal of the same length so offsets are kept.
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
) -> SqlAnalysis:
    """Analyse SQL ``text``. ``created_tables`` carries the unit's tables across calls (embedded
    SQL of one migration); ``placeholders`` normalises driver parameters first."""
    result = SqlAnalysis()
    created = created_tables if created_tables is not None else set()
    in_transaction = False
    for raw in split_statements(text):
        if raw.kind != "sql":
            continue
        result.statements += 1
        kind = statement_kind(raw.text)
        if kind in _TRANSACTION_START:
            in_transaction = True
        facts = _statement_facts(raw.text, raw.span, origin, created, raw.error, placeholders)
        parsed = not any(isinstance(fact, ParseErrorFact) for fact in facts)
        result.analysed += parsed
        result.facts.append(StatementFact(raw.span, origin, kind, parsed, in_transaction))
        result.facts.extend(facts)
        if kind in _TRANSACTION_END:
            in_transaction = False
    return result


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
    try:
        tokens = _POSTGRES.tokenize(source)
        trees = _POSTGRES.parser().parse(tokens, source)
    except (ParseError, TokenError) as error:
        return [ParseErrorFact(span, origin, _error_message(error))]
    except RecursionError:
        return [ParseErrorFact(span, origin, "statement is nested too deeply to analyse")]
    tree = trees[0] if trees else None
    if tree is None:
        return []
    if isinstance(tree, exp.Command):
        keyword = statement_kind(text) or "statement"
        message = f"`{keyword}` is valid SQL that dbsense does not analyse yet"
        return [ParseErrorFact(span, origin, message, unsupported=True)]
    scope = StatementScope(text, span.start, TokenIndex(tokens), origin, created)
    facts: list[Fact] = list(ddl_facts(tree, scope, span))
    setting = _setting(tree, span, origin)
    if setting is not None:
        facts.append(setting)
    return facts


def _neutralise_placeholders(text: str) -> str:
    return _PLACEHOLDER.sub(lambda m: "1" + " " * (len(m.group()) - 1), text)


def _setting(tree: exp.Expression, span: Span, origin: str) -> SettingFact | None:
    if not isinstance(tree, exp.Set):
        return None
    for item in tree.expressions:
        assignment = item.this if isinstance(item, exp.SetItem) else None
        if isinstance(assignment, exp.EQ):
            local = (item.args.get("kind") or "").upper() == "LOCAL"
            value = assignment.expression
            text = value.name if isinstance(value, exp.Literal) else value.sql(dialect="postgres")
            return SettingFact(span, origin, assignment.this.name.lower(), text, local)
    return None


def _error_message(error: Exception) -> str:
    if isinstance(error, ParseError) and error.errors:
        first = error.errors[0]
        description = first.get("description") or "syntax error"
        return f"cannot parse statement: {description}"
    return f"cannot parse statement: {str(error).splitlines()[0] if str(error) else 'syntax error'}"
