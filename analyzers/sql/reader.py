"""A cursor over one statement's lexemes, for the readers of common statement shapes.

The readers (``fast_*.py``) accept only shapes whose facts they reproduce exactly; anything
else raises :class:`Decline` and the statement goes to sqlglot. Offsets are statement-relative
until :meth:`Reader.span` adds the statement's place in the document.
"""

from __future__ import annotations

from bisect import bisect_left

from sqlglot.tokens import TokenType

from dbsense.analyzers.ir import QualifiedName, Span
from dbsense.analyzers.sql.lexer import Lexeme

# Lexemes whose value is not a keyword, whatever it spells.
LITERALS = frozenset({TokenType.STRING, TokenType.IDENTIFIER, TokenType.NUMBER})
_OPEN = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET})
_CLOSE = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET})
_STOP = frozenset({TokenType.COMMA, TokenType.SEMICOLON})
END = "<end>"  # the word past the last lexeme
_PADDING = [END] * 4


class Decline(Exception):
    """The statement is not one the fast readers reproduce exactly: sqlglot reads it."""


class Reader:
    """The lexemes of one statement and a position in them.

    ``text`` is the statement as written (type spellings and gaps are taken from it); the
    lexemes come from the text sqlglot would read (placeholders neutralised, same offsets).
    """

    __slots__ = ("base", "created", "lexemes", "origin", "pos", "statement", "text", "words")

    def __init__(
        self,
        lexemes: list[Lexeme],
        text: str,
        statement: Span,
        origin: str,
        created: set[QualifiedName],
    ) -> None:
        self.lexemes = lexemes
        # Keywords and symbols by position ("" for literals), padded with END so look-ahead
        # needs no bounds checks.
        self.words = [value if kind not in LITERALS else "" for kind, value, _, _ in lexemes]
        self.words += _PADDING
        self.text = text
        self.statement = statement
        self.base = statement.start
        self.origin = origin
        self.created = created
        self.pos = 0

    # --- looking and moving --------------------------------------------------------------

    def at(self, *values: str) -> bool:
        """Whether the next lexeme is a keyword or symbol among ``values``."""
        return self.words[self.pos] in values

    def accept(self, *words: str) -> bool:
        """Consume ``words`` (at most four) in order when they come next."""
        pos = self.pos
        found = self.words
        for word in words:
            if found[pos] != word:
                return False
            pos += 1
        self.pos = pos
        return True

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise Decline

    def next(self) -> Lexeme:
        if self.pos >= len(self.lexemes):
            raise Decline
        lexeme = self.lexemes[self.pos]
        self.pos += 1
        return lexeme

    def peek(self) -> Lexeme | None:
        return self.lexemes[self.pos] if self.pos < len(self.lexemes) else None

    def end(self) -> None:
        """The statement ends here (after an optional ``;``)."""
        if self.words[self.pos] == ";":
            self.pos += 1
        if self.pos != len(self.lexemes):
            raise Decline

    def at_end(self) -> bool:
        rest = len(self.lexemes) - self.pos
        return rest <= 0 or (rest == 1 and self.words[self.pos] == ";")

    # --- names -----------------------------------------------------------------------------

    def name(self) -> str:
        """A name (quoted, or an unquoted word sqlglot reads as a plain identifier), folded as
        Postgres folds it."""
        lexeme = self.peek()
        if lexeme is None:
            raise Decline
        token_type = lexeme[0]
        if token_type == TokenType.IDENTIFIER:
            self.pos += 1
            return lexeme[1]
        if token_type == TokenType.VAR:
            self.pos += 1
            return lexeme[1].lower()
        raise Decline

    def qualified(self) -> tuple[QualifiedName, Span]:
        """``[schema.]name`` and its span."""
        first = self.pos
        name = self.name()
        if self.words[self.pos] != ".":
            return QualifiedName(name), self.span_of(first, first)
        self.pos += 1
        schema, name = name, self.name()
        if self.at("."):
            raise Decline  # a catalog-qualified name
        return QualifiedName(name, schema), self.span_of(first, self.pos - 1)

    def names(self) -> list[tuple[str, int]]:
        """``( name [, name ...] )``: the names and the index of each."""
        self.expect("(")
        found = []
        while True:
            found.append((self.name(), self.pos - 1))
            if self.accept(")"):
                return found
            self.expect(",")

    # --- offsets ---------------------------------------------------------------------------

    def span(self, start: int, end: int) -> Span:
        return Span(self.base + start, self.base + end)

    def span_of(self, first: int, last: int) -> Span:
        """The span from lexeme ``first`` through lexeme ``last``."""
        return Span(self.base + self.lexemes[first][2], self.base + self.lexemes[last][3])

    def element_end(self, index: int) -> int:
        """End (exclusive, statement-relative) of the list element whose first lexeme is
        ``index``: up to the next comma or closing bracket at depth 0."""
        depth = 0
        end = self.lexemes[index][2]
        for token_type, _, _, stop in self.lexemes[index:]:
            if token_type in _OPEN:
                depth += 1
            elif token_type in _CLOSE:
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and token_type in _STOP:
                break
            end = stop
        return end

    def index_at(self, offset: int) -> int:
        """Index of the first lexeme starting at or after ``offset``."""
        return bisect_left(self.lexemes, offset, key=lambda lexeme: lexeme[2])
