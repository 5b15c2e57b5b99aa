"""Drift between the offline catalog (the migrations) and a live schema."""

from __future__ import annotations

from dbsense.analyzers.catalog import Catalog
from dbsense.live.postgres import Snapshot

DEFAULT_SCHEMA = "public"


def _label(schema: str, name: str) -> str:
    return name if schema == DEFAULT_SCHEMA else f"{schema}.{name}"


def _type_text(type_ref) -> str | None:
    if type_ref is None:
        return None
    text = type_ref.name + (f"({','.join(type_ref.args)})" if type_ref.args else "")
    return text + ("[]" if type_ref.array else "")


def schema_drift(catalog: Catalog, snapshot: Snapshot) -> list[str]:
    """One sentence per difference, naming the object; empty when both agree."""
    offline = {
        (table.name.schema or DEFAULT_SCHEMA, table.name.name): table
        for table in catalog.iter_tables()
        if not table.temporary
    }
    problems: list[str] = []
    for key in sorted(offline.keys() - snapshot.tables.keys()):
        problems.append(
            f"Table `{_label(*key)}` is created by the migrations but missing from the database "
            "(migration not applied?)"
        )
    for key in sorted(snapshot.tables.keys() - offline.keys()):
        problems.append(
            f"Table `{_label(*key)}` exists in the database but in no migration (manual change?)"
        )
    for key in sorted(offline.keys() & snapshot.tables.keys()):
        table, live = offline[key], snapshot.tables[key]
        label = _label(*key)
        live_columns = {column.name: column for column in live.columns}
        for name in sorted(table.columns.keys() - live_columns.keys()):
            problems.append(f"Column `{label}.{name}` is in the migrations but not the database")
        for name in sorted(live_columns.keys() - table.columns.keys()):
            problems.append(f"Column `{label}.{name}` is in the database but in no migration")
        for name in sorted(table.columns.keys() & live_columns.keys()):
            expected = _type_text(table.columns[name].type)
            actual = live_columns[name].type.replace(", ", ",")
            if expected and expected.replace(", ", ",") != actual:
                problems.append(
                    f"Column `{label}.{name}` is `{expected}` in the migrations but `{actual}` "
                    "in the database"
                )
        offline_indexes = {index.name for index in table.indexes if index.name}
        live_indexes = {index.name for index in live.indexes}
        for name in sorted(offline_indexes - live_indexes):
            problems.append(
                f"Index `{name}` on `{label}` is in the migrations but not the database"
            )
        for name in sorted(live_indexes - offline_indexes):
            problems.append(f"Index `{name}` on `{label}` is in the database but in no migration")
        offline_constraints = set(table.constraints)
        live_constraints = {constraint.name for constraint in live.constraints}
        for name in sorted(offline_constraints - live_constraints):
            problems.append(
                f"Constraint `{name}` on `{label}` is in the migrations but not the database"
            )
        for name in sorted(live_constraints - offline_constraints):
            problems.append(
                f"Constraint `{name}` on `{label}` is in the database but in no migration"
            )
    return problems
