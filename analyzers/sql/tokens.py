"""Token-level positions that sqlglot's tree does not carry (types, clauses, keywords)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from sqlglot.tokens import Token, TokenType

from dbsense.analyzers.ir import Span

_OPEN = {TokenType.L_PAREN, TokenType.L_BRACKET}
_CLOSE = {TokenType.R_PAREN, TokenType.R_BRACKET}
_COLUMN_CONSTRAINT_WORDS = {
    "NOT",
    "NULL",
    "DEFAULT",
    "PRIMARY",
    "REFERENCES",
    "UNIQUE",
    "CHECK",
    "CONSTRAINT",
    "GENERATED",
    "COLLATE",
}


class TokenIndex:
    """The tokens of one statement, searchable by offset. Offsets are statement-relative."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = list(tokens)
        self._starts = [token.start for token in self.tokens]

    def index_at(self, offset: int) -> int:
        """Index of the first token starting at or after ``offset``."""
        return bisect_left(self._starts, offset)

    def keyword(self, word: str, start: int = 0) -> Token | None:
        """First token at or after ``start`` whose text is ``word`` (case-insensitive)."""
        upper = word.upper()
        for token in self.tokens[self.index_at(start) :]:
            if token.text.upper() == upper:
                return token
        return None

    def element_end(self, start: int) -> int:
        """End (exclusive) of the list element that starts at ``start``: up to the next comma or
        closing bracket at depth 0."""
        depth = 0
        end = start
        for token in self.tokens[self.index_at(start) :]:
            if token.token_type in _OPEN:
                depth += 1
            elif token.token_type in _CLOSE:
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and token.token_type in (TokenType.COMMA, TokenType.SEMICOLON):
                break
            end = token.end + 1
        return end

    def column_type_span(self, name_end: int) -> Span | None:
        """Span of the type written after a column name ending at ``name_end`` (exclusive)."""
        depth = 0
        first = last = None
        for token in self.tokens[self.index_at(name_end) :]:
            if token.token_type in _OPEN:
                depth += 1
            elif token.token_type in _CLOSE:
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (
                token.token_type in (TokenType.COMMA, TokenType.SEMICOLON)
                or token.text.upper().split(" ", 1)[0] in _COLUMN_CONSTRAINT_WORDS
            ):
                break
            if first is None:
                first = token.start
            last = token.end + 1
        if first is None or last is None:
            return None
        return Span(first, last)
