"""Exact offsets for Python string literals: the value of a literal (or of an implicit
concatenation of literals) and, for each character of it, where it sits in the file.

The map is checked against the value ``ast`` computed, so a mapping is either exact or absent.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

from dbsense.analyzers.ir import Span

_PREFIX = re.compile(r"[rRuUbBfF]{0,2}")
_SIMPLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}


@dataclass(frozen=True, slots=True)
class StringMap:
    """``value[i]`` comes from ``starts[i]`` (inclusive) to ``ends[i]`` (exclusive) of the file.
    ``plain`` is True for one literal without escape sequences (safe to edit in place)."""

    value: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    plain: bool

    def offset(self, index: int, end: bool = False) -> int:
        """The file offset of value position ``index`` (a span end when ``end``)."""
        if not self.value:
            return self.starts[0] if self.starts else 0
        index = min(max(index, 0), len(self.value))
        if end:
            return self.ends[index - 1] if index > 0 else self.starts[0]
        return self.starts[index] if index < len(self.value) else self.ends[-1]

    def span(self, span: Span) -> Span:
        if span.start == span.end:
            at = self.offset(span.start)
            return Span(at, at)
        return Span(
            self.offset(span.start), max(self.offset(span.end, end=True), self.offset(span.start))
        )


def string_map(text: str, start: int, end: int, expected: str) -> StringMap | None:
    """Map the literal(s) in ``text[start:end]`` whose value must equal ``expected``."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = start
    pieces = 0
    escapes = False
    while position < end:
        char = text[position]
        if char in " \t\r\n\f(":
            position += 1
            continue
        if char == "\\" and text[position + 1 : position + 2] in ("\n", "\r"):
            position += 2
            continue
        if char == "#":
            newline = text.find("\n", position)
            position = end if newline == -1 else newline
            continue
        prefix = _PREFIX.match(text, position)
        letters = prefix.group() if prefix else ""
        quote_at = position + len(letters)
        if "f" in letters.lower() or "b" in letters.lower():
            return None
        quote = text[quote_at : quote_at + 3]
        if quote not in ('"""', "'''"):
            quote = text[quote_at : quote_at + 1]
            if quote not in ('"', "'"):
                return None
        raw = "r" in letters.lower()
        position = quote_at + len(quote)
        pieces += 1
        while True:
            if position >= end:
                return None
            if text.startswith(quote, position):
                position += len(quote)
                break
            char = text[position]
            if char == "\\" and not raw:
                escapes = True
                decoded, length = _escape(text, position)
                for value_char in decoded:
                    chars.append(value_char)
                    starts.append(position)
                    ends.append(position + length)
                position += length
                continue
            if char == "\\" and raw:
                chars.extend(text[position : position + 2])
                starts.extend((position, position + 1))
                ends.extend((position + 1, position + 2))
                position += 2
                continue
            chars.append(char)
            starts.append(position)
            ends.append(position + 1)
            position += 1
    value = "".join(chars)
    if value != expected:
        return None
    return StringMap(value, tuple(starts), tuple(ends), pieces == 1 and not escapes)


def _escape(text: str, position: int) -> tuple[str, int]:
    """Decode the escape sequence at ``position``: (characters, source length)."""
    following = text[position + 1 : position + 2]
    if following in ("\n",):
        return "", 2
    if following == "\r":
        return "", 3 if text[position + 2 : position + 3] == "\n" else 2
    if following in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[following], 2
    if following in "01234567" and following:
        match = re.match(r"[0-7]{1,3}", text[position + 1 : position + 4])
        assert match is not None
        return chr(int(match.group(), 8)), 1 + len(match.group())
    for letter, width in (("x", 2), ("u", 4), ("U", 8)):
        if following == letter:
            digits = text[position + 2 : position + 2 + width]
            try:
                return chr(int(digits, 16)), 2 + width
            except ValueError:
                return "\\" + letter, 2
    if following == "N" and text[position + 2 : position + 3] == "{":
        close = text.find("}", position)
        try:
            return ast.literal_eval('"' + text[position : close + 1] + '"'), close + 1 - position
        except (ValueError, SyntaxError):
            return "\\N", 2
    return "\\" + following, 2


def remap(value: Any, mapping: StringMap) -> Any:
    """Rewrite every :class:`Span` (and ``*_at`` offset) inside a fact from SQL-text offsets to
    file offsets, through nested dataclasses and tuples."""
    if isinstance(value, Span):
        return mapping.span(value)
    if isinstance(value, tuple):
        return tuple(remap(item, mapping) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for item in fields(value):
            current = getattr(value, item.name)
            if (
                item.name.endswith("_at")
                and isinstance(current, int)
                and not isinstance(current, bool)
            ):
                changes[item.name] = mapping.offset(current)
            elif isinstance(current, (Span, tuple)) or (
                is_dataclass(current) and not isinstance(current, type)
            ):
                changes[item.name] = remap(current, mapping)
        return replace(value, **changes) if changes else value
    return value
