"""A tokenizer that gives exactly sqlglot's Postgres tokens for the common statements, faster.

sqlglot's tokenizer walks a statement one character at a time (a quarter of a cold check).
:func:`scan` reads it with one regular expression into :data:`Lexeme` tuples, and
:func:`to_tokens` turns those into the :class:`~sqlglot.tokens.Token` objects sqlglot's own
tokenizer returns (type, text, line, column, offsets). The scanner covers words, numbers,
standard strings, quoted identifiers and the usual operators; for anything else (comments,
dollar quotes, ``E''`` strings, parameters, rare operators, non-ASCII text outside quotes, a
word sqlglot reads as the start of an opaque command) it returns ``None`` and the caller
tokenizes with sqlglot.
"""

from __future__ import annotations

import re

from sqlglot.dialects.postgres import Postgres
from sqlglot.tokens import Token, TokenType

_TOKENIZER = Postgres.Tokenizer
KEYWORDS = _TOKENIZER.KEYWORDS
_SINGLE = _TOKENIZER.SINGLE_TOKENS
_COMMANDS = _TOKENIZER.COMMANDS
_COMMAND_PREFIX = _TOKENIZER.COMMAND_PREFIX_TOKENS

# (type, value, start, end): ``value`` is a word upper-cased, a string's or quoted identifier's
# unescaped text, a number or operator as written; ``end`` is exclusive.
Lexeme = tuple[TokenType, str, int, int]

# Keywords of several words (``PRIMARY KEY``): sqlglot reads them as one token.
_PHRASES = sorted((key for key in KEYWORDS if " " in key), key=len, reverse=True)
_HEADS = "|".join(sorted({phrase.split(" ")[0] for phrase in _PHRASES}))
_TAILS = "|".join(sorted({phrase.split(" ")[1] for phrase in _PHRASES}))
# sqlglot reads operators longest first; only these are produced here, the others decline.
_OPERATORS = {
    key for key in KEYWORDS if key and not any(char.isalnum() or char == " " for char in key)
}
_PRODUCED = {"::", "<=", ">=", "<>", "!=", "||", *"(),;.[]=<>+-*/"}
_SYMBOLS = sorted({*_OPERATORS, *_SINGLE, *_TOKENIZER._COMMENTS}, key=len, reverse=True)
_NOT_AFTER_WORD = "'$\x80-\U0010ffff"  # a word ending here is not one sqlglot ends here

# Declined: a keyword sqlglot reads through its ``-``, and a keyword of several words split
# over lines (sqlglot does not count that line break).
_DECLINED_PATTERN = rf"USER-DEFINED|(?:{_HEADS})[ \t]*[\r\n]\s*(?:{_TAILS})\b"
_PHRASE_PATTERN = "|".join(re.escape(phrase).replace(r"\ ", r"[ \t]+") for phrase in _PHRASES)
_PHRASE_END = rf"(?=[\s{re.escape(''.join(_SINGLE))}]|\Z)"  # where sqlglot ends a phrase
# One match per lexeme, with the blanks before it: findall's groups are (blanks, declined,
# phrase, word, number, string, quoted identifier, symbol).
_SCAN = re.compile(
    r"([ \t\n\r]*)(?:"
    rf"((?i:{_DECLINED_PATTERN}))"
    rf"|((?i:{_PHRASE_PATTERN})){_PHRASE_END}"
    rf"|([A-Za-z_][A-Za-z0-9_]*)(?![{_NOT_AFTER_WORD}])"
    rf"|([0-9]+(?:\.[0-9]*)?)(?![A-Za-z0-9_.{_NOT_AFTER_WORD}])"
    r"|('[^'\\\r]*(?:''[^'\\\r]*)*')"  # a standard string (no backslash, no CR)
    r'|("[^"\r]+(?:""[^"\r]*)*")'
    rf"|({'|'.join(re.escape(symbol) for symbol in _SYMBOLS)})"
    r")"
)
_BLANKS = " \t\n\r"
_COMMAND_WORDS = {word for word, token_type in KEYWORDS.items() if token_type in _COMMANDS}


def scan(text: str) -> list[Lexeme] | None:
    """The lexemes of ``text``, or ``None`` when it holds something this scanner does not
    reproduce exactly."""
    lexemes: list[Lexeme] = []
    append = lexemes.append
    keywords = KEYWORDS
    var = TokenType.VAR
    pos = 0
    for blanks, _declined, phrase, word, number, string, quoted, symbol in _SCAN.findall(text):
        pos += len(blanks)
        if word:
            end = pos + len(word)
            upper = word.upper()
            if upper in _COMMAND_WORDS and (not lexemes or lexemes[-1][0] in _COMMAND_PREFIX):
                return None
            append((keywords.get(upper, var), upper, pos, end))
        elif symbol:
            if symbol not in _PRODUCED:
                return None
            end = pos + len(symbol)
            append((keywords.get(symbol) or _SINGLE[symbol], symbol, pos, end))
        elif number:
            end = pos + len(number)
            append((TokenType.NUMBER, number, pos, end))
        elif string:
            end = pos + len(string)
            append((TokenType.STRING, string[1:-1].replace("''", "'"), pos, end))
        elif quoted:
            end = pos + len(quoted)
            append((TokenType.IDENTIFIER, quoted[1:-1].replace('""', '"'), pos, end))
        elif phrase:
            end = pos + len(phrase)
            value = " ".join(phrase.upper().split())
            append((keywords[value], value, pos, end))
        else:
            return None
        pos = end
    # findall skips what matches nothing: then the lexemes do not reach the end of the text.
    if pos != len(text) and text[pos:].strip(_BLANKS):
        return None
    return lexemes


def to_tokens(text: str, lexemes: list[Lexeme]) -> list[Token]:
    """The sqlglot tokens of ``text`` from its lexemes: words keep their spelling, and each
    token gets the line and column (of its last character) sqlglot gives it."""
    tokens: list[Token] = []
    append = tokens.append
    line = 1
    line_start = 0
    previous = 0
    words = (TokenType.STRING, TokenType.IDENTIFIER, TokenType.NUMBER)
    for token_type, value, start, end in lexemes:
        breaks = text.count("\n", previous, end) + text.count("\r", previous, end)
        if breaks:
            breaks -= text.count("\r\n", previous, end)
            line += breaks
            line_start = max(text.rfind("\n", previous, end), text.rfind("\r", previous, end)) + 1
        previous = end
        if token_type in words or value[0] in _SINGLE or " " in value:
            spelling = value
        else:
            spelling = text[start:end]
        append(Token(token_type, spelling, line, end - line_start, start, end - 1))
    return tokens
