"""Offsets <-> LSP positions, and violations -> LSP diagnostics.

The only place where ``str`` offsets meet LSP positions. Lines end at ``\\r\\n``, ``\\r`` or
``\\n`` (as the protocol says); columns count code units of the negotiated position encoding
(UTF-16 unless the client chose otherwise).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

from lsprotocol import types

from dbsense import rule_url
from dbsense.analyzers.ir import Span
from dbsense.engines.core import Applicability, Severity, Violation

SOURCE = "dbsense"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


class PositionMap:
    """Converts between ``str`` offsets of one text and LSP positions in ``encoding``."""

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16) -> None:
        self.text = text
        self.encoding = str(encoding)
        self.starts = [0]
        self.ends = []  # offset where each line's content ends (before its line break)
        for match in _LINE_BREAK.finditer(text):
            self.ends.append(match.start())
            self.starts.append(match.end())
        self.ends.append(len(text))

    def _units(self, chunk: str) -> int:
        if self.encoding == types.PositionEncodingKind.Utf8:
            return len(chunk.encode("utf-8", "surrogatepass"))
        if self.encoding == types.PositionEncodingKind.Utf32 or chunk.isascii():
            return len(chunk)
        return len(chunk.encode("utf-16-le", "surrogatepass")) // 2

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, max(0, min(offset, len(self.text)))) - 1

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = self.line_of(offset)
        # An offset inside a "\r\n" pair belongs to the end of its line.
        column_end = min(offset, self.ends[line])
        return types.Position(line, self._units(self.text[self.starts[line] : column_end]))

    def offset(self, position: types.Position) -> int:
        if position.line < 0:
            return 0
        if position.line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[position.line], self.ends[position.line]
        line = self.text[start:end]
        if self.encoding == types.PositionEncodingKind.Utf32 or line.isascii():
            return start + max(0, min(position.character, len(line)))
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return start + index
            units += self._units(char)
        return end

    def range(self, span: Span) -> types.Range:
        return types.Range(self.position(span.start), self.position(span.end))

    def span(self, range_: types.Range) -> Span:
        return Span(self.offset(range_.start), self.offset(range_.end))

    def line_span(self, line: int) -> Span:
        """The content of 0-based ``line`` (without its line break)."""
        line = max(0, min(line, len(self.starts) - 1))
        return Span(self.starts[line], self.ends[line])

    def line_break(self) -> str:
        """The document's first line break, ``\\n`` when it has none."""
        match = _LINE_BREAK.search(self.text)
        return match.group() if match else "\n"


def diagnostic(
    violation: Violation,
    positions: PositionMap,
    version: int | None,
    related_maps: dict[str, tuple[str, PositionMap]],
) -> types.Diagnostic:
    """The LSP diagnostic of ``violation``; its fix travels in ``data`` with ``version``.

    ``related_maps`` maps other workspace paths to (uri, PositionMap) for related locations
    and edits in other documents.
    """
    tags = [types.DiagnosticTag.Unnecessary] if violation.unnecessary else None
    related = [
        types.DiagnosticRelatedInformation(
            types.Location(related_maps[item.path][0], related_maps[item.path][1].range(item.span)),
            item.message,
        )
        for item in violation.related
        if item.path in related_maps
    ]
    data: dict[str, Any] = {"version": version}
    fix = violation.fix
    if fix is not None and fix.applicability is not Applicability.DISPLAY_ONLY:
        edits = []
        for edit in fix.edits:
            if edit.path is None or edit.path == violation.path:
                edits.append(
                    {"range": _json_range(positions.range(edit.span)), "newText": edit.new_text}
                )
            elif edit.path in related_maps:
                uri, other = related_maps[edit.path]
                edits.append(
                    {
                        "uri": uri,
                        "range": _json_range(other.range(edit.span)),
                        "newText": edit.new_text,
                    }
                )
        if len(edits) == len(fix.edits):
            data["fix"] = {
                "title": fix.title,
                "applicability": fix.applicability.value,
                "edits": edits,
            }
    return types.Diagnostic(
        range=positions.range(violation.span),
        message=violation.message,
        severity=_SEVERITY[violation.severity],
        code=violation.code,
        code_description=types.CodeDescription(href=rule_url(violation.code)),
        source=SOURCE,
        tags=tags,
        related_information=related or None,
        data=data,
    )


def diagnostic_json(item: types.Diagnostic) -> dict[str, Any]:
    """``item`` as LSP JSON, as lsprotocol's converter writes it (``None`` fields left out),
    without its generic walk: a large migration publishes hundreds of diagnostics per edit."""
    found: dict[str, Any] = {"range": _json_range(item.range), "message": item.message}
    if item.severity is not None:
        found["severity"] = int(item.severity)
    if item.code is not None:
        found["code"] = item.code
    if item.code_description is not None:
        found["codeDescription"] = {"href": item.code_description.href}
    if item.source is not None:
        found["source"] = item.source
    if item.tags is not None:
        found["tags"] = [int(tag) for tag in item.tags]
    if item.related_information is not None:
        found["relatedInformation"] = [
            {
                "location": {"uri": info.location.uri, "range": _json_range(info.location.range)},
                "message": info.message,
            }
            for info in item.related_information
        ]
    if item.data is not None:
        found["data"] = item.data
    return found


def _json_range(range_: types.Range) -> dict[str, dict[str, int]]:
    return {
        "start": {"line": range_.start.line, "character": range_.start.character},
        "end": {"line": range_.end.line, "character": range_.end.character},
    }


def range_from_json(value: Any) -> types.Range | None:
    """A range from diagnostic ``data`` (as the client sends it back), or ``None``."""
    try:
        start, end = value["start"], value["end"]
        return types.Range(
            types.Position(int(start["line"]), int(start["character"])),
            types.Position(int(end["line"]), int(end["character"])),
        )
    except (KeyError, TypeError, ValueError):
        return None
