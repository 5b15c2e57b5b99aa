"""Pick the front-end for a document and turn it into :class:`UnitFacts`."""

from __future__ import annotations

from dbsense.analyzers.budget import Deadline, too_large
from dbsense.analyzers.ir import INTERNAL_ERROR, ParseErrorFact, SourceFile, Span, UnitFacts
from dbsense.analyzers.migrations import is_schema_dump
from dbsense.analyzers.sql.frontend import analyze_sql
from dbsense.analyzers.sql.memo import StatementMemo
from dbsense.analyzers.suppressions import find_suppressions

__all__ = ["INTERNAL_ERROR", "document_facts"]


def document_facts(source: SourceFile, memo: StatementMemo | None = None) -> UnitFacts:
    """Facts and suppressions of one document; never raises on bad input. An unexpected failure
    of a front-end is reported on the document instead of stopping the whole analysis. A SQL
    document analysed again with the ``memo`` of its earlier analyses re-parses only the
    statements that changed."""
    try:
        return _document_facts(source, memo)
    except Exception as error:  # last line of defence: report, never stop the analysis
        message = f"{INTERNAL_ERROR} ({type(error).__name__}: {error}); please report it"
        fact = ParseErrorFact(Span(0, 0), source.language, message, unsupported=True)
        return UnitFacts(path=source.path, facts=(fact,))


def _document_facts(source: SourceFile, memo: StatementMemo | None) -> UnitFacts:
    language = source.language
    oversize = too_large(source.text)
    if oversize is not None and language in ("sql", "python"):
        notice = ParseErrorFact(Span(0, 0), language, oversize, unsupported=True)
        return UnitFacts(path=source.path, facts=(notice,))
    deadline = Deadline.start(len(source.text))
    if language == "sql":
        analysis = analyze_sql(source.text, deadline=deadline, memo=memo)
        return UnitFacts(
            path=source.path,
            facts=tuple(analysis.facts),
            statements=analysis.statements,
            analysed_statements=analysis.analysed,
            suppressions=tuple(find_suppressions(source.text, "sql")),
            dump=is_schema_dump(source.path, source.text),
        )
    if language == "python":
        from dbsense.analyzers.python import analyze_python

        return analyze_python(source, deadline)
    return UnitFacts(path=source.path)
