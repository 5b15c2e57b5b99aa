"""The suppression comment grammar, shared by SQL (``--``) and Python (``#``).

    -- noqa                              every diagnostic on this line
    -- noqa: PG101, PG302 -- reason      these codes on this line
    # dbsense: ignore[PG101, foreign-key-without-index]
    # dbsense: file-ignore[PG1]          the whole file

A suppression alone on its line also covers the next line of code, so it can sit above a
statement. Trailing reasons after ``--`` or ``#`` are allowed.
"""

from __future__ import annotations

import io
import re
import tokenize

from dbsense.analyzers.ir import Span, SuppressedCode, Suppression

_NOQA = re.compile(
    r"\bnoqa\b(?P<colon>\s*:\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?"
)
_DIRECTIVE = re.compile(r"\bdbsense\s*:\s*(?P<kind>file-ignore|ignore)\s*\[(?P<body>[^\]]*)\]")
_SELECTOR = re.compile(r"[A-Za-z0-9_-]+")
_SQL_COMMENT = re.compile(r"--[^\n]*")
_PY_COMMENT = re.compile(r"#[^\n]*")


def find_suppressions(text: str, language: str) -> list[Suppression]:
    """Every suppression comment in ``text`` (``language`` is ``sql`` or ``python``)."""
    suppressions: list[Suppression] = []
    line_starts = _line_starts(text)
    for start, comment in _comments(text, language):
        line = _line_of(line_starts, start)
        standalone = not text[line_starts[line] : start].strip()
        for suppression in _parse_comment(comment, start, line):
            suppressions.append(suppression)
            if standalone and not suppression.file_level:
                next_line = _next_code_line(text, line_starts, line, language)
                if next_line is not None:
                    suppressions.append(
                        Suppression(next_line, suppression.span, suppression.codes, False)
                    )
    return suppressions


def _parse_comment(comment: str, offset: int, line: int) -> list[Suppression]:
    found = []
    for match in _DIRECTIVE.finditer(comment):
        body_start = offset + match.start("body")
        codes = tuple(
            SuppressedCode(m.group(), Span(body_start + m.start(), body_start + m.end()))
            for m in _SELECTOR.finditer(match.group("body"))
        )
        span = Span(offset, offset + len(comment))
        found.append(Suppression(line, span, codes, match.group("kind") == "file-ignore"))
    match = _NOQA.search(comment)
    if match and not found:
        codes_text = match.group("codes") or ""
        codes_start = offset + (match.start("codes") if codes_text else 0)
        codes = tuple(
            SuppressedCode(m.group().upper(), Span(codes_start + m.start(), codes_start + m.end()))
            for m in _SELECTOR.finditer(codes_text)
        )
        found.append(Suppression(line, Span(offset, offset + len(comment)), codes))
    return found


def _comments(text: str, language: str) -> list[tuple[int, str]]:
    if "noqa" not in text and "dbsense" not in text:
        return []
    if language == "python":
        comments = _python_comments(text)
        if comments is not None:
            return comments
        pattern = _PY_COMMENT
    else:
        pattern = _SQL_COMMENT
    return [(m.start(), m.group()) for m in pattern.finditer(text)]


def _python_comments(text: str) -> list[tuple[int, str]] | None:
    """Exact comment positions from the tokenizer, or ``None`` when the file does not tokenize."""
    line_starts = _line_starts(text)
    comments = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                row, col = token.start
                comments.append((line_starts[row - 1] + col, token.string))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return comments


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    return starts


def _line_of(line_starts: list[int], offset: int) -> int:
    low, high = 0, len(line_starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if line_starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low


def _next_code_line(text: str, line_starts: list[int], line: int, language: str) -> int | None:
    marker = "#" if language == "python" else "--"
    for candidate in range(line + 1, len(line_starts)):
        end = line_starts[candidate + 1] if candidate + 1 < len(line_starts) else len(text)
        content = text[line_starts[candidate] : end].strip()
        if content and not content.startswith(marker):
            return candidate
    return None
