"""Hover data for ORM code: the consolidated catalog entry of a model class or field.

``model_entry(catalog, "Order")`` finds the model (Django or SQLAlchemy, by class name or
qualified name) and returns its table as the whole workspace history leaves it: columns with
Postgres types, the indexes that contain each column, and which file created or last changed
each element. ``render_entry`` turns it into at most 15 lines of Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbsense.analyzers.ir import ModelFact, Span
from dbsense.analyzers.python.index import PythonIndex
from dbsense.analyzers.sql.types import formatted

MAX_LINES = 15


@dataclass(frozen=True, slots=True)
class Origin:
    path: str
    span: Span


@dataclass(frozen=True, slots=True)
class ColumnEntry:
    name: str
    type: str  # ``timestamp with time zone NOT NULL``
    indexes: tuple[tuple[str, int], ...]  # (index name, 1-based position of the column)
    created: Origin
    changed: Origin | None = None
    references: str | None = None  # ``shop_customer(id)``


@dataclass(frozen=True, slots=True)
class ModelEntry:
    model: str
    table: str
    created: Origin
    columns: tuple[ColumnEntry, ...]
    indexes: tuple[str, ...]


def model_entry(catalog: Any, model: str, field: str | None = None) -> ModelEntry | None:
    """The catalog entry of ``model`` (only ``field``'s column when given), or ``None``."""
    index = getattr(catalog, "python", None)
    if not isinstance(index, PythonIndex):
        return None
    located = index.model(model)
    if located is None or not isinstance(located.fact, ModelFact) or located.fact.table is None:
        return None
    table = catalog.table(located.fact.table)
    if table is None:
        return None
    wanted = _column_names(located.fact, field)
    columns = []
    for column in table.columns.values():
        if wanted is not None and column.name not in wanted:
            continue
        positions = tuple(
            (ix.name or _index_label(ix), ix.columns.index(column.name) + 1)
            for ix in table.indexes
            if column.name in ix.columns
        )
        type_ = formatted(column.type) if column.type is not None else "unknown"
        if not column.nullable:
            type_ += " NOT NULL"
        references = next(
            (
                f"{fk.definition.ref_table}({', '.join(fk.definition.ref_columns)})"
                for fk in table.foreign_keys
                if column.name in fk.definition.columns
            ),
            None,
        )
        changes = getattr(column, "changes", None) or []
        columns.append(
            ColumnEntry(
                column.name,
                type_,
                positions,
                Origin(column.location.path, column.location.span),
                Origin(changes[-1].path, changes[-1].span) if changes else None,
                references,
            )
        )
    return ModelEntry(
        located.fact.qualified,
        str(table.name),
        Origin(table.location.path, table.location.span),
        tuple(columns),
        tuple(_describe_index(ix) for ix in table.indexes),
    )


def render_entry(entry: ModelEntry) -> str:
    """Markdown for a hover, at most :data:`MAX_LINES` lines."""
    lines = [f"**{entry.model}** → table `{entry.table}` (created in `{entry.created.path}`)"]
    for column in entry.columns:
        line = f"- `{column.name}` {column.type}"
        if column.references:
            line += f" → {column.references}"
        if column.indexes:
            line += "; in " + ", ".join(f"`{name}` (#{pos})" for name, pos in column.indexes)
        if column.changed is not None:
            line += f"; last changed in `{column.changed.path}`"
        lines.append(line)
    if len(entry.columns) > 1 and entry.indexes:
        lines.append("Indexes: " + ", ".join(entry.indexes))
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], f"… {len(lines) - MAX_LINES + 1} more"]
    return "\n".join(lines)


def _column_names(model: ModelFact, field: str | None) -> set[str] | None:
    if field is None:
        return None
    names = {field}
    if any(r.attr == field and r.kind in ("forward", "one-to-one") for r in model.relations):
        names.add(f"{field}_id")
    return names


def _index_label(index: Any) -> str:
    kind = index.constraint or ("unique index" if index.unique else "index")
    return f"{kind} ({', '.join(c or '?' for c in index.columns)})"


def _describe_index(index: Any) -> str:
    label = index.name or _index_label(index)
    return f"`{label}`"
