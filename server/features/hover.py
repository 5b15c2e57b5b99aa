"""Hover: the rule page on a finding or a code in a suppression comment; the catalog entry on a
table or column name, with its live statistics when a database is configured; the lock a DDL
statement takes. Markdown, concise."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from dbsense.analyzers.ir import (
    AddColumnFact,
    CreateTableFact,
    Fact,
    QualifiedName,
    Span,
    StatementFact,
)
from dbsense.engines.core import registry
from dbsense.server import locks
from dbsense.server.convert import PositionMap
from dbsense.server.features.live import LiveFeatures, query_tables
from dbsense.server.markdown import render_column, render_rule, render_table
from dbsense.server.project import Analysis, Project
from dbsense.server.server import DbsenseServer, guarded

_WORD = re.compile(
    r'(?:"[^"\n]*"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"[^"\n]*"|[A-Za-z_][A-Za-z0-9_$]*))*'
)
_DDL_WORDS = {
    "CREATE", "INDEX", "ALTER", "TABLE", "DROP", "ADD", "CONCURRENTLY", "REINDEX", "VALIDATE",
    "CONSTRAINT", "ATTACH", "DETACH", "PARTITION", "TRUNCATE", "VACUUM", "FULL", "CLUSTER",
    "REFRESH", "MATERIALIZED", "VIEW", "TRIGGER", "COLUMN", "FOREIGN", "KEY", "REFERENCES",
    "UNIQUE", "SET", "TYPE", "ON", "NOT", "NULL", "DEFAULT", "VALID", "PRIMARY", "CHECK",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Word:
    span: Span
    parts: tuple[str, ...]  # case-folded as Postgres does; quotes removed
    raw: str


def word_at(text: str, offset: int, within: Span | None = None) -> Word | None:
    """The (possibly qualified, possibly quoted) identifier at ``offset``, looked for in
    ``within`` only when given (SQL inside a Python string: not the string's own quotes)."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    if within is not None:
        line_start, line_end = max(line_start, within.start), min(line_end, within.end)
    for match in _WORD.finditer(text, line_start, line_end):
        if match.start() <= offset <= match.end() and match.start() != match.end():
            raw = match.group()
            parts = tuple(
                part[1:-1] if part.startswith('"') else part.lower()
                for part in re.findall(r'"[^"\n]*"|[^.]+', raw)
            )
            return Word(Span(match.start(), match.end()), parts, raw)
    return None


def statement_at(analysis: Analysis, path: str, offset: int) -> Fact | None:
    """The SQL statement at ``offset``, else the ORM model (a table declared in Python)."""
    unit = analysis.units.get(path)
    if unit is None:
        return None
    model = None
    for fact in unit.facts:
        if fact.span.start <= offset <= fact.span.end:
            if isinstance(fact, StatementFact):
                return fact
            if isinstance(fact, CreateTableFact) and model is None:
                model = fact
    return model


def defined_at(analysis: Analysis, path: str, offset: int) -> tuple[Any, Any]:
    """(table, column) whose definition names the text at ``offset``: the table name of a
    ``CREATE TABLE`` or a model class, a column or model field name; ``(None, None)`` else."""
    unit = analysis.units.get(path)
    for fact in unit.facts if unit else ():
        if isinstance(fact, CreateTableFact):
            names, columns = [fact.name_span], fact.columns
        elif isinstance(fact, AddColumnFact):
            names, columns = [], (fact.column,)
        else:
            continue
        table = analysis.catalog.table(fact.table)
        if table is None:
            continue
        if any(span.start <= offset <= span.end for span in names):
            return table, None
        for column in columns:
            span = column.name_span
            if span.start <= offset <= span.end and column.name in table.columns:
                return table, table.columns[column.name]
    return None, None


def context_tables(analysis: Analysis, path: str, statement: Fact | None) -> list[Any]:
    """Catalog tables a statement is about (CREATE TABLE, CREATE INDEX ON, ALTER TABLE)."""
    unit = analysis.units.get(path)
    if unit is None or statement is None:
        return []
    tables = []
    for fact in unit.facts:
        name = getattr(fact, "table", None)
        inside = (
            statement.span.start
            <= fact.span.start
            < max(statement.span.end, statement.span.start + 1)
        )
        if isinstance(name, QualifiedName) and inside:
            table = analysis.catalog.table(name)
            if table is not None and table not in tables:
                tables.append(table)
    return tables


def find_table(analysis: Analysis, parts: tuple[str, ...]) -> Any:
    if len(parts) == 1:
        return analysis.catalog.table(QualifiedName(parts[0]))
    if len(parts) == 2:
        return analysis.catalog.table(QualifiedName(parts[1], parts[0]))
    return None


def find_column(analysis: Analysis, parts: tuple[str, ...], context: list[Any]) -> tuple[Any, Any]:
    """(table, column) named by ``parts``: ``col`` in a context table, or ``table.col``."""
    if len(parts) >= 2:
        table = find_table(analysis, parts[:-1])
        if table is not None and parts[-1] in table.columns:
            return table, table.columns[parts[-1]]
    if len(parts) == 1:
        for table in context:
            if parts[0] in table.columns:
                return table, table.columns[parts[0]]
    return None, None


@dataclass(frozen=True, slots=True)
class _Found:
    """A hover's sections from the analysis, and the table whose live statistics it adds."""

    sections: list[str]
    positions: PositionMap
    span: Span | None
    project: Project
    live_table: QualifiedName | None


def register(server: DbsenseServer, live: LiveFeatures | None = None) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(server, "textDocument/hover")
    async def hover(params: types.HoverParams) -> types.Hover | None:
        # The catalog part on the analysis thread (the catalog is updated in place there), then
        # the live statistics of the table it names.
        found = await server.in_worker(hover_now, params)
        if found is None:
            return None
        sections = found.sections
        if live is not None and found.live_table is not None:
            statistics = await live.table_section(found.project, found.live_table)
            if statistics is not None:
                sections.append(statistics)
        if not sections or found.span is None:
            return None
        return _hover(sections, found.positions, found.span)

    def hover_now(params: types.HoverParams) -> _Found | None:
        document = server.documents.get(params.text_document.uri)
        located = server.locate(params.text_document.uri)
        if document is None or located is None:
            return None
        project, path = located
        analysis = project.analysis
        if analysis is None or analysis.texts.get(path) != document.text:
            return None  # not analysed in this version yet
        positions = PositionMap(document.text, server.encoding)
        offset = positions.offset(params.position)

        def line_of(other: str, at: int) -> int | None:
            other_map = analysis.positions(other, server.encoding)
            return other_map.line_of(at) + 1 if other_map is not None else None

        sections: list[str] = []
        hover_span: Span | None = None
        live_table: QualifiedName | None = None
        violations = analysis.by_path.get(path, [])
        at_cursor = [
            v for v in violations if v.span.start <= offset < max(v.span.end, v.span.start + 1)
        ]
        for violation in at_cursor:
            rule = registry().get(violation.code)
            if rule is not None:
                sections.append(render_rule(rule, violation.message))
                hover_span = hover_span or violation.span
        unit = analysis.units.get(path)
        for suppression in unit.suppressions if unit else ():
            for item in suppression.codes:
                if item.span.start <= offset <= item.span.end:
                    rule = registry().get(item.selector)
                    if rule is not None:
                        sections.append(render_rule(rule))
                        hover_span = item.span

        statement = statement_at(analysis, path, offset)
        sql = statement.span if isinstance(statement, StatementFact) else None
        word = word_at(document.text, offset, sql)
        if word is not None and statement is not None:
            context = context_tables(analysis, path, statement)
            column_table, column = defined_at(analysis, path, offset)
            table = column_table if column is None else None
            if column is None and table is None:
                table = find_table(analysis, word.parts)
                if table is None:
                    column_table, column = find_column(analysis, word.parts, context)
            if table is not None:
                sections.append(render_table(table, analysis.catalog, line_of))
            elif column is not None:
                sections.append(render_column(column_table, column, line_of))
            elif word.raw.upper() in _DDL_WORDS and isinstance(statement, StatementFact):
                version = analysis.settings.engine_values().get("postgres", {}).get("version")
                info = locks.lock_of(
                    document.text[statement.span.start : statement.span.end], version
                )
                if info is not None:
                    sections.append(locks.render(info))
            if table is not None or column is not None:
                shown = set(map(id, at_cursor))
                for violation in violations:
                    if id(violation) in shown:
                        continue
                    if (
                        violation.span.start < statement.span.end
                        and statement.span.start < violation.span.end
                    ):
                        rule = registry().get(violation.code)
                        if rule is not None:
                            sections.append(render_rule(rule, violation.message, brief=True))
            hover_span = hover_span or word.span
            if live is not None and live.url(project) is not None and column is None:
                live_table = table.name if table is not None else None
                if live_table is None:  # a table the migrations do not create, in a query
                    tables = query_tables(analysis, path, offset)
                    live_table = next((n for n in tables if _names(n, word.parts)), None)
        return _Found(sections, positions, hover_span, project, live_table)


def _names(name: QualifiedName, parts: tuple[str, ...]) -> bool:
    """Whether the identifier ``parts`` spells ``name`` (qualified or not)."""
    return parts in ((name.name,), (name.schema or "public", name.name))


def _hover(sections: list[str], positions: PositionMap, span: Span) -> types.Hover:
    return types.Hover(
        contents=types.MarkupContent(types.MarkupKind.Markdown, "\n\n---\n\n".join(sections)),
        range=positions.range(span),
    )
