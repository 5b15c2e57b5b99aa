"""Drift between the offline catalog (the migrations) and a live schema, as facts for PG507."""

from __future__ import annotations

from dbsense.analyzers.catalog import Catalog, Location
from dbsense.analyzers.live import LiveDriftFact
from dbsense.live.postgres import NO_SPAN, ORIGIN, Snapshot

DEFAULT_SCHEMA = "public"
IN_MIGRATIONS, IN_DATABASE = "migrations", "database"


def _type_text(type_ref) -> str | None:
    if type_ref is None:
        return None
    text = type_ref.name + (f"({','.join(type_ref.args)})" if type_ref.args else "")
    return text + ("[]" if type_ref.array else "")


def _fact(
    kind: str,
    only_in: str,
    key: tuple[str, str],
    name: str = "",
    location: Location | None = None,
    expected: str = "",
    actual: str = "",
) -> LiveDriftFact:
    return LiveDriftFact(
        NO_SPAN,
        ORIGIN,
        kind,
        only_in,
        key[0],
        key[1],
        name,
        expected,
        actual,
        location.path if location is not None else None,
        location.span if location is not None else None,
    )


def drift_facts(catalog: Catalog, snapshot: Snapshot) -> list[LiveDriftFact]:
    """One fact per difference, tables first; empty when both agree."""
    offline = {
        (table.name.schema or DEFAULT_SCHEMA, table.name.name): table
        for table in catalog.iter_tables()
        if not table.temporary
    }
    found: list[LiveDriftFact] = []
    for key in sorted(offline.keys() - snapshot.tables.keys()):
        found.append(_fact("table", IN_MIGRATIONS, key, location=offline[key].location))
    for key in sorted(snapshot.tables.keys() - offline.keys()):
        found.append(_fact("table", IN_DATABASE, key))
    for key in sorted(offline.keys() & snapshot.tables.keys()):
        table, live = offline[key], snapshot.tables[key]
        live_columns = {column.name: column for column in live.columns}
        for name in sorted(table.columns.keys() - live_columns.keys()):
            found.append(_fact("column", IN_MIGRATIONS, key, name, table.columns[name].location))
        for name in sorted(live_columns.keys() - table.columns.keys()):
            found.append(_fact("column", IN_DATABASE, key, name))
        for name in sorted(table.columns.keys() & live_columns.keys()):
            column = table.columns[name]
            expected = _type_text(column.type)
            actual = live_columns[name].type.replace(", ", ",")
            if expected and expected.replace(", ", ",") != actual:
                found.append(_fact("column-type", "", key, name, column.location, expected, actual))
        offline_indexes = {index.name: index for index in table.indexes if index.name}
        live_indexes = {index.name for index in live.indexes}
        for name in sorted(offline_indexes.keys() - live_indexes):
            found.append(_fact("index", IN_MIGRATIONS, key, name, offline_indexes[name].location))
        for name in sorted(live_indexes - offline_indexes.keys()):
            found.append(_fact("index", IN_DATABASE, key, name))
        live_constraints = {constraint.name for constraint in live.constraints}
        for name in sorted(table.constraints.keys() - live_constraints):
            location = table.constraints[name].location
            found.append(_fact("constraint", IN_MIGRATIONS, key, name, location))
        for name in sorted(live_constraints - table.constraints.keys()):
            found.append(_fact("constraint", IN_DATABASE, key, name))
    return found
