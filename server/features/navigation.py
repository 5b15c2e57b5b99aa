"""Document symbols (tables, columns, indexes), go-to-definition of tables and columns, and
completion of table and column names from the catalog (offline)."""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types

from dbsense.analyzers.ir import AddColumnFact, CreateIndexFact, CreateTableFact, Span
from dbsense.server.convert import PositionMap
from dbsense.server.features.hover import (
    context_tables,
    find_column,
    find_table,
    statement_at,
    word_at,
)
from dbsense.server.markdown import column_line, column_type
from dbsense.server.server import DbsenseServer, guarded

_TABLE_REFERENCE = re.compile(
    r'\b(?:FROM|JOIN|UPDATE|INTO|TABLE|ON|REFERENCES)\s+((?:"[^"]+"|[A-Za-z_][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w$]*))?)',
    re.I,
)
_PREFIX = re.compile(r'((?:"[^"]*"|[A-Za-z_][\w$]*)\.)?([A-Za-z_][\w$]*)?$')


def register(server: DbsenseServer) -> None:
    def current(uri: str) -> tuple[Any, Any, str, PositionMap] | None:
        """(project, analysis, path, positions) when the last analysis saw this text."""
        document = server.documents.get(uri)
        located = server.locate(uri)
        if document is None or located is None:
            return None
        project, path = located
        analysis = project.analysis
        if analysis is None or analysis.texts.get(path) != document.text:
            return None
        return project, analysis, path, PositionMap(document.text, server.encoding)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(server, "textDocument/documentSymbol")
    def document_symbol(params: types.DocumentSymbolParams) -> list[types.DocumentSymbol] | None:
        found = current(params.text_document.uri)
        if found is None:
            return None
        _, analysis, path, positions = found
        unit = analysis.units.get(path)
        symbols: list[types.DocumentSymbol] = []
        for fact in unit.facts if unit else ():
            if isinstance(fact, CreateTableFact):
                children = [
                    _symbol(
                        column.name,
                        types.SymbolKind.Field,
                        column.span,
                        column.name_span,
                        positions,
                        column_type(column),
                    )
                    for column in fact.columns
                ]
                symbols.append(
                    _symbol(
                        str(fact.table),
                        types.SymbolKind.Class,
                        fact.span,
                        fact.name_span,
                        positions,
                        "table",
                        children,
                    )
                )
            elif isinstance(fact, CreateIndexFact):
                name = fact.name or f"(index on {fact.table})"
                symbols.append(
                    _symbol(
                        name,
                        types.SymbolKind.Key,
                        fact.span,
                        fact.table_span,
                        positions,
                        f"index on {fact.table}",
                    )
                )
            elif isinstance(fact, AddColumnFact):
                symbols.append(
                    _symbol(
                        f"{fact.table}.{fact.column.name}",
                        types.SymbolKind.Field,
                        fact.span,
                        fact.column.name_span,
                        positions,
                        column_type(fact.column),
                    )
                )
        return symbols

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guarded(server, "textDocument/definition")
    async def definition(params: types.DefinitionParams) -> list[types.Location] | None:
        # On the analysis thread: the catalog is updated in place there.
        return await server.in_worker(definition_now, params)

    def definition_now(params: types.DefinitionParams) -> list[types.Location] | None:
        found = current(params.text_document.uri)
        if found is None:
            return None
        project, analysis, path, positions = found
        offset = positions.offset(params.position)
        word = word_at(analysis.texts[path], offset)
        if word is None:
            return None
        table = find_table(analysis, word.parts)
        target = table.location if table is not None else None
        if target is None:
            context = context_tables(analysis, path, statement_at(analysis, path, offset))
            _, column = find_column(analysis, word.parts, context)
            target = column.location if column is not None else None
        if target is None:
            return None
        target_map = analysis.positions(target.path, server.encoding)
        if target_map is None:
            return None
        return [types.Location(project.uri_of(target.path), target_map.range(target.span))]

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."])
    )
    @guarded(server, "textDocument/completion")
    async def completion(params: types.CompletionParams) -> types.CompletionList | None:
        return await server.in_worker(completion_now, params)

    def completion_now(params: types.CompletionParams) -> types.CompletionList | None:
        document = server.documents.get(params.text_document.uri)
        located = server.locate(params.text_document.uri)
        if document is None or located is None:
            return None
        analysis = located[0].analysis
        if analysis is None:
            return None
        positions = PositionMap(document.text, server.encoding)
        offset = positions.offset(params.position)
        line_start = document.text.rfind("\n", 0, offset) + 1
        match = _PREFIX.search(document.text[line_start:offset])
        qualifier = match.group(1) if match else None
        items: list[types.CompletionItem] = []
        if qualifier:
            name = (
                qualifier[:-1].strip('"') if qualifier.startswith('"') else qualifier[:-1].lower()
            )
            table = find_table(analysis, (name,))
            if table is None:
                table = _aliased_table(analysis, document.text, offset, name)
            if table is not None:
                items.extend(_column_items(table))
            return types.CompletionList(is_incomplete=False, items=items)
        for table in analysis.catalog.iter_tables():
            items.append(
                types.CompletionItem(
                    label=table.name.name,
                    kind=types.CompletionItemKind.Class,
                    detail=f"table {table.name} ({len(table.columns)} columns)",
                    sort_text=f"1{table.name.name}",
                )
            )
        for table in _tables_in_statement(analysis, document.text, offset):
            items.extend(_column_items(table, sort_prefix="0"))
        return types.CompletionList(is_incomplete=False, items=items)


def _column_items(table: Any, sort_prefix: str = "0") -> list[types.CompletionItem]:
    return [
        types.CompletionItem(
            label=column.name,
            kind=types.CompletionItemKind.Field,
            detail=f"{table.name}: {column_line(column)}",
            sort_text=f"{sort_prefix}{column.name}",
        )
        for column in table.columns.values()
    ]


def _statement_text(text: str, offset: int) -> tuple[int, str]:
    """The text of the statement around ``offset`` (between semicolons; good enough for a
    half-typed statement)."""
    start = text.rfind(";", 0, offset) + 1
    end = text.find(";", offset)
    return start, text[start : len(text) if end == -1 else end]


def _tables_in_statement(analysis: Any, text: str, offset: int) -> list[Any]:
    _, statement = _statement_text(text, offset)
    tables = []
    for match in _TABLE_REFERENCE.finditer(statement):
        parts = tuple(
            part.strip('"') if part.startswith('"') else part.lower()
            for part in match.group(1).split(".")
        )
        table = find_table(analysis, parts)
        if table is not None and table not in tables:
            tables.append(table)
    return tables


def _aliased_table(analysis: Any, text: str, offset: int, alias: str) -> Any:
    """The table that ``alias`` stands for in ``FROM orders o`` / ``JOIN orders AS o``."""
    _, statement = _statement_text(text, offset)
    pattern = re.compile(
        r'\b(?:FROM|JOIN|UPDATE)\s+("[^"]+"|[A-Za-z_][\w$.]*)\s+(?:AS\s+)?'
        + re.escape(alias)
        + r"\b",
        re.I,
    )
    match = pattern.search(statement)
    if match is None:
        return None
    return find_table(analysis, tuple(part.lower() for part in match.group(1).split(".")))


def _symbol(
    name: str,
    kind: types.SymbolKind,
    span: Span,
    selection: Span,
    positions: PositionMap,
    detail: str,
    children: list[types.DocumentSymbol] | None = None,
) -> types.DocumentSymbol:
    if not (span.start <= selection.start and selection.end <= span.end):
        selection = span
    return types.DocumentSymbol(
        name=name or "?",
        kind=kind,
        range=positions.range(span),
        selection_range=positions.range(selection),
        detail=detail,
        children=children or None,
    )
