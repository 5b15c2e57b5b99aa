"""Pick the front-end for a document and turn it into :class:`UnitFacts`."""

from __future__ import annotations

from dbsense.analyzers.ir import SourceFile, UnitFacts
from dbsense.analyzers.migrations import is_schema_dump
from dbsense.analyzers.sql.frontend import analyze_sql
from dbsense.analyzers.suppressions import find_suppressions


def document_facts(source: SourceFile) -> UnitFacts:
    """Facts and suppressions of one document; never raises on bad input."""
    language = source.language
    if language == "sql":
        analysis = analyze_sql(source.text)
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

        return analyze_python(source)
    return UnitFacts(path=source.path)
