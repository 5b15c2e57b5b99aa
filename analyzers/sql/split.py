"""Split a PostgreSQL script into statements with exact offsets into its text.

The lexer knows only what decides where a statement ends: comments (``--`` and nesting
``/* */``), string literals (standard, ``E''`` with backslash escapes, ``U&''``, ``B''``,
``X''``), quoted identifiers, dollar quotes, psql meta-commands, ``COPY ... FROM STDIN`` data
and SQL-standard routine bodies (``BEGIN ATOMIC ... END``). It scans with regular expressions
and ``str.find``, runs in linear time and never raises: a construct left open at the end of
the text yields a statement that runs to the end with ``error`` set.

Statements are cut where psql cuts them, with three deliberate exceptions that keep a
half-typed file useful: a ``;`` inside parentheses ends a statement (except in ``CREATE
RULE``), a routine body opens only at ``BEGIN ATOMIC`` (psql takes any ``BEGIN``), and a
backslash is a meta-command only where no statement is in progress.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dbsense.analyzers.ir import Span

SQL = "sql"
PSQL_META = "psql-meta"

UNTERMINATED_DOLLAR = "unterminated dollar-quoted string"
UNTERMINATED_STRING = "unterminated string"
UNTERMINATED_IDENTIFIER = "unterminated quoted identifier"
UNTERMINATED_COMMENT = "unterminated block comment"


@dataclass(frozen=True, slots=True)
class RawStatement:
    """One statement of a script.

    ``span`` runs from the statement's first character that is neither blank nor comment to
    just after its ``;`` (or to the end of its last token when the text ends first). Blank
    text, comments, stray ``;`` and ``COPY ... FROM STDIN`` data between statements belong
    to no statement.
    """

    span: Span
    text: str
    kind: str  # SQL or PSQL_META
    terminated: bool  # sql: ended with ';'; psql-meta: ended with a newline (or `\.` data end)
    error: str | None  # lexical problem, one of the UNTERMINATED_* messages


# PostgreSQL's whitespace; any non-ASCII character is an identifier character to its lexer.
_WHITESPACE = " \t\n\r\f\v"
_ASCII_IDENT = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$")
_IDENT_START = "A-Za-z_\x80-\U0010ffff"
_IDENT_CONT = "0-9A-Za-z_$\x80-\U0010ffff"
_TAG_CONT = "0-9A-Za-z_\x80-\U0010ffff"  # a dollar-quote tag has no '$'

# Blanks, line comments and stray ';' between statements.
_GAP = re.compile(r"(?:[ \t\n\r\f\v;]+|--[^\n\r]*)*")
_LINE_BREAK = re.compile(r"[\n\r]")
_COMMENT_DELIMITER = re.compile(r"/\*|\*/")
_ESCAPE_STOP = re.compile(r"['\\]")
# Whitespace containing a newline (comments allowed) continues a string literal: 'a'\n'b'.
_QUOTE_CONTINUE = re.compile(
    r"[ \t\f]*(?:--[^\n\r]*)?[\n\r][ \t\n\r\f\v]*(?:--[^\n\r]*[\n\r][ \t\n\r\f\v]*)*'"
)
_DOLLAR_DELIMITER = re.compile(f"\\$(?:[{_IDENT_START}][{_TAG_CONT}]*)?\\$")
# Outside quotes and comments: what can end a statement or open a quoted construct.
_FAST = re.compile(r"""[;'"$]|--|/\*""")
# The same plus words, numbers and parentheses, for statements whose keywords matter.
_TRACK = re.compile(f"""[{_IDENT_START}][{_IDENT_CONT}]*|[0-9]+|[;'"$()]|--|/\\*""")
_COPY_META = re.compile(r"\\copy\b(?![ \t]*\()(?i:[^\n]*?\bfrom[ \t]+stdin\b)")
_COPY_DATA_END = re.compile(r"^\\\.(?=\r?\n|\Z)", re.MULTILINE)  # exactly `\.`, as psql

_ROUTINES = frozenset({"function", "procedure"})


def split_statements(text: str) -> list[RawStatement]:
    """Split ``text`` into its statements, in order."""
    return _Splitter(text).run()


def _is_ident_char(char: str) -> bool:
    return char in _ASCII_IDENT or char >= "\x80"


def _skip_quoted(text: str, pos: int, quote: str) -> int:
    """End of a quoted construct whose body starts at ``pos`` (doubled quote escapes), or -1."""
    while True:
        close = text.find(quote, pos)
        if close < 0:
            return -1
        if text.startswith(quote, close + 1):
            pos = close + 2
            continue
        return close + 1


def _skip_escape_string(text: str, pos: int) -> int:
    """End of an ``E''`` string whose body starts at ``pos``, or -1 when it never closes."""
    while True:
        stop = _ESCAPE_STOP.search(text, pos)
        if stop is None:
            return -1
        close = stop.start()
        if text[close] == "\\" or text.startswith("'", close + 1):
            pos = close + 2
            continue
        continued = _QUOTE_CONTINUE.match(text, close + 1)
        if continued is None:
            return close + 1
        pos = continued.end()


def _skip_block_comment(text: str, pos: int) -> int:
    """End of a (nesting) block comment whose body starts at ``pos``, or -1."""
    depth = 1
    while True:
        delimiter = _COMMENT_DELIMITER.search(text, pos)
        if delimiter is None:
            return -1
        pos = delimiter.end()
        if delimiter.group() == "/*":
            depth += 1
            continue
        depth -= 1
        if depth == 0:
            return pos


def _line_end(text: str, pos: int) -> int:
    """Index of the line break ending the line that contains ``pos`` (``len(text)`` if none)."""
    found = _LINE_BREAK.search(text, pos)
    return len(text) if found is None else found.start()


def _continues_name(text: str, pos: int, floor: int, known: int, known_in_name: bool) -> bool:
    """Whether the ``$`` at ``pos``, after an identifier character, continues a name (``a$``,
    ``x1$``) rather than following a number or parameter (``1$$``, ``$1$$``), where it can
    open a dollar quote as it does for psql. ``known`` is an earlier ``$`` already answered."""
    while True:
        before = pos - 1
        while before >= floor and "0" <= text[before] <= "9":
            before -= 1
        if before < floor or not _is_ident_char(text[before]):
            return False
        if text[before] != "$":
            return True
        if before == known:
            return known_in_name
        pos = before


def _content_end(text: str, start: int, end: int) -> int:
    """End of ``text[start:end]`` without trailing whitespace."""
    return start + len(text[start:end].rstrip(_WHITESPACE))


class _Splitter:
    """One pass over a text; ``run`` returns its statements."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.statements: list[RawStatement] = []

    def run(self) -> list[RawStatement]:
        text = self.text
        end = len(text)
        pos = 1 if text.startswith("\ufeff") else 0
        while True:
            pos = self._skip_gap(pos)
            if pos >= end:
                return self.statements
            pos = self._meta(pos) if text[pos] == "\\" else self._sql(pos)

    def _add(self, start: int, end: int, kind: str, terminated: bool, error: str | None) -> None:
        span = Span(start, end)
        self.statements.append(RawStatement(span, self.text[start:end], kind, terminated, error))

    def _skip_gap(self, pos: int) -> int:
        """Skip blanks, comments and stray ';'; return where the next statement starts."""
        text = self.text
        while True:
            pos = _GAP.match(text, pos).end()
            if text.startswith("/*", pos):
                end = _skip_block_comment(text, pos + 2)
                if end < 0:
                    self._add(pos, len(text), SQL, False, UNTERMINATED_COMMENT)
                    return len(text)
                pos = end
            else:
                return pos

    def _meta(self, start: int) -> int:
        """A psql meta-command: the rest of the line, plus inline data after ``\\copy``."""
        text = self.text
        newline = text.find("\n", start)
        line_end = len(text) if newline < 0 else newline
        end = _content_end(text, start, line_end)
        terminated = newline >= 0
        if terminated and _COPY_META.match(text, start, end):
            data_end = _COPY_DATA_END.search(text, newline + 1)
            if data_end is None:
                data = _content_end(text, newline + 1, len(text))
                end = data if data > newline + 1 else end
                terminated = False
            else:
                end = data_end.end()
        self._add(start, end, PSQL_META, terminated, None)
        return end

    def _skip_copy_data(self, pos: int) -> int:
        """Skip the rows after ``COPY ... FROM STDIN;``: the next line up to a ``\\.`` line."""
        text = self.text
        newline = text.find("\n", pos)
        if newline < 0:
            return len(text)
        data_end = _COPY_DATA_END.search(text, newline + 1)
        return len(text) if data_end is None else data_end.end()

    def _sql(self, start: int) -> int:
        """Scan one SQL statement starting at ``start``; return where scanning resumes."""
        text = self.text
        # Like psql, classify a statement by its first unquoted word; track only CREATE and COPY.
        pattern = _TRACK
        head = ""
        words: list[str] = []  # the first unquoted words, lowercased (CREATE statements)
        routine = rule = copy_from_stdin = False
        previous = ""  # the previous token, lowercased, when it was a word
        atomic_depth = paren_depth = 0
        floor = start  # end of the last quoted construct or comment
        dollar, dollar_in_name = -1, False  # the last '$' checked, and whether it was in a name
        plain = start  # start of the unquoted text scanned since then
        last_token_end = start
        pos = start
        while True:
            match = pattern.search(text, pos)
            if match is None:
                end = _content_end(text, plain, len(text))
                self._add(start, end if end > plain else last_token_end, SQL, False, None)
                return len(text)
            token = match.group()
            found = match.start()
            pos = match.end()
            char = token[0]
            if char == ";":
                if atomic_depth or (rule and paren_depth):
                    continue
                self._add(start, pos, SQL, True, None)
                return self._skip_copy_data(pos) if copy_from_stdin else pos
            if char == "'" or char == '"':
                if char == '"':
                    end, error = _skip_quoted(text, pos, '"'), UNTERMINATED_IDENTIFIER
                elif (
                    found - 1 >= floor
                    and text[found - 1] in "eE"
                    and (found - 2 < floor or not _is_ident_char(text[found - 2]))
                ):
                    end, error = _skip_escape_string(text, pos), UNTERMINATED_STRING
                else:
                    end, error = _skip_quoted(text, pos, "'"), UNTERMINATED_STRING
            elif char == "$":
                if found > floor and _is_ident_char(text[found - 1]):
                    dollar_in_name = _continues_name(text, found, floor, dollar, dollar_in_name)
                    dollar = found
                    if dollar_in_name:
                        continue  # inside an identifier such as a$b
                delimiter = _DOLLAR_DELIMITER.match(text, found)
                if delimiter is None:
                    continue  # a parameter ($1) or a lone '$'
                close = text.find(delimiter.group(), delimiter.end())
                end = -1 if close < 0 else close + len(delimiter.group())
                error = UNTERMINATED_DOLLAR
            elif token == "--" or token == "/*":
                end = _content_end(text, plain, found)
                if end > plain:
                    last_token_end = end
                if token == "--":
                    pos = floor = plain = _line_end(text, pos)
                    continue
                end = _skip_block_comment(text, pos)
                if end < 0:
                    self._add(start, len(text), SQL, False, UNTERMINATED_COMMENT)
                    return len(text)
                pos = floor = plain = end
                continue
            elif char == "(":
                paren_depth += 1
                previous = ""
                continue
            elif char == ")":
                paren_depth = max(paren_depth - 1, 0)
                previous = ""
                continue
            elif "0" <= char <= "9":
                previous = ""
                continue
            else:
                word = token.lower()
                if not head:
                    head = word
                    if head not in ("create", "copy"):
                        pattern = _FAST
                if head == "copy":
                    if paren_depth == 0 and previous == "from" and word == "stdin":
                        copy_from_stdin = True
                        pattern = _FAST
                elif routine:
                    if paren_depth == 0:
                        atomic_depth += _atomic_step(word, previous, atomic_depth)
                elif head == "create" and not rule and len(words) < 4:
                    words.append(word)
                    routine, rule, undecided = _create_kind(words)
                    if not (routine or rule or undecided):
                        pattern = _FAST
                previous = word
                continue
            # a quoted construct ended (or never did)
            if end < 0:
                self._add(start, len(text), SQL, False, error)
                return len(text)
            pos = floor = plain = last_token_end = end
            previous = ""


def _create_kind(words: list[str]) -> tuple[bool, bool, bool]:
    """For the leading words of a CREATE statement: (routine, rule, still undecided)."""
    rest = words[1:]
    if rest[:2] == ["or", "replace"]:
        rest = rest[2:]
    elif rest[:1] == ["or"]:
        return False, False, len(rest) < 2
    if not rest:
        return False, False, True
    return rest[0] in _ROUTINES, rest[0] == "rule", False


def _atomic_step(word: str, previous: str, depth: int) -> int:
    """Change of ``BEGIN ATOMIC`` nesting at an unparenthesised word of a routine definition;
    inside a body, ``CASE`` also closes with ``END``."""
    if depth == 0:
        return 1 if word == "atomic" and previous == "begin" else 0
    return 1 if word == "case" else -1 if word == "end" else 0
