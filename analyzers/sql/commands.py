"""Statements sqlglot leaves opaque (``exp.Command``), read from their tokens.

sqlglot falls back to a ``Command`` for many valid Postgres forms. The ones that change the
catalog (``SET search_path TO``, ``CREATE DOMAIN``, ``ALTER TABLE ... VALIDATE CONSTRAINT``,
``ATTACH PARTITION``, ``ADD ... USING INDEX``...) become facts here; the ones that change
nothing we model (``COMMENT``, ``GRANT``, ``OWNER TO``, ``DO``, ``CREATE EXTENSION``...) are
analysed with no facts. Anything else stays "not analysed" (``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot.tokens import Token, TokenType

from dbsense.analyzers.ir import (
    AddConstraintFact,
    AddEnumValueFact,
    AddIdentityFact,
    AttachPartitionFact,
    ConstraintDef,
    CreateDomainFact,
    CreateFunctionFact,
    Fact,
    QualifiedName,
    SettingFact,
    Span,
    ValidateConstraintFact,
)

_QUOTED = (TokenType.IDENTIFIER, TokenType.STRING)
VOLATILITY = ("IMMUTABLE", "STABLE", "VOLATILE")

# Leading words of statements that change nothing the catalog models.
_HARMLESS = (
    ("COMMENT",),
    ("GRANT",),
    ("REVOKE",),
    ("DO",),
    ("CREATE", "EXTENSION"),
    ("ALTER", "EXTENSION"),
    ("DROP", "EXTENSION"),
    ("CREATE", "TRIGGER"),
    ("CREATE", "CONSTRAINT", "TRIGGER"),
    ("CREATE", "OR", "REPLACE", "TRIGGER"),
    ("DROP", "TRIGGER"),
    ("CREATE", "SEQUENCE"),
    ("ALTER", "SEQUENCE"),
    ("DROP", "SEQUENCE"),
    ("CREATE", "ROLE"),
    ("ALTER", "ROLE"),
    ("CREATE", "USER"),
    ("ALTER", "DEFAULT", "PRIVILEGES"),
    ("ALTER", "FUNCTION"),
    ("ALTER", "PROCEDURE"),
    ("DROP", "FUNCTION"),
    ("DROP", "PROCEDURE"),
    ("DROP", "TYPE"),
    ("DROP", "DOMAIN"),
    ("DROP", "SCHEMA"),
    ("ALTER", "SCHEMA"),
    ("CREATE", "COLLATION"),
    ("CREATE", "CAST"),
    ("CREATE", "AGGREGATE"),
    ("CREATE", "OPERATOR"),
    ("CREATE", "POLICY"),
    ("ALTER", "POLICY"),
    ("CREATE", "PUBLICATION"),
    ("CREATE", "STATISTICS"),
    ("CREATE", "TEXT", "SEARCH"),
    ("REFRESH", "MATERIALIZED", "VIEW"),
    ("ALTER", "MATERIALIZED", "VIEW"),
    ("ALTER", "VIEW"),
    ("DROP", "VIEW"),
    ("DROP", "MATERIALIZED", "VIEW"),
    ("CREATE", "RULE"),
    ("CREATE", "EVENT", "TRIGGER"),
    ("SECURITY", "LABEL"),
    ("RESET",),
    ("DISCARD",),
    ("NOTIFY",),
    ("LISTEN",),
    ("VACUUM",),
    ("ANALYZE",),
    ("CLUSTER",),
    ("REINDEX",),
    ("CHECKPOINT",),
    ("LOCK",),
)
# ALTER TABLE / ALTER INDEX sub-commands that change nothing the catalog models.
_HARMLESS_TABLE_ACTIONS = {
    "OWNER",
    "SET",
    "RESET",
    "CLUSTER",
    "ENABLE",
    "DISABLE",
    "REPLICA",
    "FORCE",
    "NO",
    "INHERIT",
    "OF",
    "NOT",
}


class Words:
    """The meaningful tokens of one statement, with helpers to read names and keywords."""

    def __init__(
        self,
        text: str,
        tokens: Sequence[Token],
        created: set[QualifiedName] | frozenset[QualifiedName] = frozenset(),
    ) -> None:
        self.text = text
        self.created = created
        self.tokens = [token for token in tokens if token.token_type != TokenType.SEMICOLON]
        # sqlglot reads some keyword pairs as one token (``PRIMARY KEY``): split them back.
        split: list[Token] = []
        for token in self.tokens:
            parts = token.text.split() if token.token_type not in _QUOTED else [token.text]
            split.extend([token] * len(parts) if len(parts) > 1 else [token])
        self.upper = []
        for token in self.tokens:
            if token.token_type in _QUOTED:
                self.upper.append("")
            else:
                self.upper.extend(token.text.upper().split() or [""])
        self.tokens = split

    def starts(self, *words: str, at: int = 0) -> bool:
        return tuple(self.upper[at : at + len(words)]) == words

    def find(self, word: str, start: int = 0) -> int:
        """Index of the first ``word`` at depth 0 from ``start``; -1 when absent."""
        depth = 0
        for index in range(start, len(self.tokens)):
            kind = self.tokens[index].token_type
            if kind == TokenType.L_PAREN:
                depth += 1
            elif kind == TokenType.R_PAREN:
                depth -= 1
            elif depth == 0 and self.upper[index] == word:
                return index
        return -1

    def name(self, index: int) -> tuple[QualifiedName | None, int]:
        """The (possibly schema-qualified) name starting at ``index`` and the index after it."""
        parts: list[str] = []
        while index < len(self.tokens):
            parts.append(token_name(self.tokens[index]))
            if (
                index + 2 < len(self.tokens)
                and self.tokens[index + 1].token_type == TokenType.DOT
                and len(parts) < 3
            ):
                index += 2
                continue
            index += 1
            break
        if not parts or not parts[-1]:
            return None, index
        schema = parts[-2] if len(parts) >= 2 else None
        return QualifiedName(parts[-1], schema), index

    def skip(self, index: int, *words: str) -> int:
        """Skip any of ``words`` (each at most once, in order) starting at ``index``."""
        for word in words:
            if index < len(self.upper) and self.upper[index] == word:
                index += 1
        return index

    def between_parens(self, index: int) -> tuple[list[Token], int]:
        """The tokens inside the parenthesis group opening at ``index`` and the index after."""
        if index >= len(self.tokens) or self.tokens[index].token_type != TokenType.L_PAREN:
            return [], index
        depth = 0
        for end in range(index, len(self.tokens)):
            kind = self.tokens[end].token_type
            if kind == TokenType.L_PAREN:
                depth += 1
            elif kind == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    return self.tokens[index + 1 : end], end + 1
        return self.tokens[index + 1 :], len(self.tokens)

    def source(self, start: int, end: int | None = None) -> str:
        """The statement text from token ``start`` to the end of token ``end - 1``."""
        if start >= len(self.tokens):
            return ""
        last = self.tokens[(end if end is not None else len(self.tokens)) - 1]
        return self.text[self.tokens[start].start : last.end + 1].strip()


def token_name(token: Token) -> str:
    if token.token_type == TokenType.IDENTIFIER:
        return token.text
    return token.text.lower()


def command_facts(
    text: str,
    tokens: Sequence[Token],
    span: Span,
    origin: str,
    created: set[QualifiedName] | frozenset[QualifiedName] = frozenset(),
) -> list[Fact] | None:
    """Facts of a statement sqlglot could only parse as a ``Command``; ``None`` when the form
    is not one dbsense understands. ``created`` holds the tables created earlier in the unit."""
    words = Words(text, tokens, created)
    if not words.tokens:
        return None
    for reader in _READERS:
        facts = reader(words, span, origin)
        if facts is not None:
            return facts
    if any(words.starts(*prefix) for prefix in _HARMLESS):
        return []
    return None


def _set(words: Words, span: Span, origin: str) -> list[Fact] | None:
    if not words.starts("SET"):
        return None
    index = words.skip(1, "SESSION", "LOCAL")
    local = words.starts("LOCAL", at=1)
    if index >= len(words.tokens):
        return None
    name = token_name(words.tokens[index])
    index += 1
    if words.starts("TO", at=index) or words.starts("=", at=index):
        index += 1
    values = []
    for token in words.tokens[index:]:
        if token.token_type == TokenType.COMMA:
            continue
        values.append(token.text if token.token_type == TokenType.STRING else token_name(token))
    return [SettingFact(span, origin, name, ", ".join(values), local)]


def _set_config(words: Words, span: Span, origin: str) -> list[Fact] | None:
    """``SELECT pg_catalog.set_config('search_path', '', false)`` as written by ``pg_dump``."""
    if not words.starts("SELECT") or "SET_CONFIG" not in words.upper[:5]:
        return None
    strings = [t.text for t in words.tokens if t.token_type == TokenType.STRING]
    if len(strings) < 2:
        return None
    return [SettingFact(span, origin, strings[0].lower(), strings[1], False)]


def _create_domain(words: Words, span: Span, origin: str) -> list[Fact] | None:
    if not words.starts("CREATE", "DOMAIN"):
        return None
    name, index = words.name(2)
    if name is None:
        return None
    index = words.skip(index, "AS")
    end = index
    stops = {"NOT", "NULL", "CHECK", "DEFAULT", "CONSTRAINT", "COLLATE"}
    depth = 0
    while end < len(words.tokens):
        kind = words.tokens[end].token_type
        depth += kind == TokenType.L_PAREN
        depth -= kind == TokenType.R_PAREN
        if depth == 0 and words.upper[end] in stops:
            break
        end += 1
    base = words.source(index, end) if end > index else ""
    check_at = words.find("CHECK", end)
    check = None
    if check_at >= 0:
        inner, _ = words.between_parens(check_at + 1)
        if inner:
            check = text_between(words.text, inner)
    not_null = any(
        words.upper[i] == "NOT" and words.starts("NULL", at=i + 1)
        for i in range(end, len(words.upper))
    )
    return [CreateDomainFact(span, origin, name, base, not_null, check)]


def text_between(text: str, tokens: Sequence[Token]) -> str:
    return text[tokens[0].start : tokens[-1].end + 1]


def function_fact(words: Words, span: Span, origin: str) -> list[Fact] | None:
    """``CREATE [OR REPLACE] FUNCTION|PROCEDURE``: name, language and volatility (the body is
    a string token, so its words never count)."""
    index = words.skip(1, "OR", "REPLACE")
    if not (words.starts("FUNCTION", at=index) or words.starts("PROCEDURE", at=index)):
        return None
    procedure = words.upper[index] == "PROCEDURE"
    name, index = words.name(index + 1)
    if name is None:
        return None
    _, index = words.between_parens(index)
    volatility = "volatile"
    language = None
    for position in range(index, len(words.upper)):
        word = words.upper[position]
        if word in VOLATILITY:
            volatility = word.lower()
        elif word == "LANGUAGE" and position + 1 < len(words.tokens):
            language = token_name(words.tokens[position + 1]).strip("'")
    return [CreateFunctionFact(span, origin, name, volatility, language, procedure)]


def _create_function(words: Words, span: Span, origin: str) -> list[Fact] | None:
    return function_fact(words, span, origin) if words.starts("CREATE") else None


def _alter_type(words: Words, span: Span, origin: str) -> list[Fact] | None:
    if not words.starts("ALTER", "TYPE"):
        return None
    name, index = words.name(2)
    if name is None:
        return None
    if words.starts("ADD", "VALUE", at=index):
        labels = [t.text for t in words.tokens[index:] if t.token_type == TokenType.STRING]
        return [AddEnumValueFact(span, origin, name, labels[0])] if labels else None
    if index < len(words.upper) and words.upper[index] in {"OWNER", "RENAME", "SET"}:
        return [] if not words.starts("RENAME", "TO", at=index) else None
    return None


def _alter_table(words: Words, span: Span, origin: str) -> list[Fact] | None:
    if not words.starts("ALTER", "TABLE"):
        return None
    index = words.skip(2, "IF", "EXISTS")
    index = words.skip(index, "ONLY")
    table, index = words.name(index)
    if table is None or index >= len(words.upper):
        return None
    facts: list[Fact] = []
    for action_start, action_end in _actions(words, index):
        fact = _table_action(words, action_start, action_end, table, span, origin)
        if fact is None:
            return None
        facts.extend(fact)
    return facts


def _actions(words: Words, start: int) -> list[tuple[int, int]]:
    """Token ranges of the comma-separated sub-commands of an ``ALTER TABLE``."""
    ranges = []
    depth = 0
    begin = start
    for index in range(start, len(words.tokens)):
        kind = words.tokens[index].token_type
        if kind == TokenType.L_PAREN:
            depth += 1
        elif kind == TokenType.R_PAREN:
            depth -= 1
        elif kind == TokenType.COMMA and depth == 0:
            ranges.append((begin, index))
            begin = index + 1
    ranges.append((begin, len(words.tokens)))
    return ranges


def _table_action(
    words: Words, start: int, end: int, table: QualifiedName, span: Span, origin: str
) -> list[Fact] | None:
    head = words.upper[start] if start < end else ""
    if head == "VALIDATE" and words.starts("CONSTRAINT", at=start + 1) and start + 2 < end:
        token = words.tokens[start + 2]
        action = Span(span.start + words.tokens[start].start, span.start + token.end + 1)
        created = table in words.created
        name = token_name(token)
        return [ValidateConstraintFact(span, origin, table, name, action, created)]
    if head in {"ATTACH", "DETACH"} and words.starts("PARTITION", at=start + 1):
        partition, _ = words.name(start + 2)
        if partition is None:
            return None
        return [AttachPartitionFact(span, origin, table, partition, head == "ATTACH")]
    if head == "ADD":
        return _add_using_index(words, start + 1, end, table, span, origin)
    if head == "ALTER":
        index = words.skip(start + 1, "COLUMN")
        if index >= end:
            return None
        column = token_name(words.tokens[index])
        rest = words.upper[index + 1 : end]
        if rest[:2] == ["ADD", "GENERATED"]:
            return [AddIdentityFact(span, origin, table, column)]
        if rest[:1] == ["SET"] and rest[1:2] and rest[1] in {"STATISTICS", "STORAGE", "("}:
            return []
        if rest[:1] in (["SET"], ["RESET"]) and rest[1:2] in (["("], ["COMPRESSION"]):
            return []
        return None
    if head in _HARMLESS_TABLE_ACTIONS:
        return []
    return None


def _add_using_index(
    words: Words, index: int, end: int, table: QualifiedName, span: Span, origin: str
) -> list[Fact] | None:
    """``ADD [CONSTRAINT n] {PRIMARY KEY | UNIQUE} USING INDEX i``."""
    name = None
    if words.starts("CONSTRAINT", at=index) and index + 1 < end:
        name = token_name(words.tokens[index + 1])
        index += 2
    if words.starts("PRIMARY", "KEY", at=index):
        kind, index = "primary-key", index + 2
    elif words.starts("UNIQUE", at=index):
        kind, index = "unique", index + 1
    else:
        return None
    if not words.starts("USING", "INDEX", at=index) or index + 2 >= len(words.tokens) + 0:
        return None
    using = token_name(words.tokens[index + 2])
    first = words.tokens[index - 1].start
    local = Span(span.start + first, span.start + words.tokens[end - 1].end + 1)
    constraint = ConstraintDef(kind, local, name, using_index=using)
    return [AddConstraintFact(span, origin, table, constraint)]


def _alter_index(words: Words, span: Span, origin: str) -> list[Fact] | None:
    """``ALTER INDEX parent ATTACH PARTITION child`` and other index housekeeping."""
    if not words.starts("ALTER", "INDEX"):
        return None
    index = words.skip(2, "IF", "EXISTS")
    parent, index = words.name(index)
    if words.starts("ATTACH", "PARTITION", at=index):
        child, _ = words.name(index + 2)
        if parent is None or child is None:
            return None
        return [AttachPartitionFact(span, origin, parent, child, index=True)]
    if index < len(words.upper) and words.upper[index] in {"SET", "RESET", "OWNER"}:
        return []
    return None


_READERS: tuple[Callable[[Words, Span, str], list[Fact] | None], ...] = (
    _set,
    _set_config,
    _create_domain,
    _create_function,
    _alter_type,
    _alter_table,
    _alter_index,
)
