"""Python front-ends (stdlib ``ast``): ORM models, migrations, embedded SQL, client calls."""

from __future__ import annotations

import ast

from dbsense.analyzers.ir import ParseErrorFact, SourceFile, Span, UnitFacts
from dbsense.analyzers.suppressions import find_suppressions


def analyze_python(source: SourceFile) -> UnitFacts:
    """Facts of one Python document. User code is parsed, never imported or executed."""
    suppressions = tuple(find_suppressions(source.text, "python"))
    try:
        ast.parse(source.text, filename=source.path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return UnitFacts(
            path=source.path,
            facts=(_syntax_error(source.text, error),),
            suppressions=suppressions,
        )
    return UnitFacts(path=source.path, suppressions=suppressions)


def _syntax_error(text: str, error: Exception) -> ParseErrorFact:
    offset = 0
    if isinstance(error, SyntaxError) and error.lineno:
        lines = text.splitlines(keepends=True)
        offset = sum(len(line) for line in lines[: error.lineno - 1])
        offset += max((error.offset or 1) - 1, 0)
        offset = min(offset, len(text))
    end = text.find("\n", offset)
    end = len(text) if end == -1 else end
    message = error.msg if isinstance(error, SyntaxError) else str(error) or type(error).__name__
    return ParseErrorFact(Span(offset, max(end, offset)), "python", f"cannot parse file: {message}")
