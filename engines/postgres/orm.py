"""What rules on ORM code need from the workspace: the Python index, and a model's columns as
the catalog knows them (attribute name, column, type)."""

from __future__ import annotations

from dataclasses import dataclass

from dbsense.analyzers.catalog import Column, Table
from dbsense.analyzers.ir import ModelFact
from dbsense.analyzers.python.index import PythonIndex
from dbsense.engines.core import RuleContext


@dataclass(frozen=True, slots=True)
class ModelColumns:
    """A model, its table in the catalog, and its mapped columns by attribute name."""

    model: ModelFact
    table: Table
    columns: dict[str, Column]


def python_index(ctx: RuleContext) -> PythonIndex:
    """The workspace's index, or one built from this file's facts when there is none."""
    index = getattr(ctx.catalog, "python", None)
    if isinstance(index, PythonIndex) and (index.models or index.functions):
        return index
    path = ctx.file.path if ctx.file else ""
    return PythonIndex.from_facts(path, ctx.unit_facts)


def model_columns(ctx: RuleContext, index: PythonIndex, model: str) -> ModelColumns | None:
    """``model``'s columns when the catalog knows its table and every column it maps."""
    located = index.model(model)
    if located is None or ctx.catalog is None:
        return None
    fact = located.fact
    if not isinstance(fact, ModelFact) or fact.table is None or not fact.columns:
        return None
    table = ctx.catalog.table(fact.table)
    if table is None:
        return None
    columns: dict[str, Column] = {}
    for attribute, name in fact.columns:
        column = table.columns.get(name)
        if column is None:
            return None
        columns[attribute] = column
    return ModelColumns(fact, table, columns)
