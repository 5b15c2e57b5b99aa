"""Where a new migration for a table goes, and in which format, read from the catalog.

The target is the directory and tool of the latest migration that created or changed the table
(SQL files, Flyway ``V<n>__`` files, an Alembic revision, a Django app's migrations). A table
only an ORM model declares goes to its Django app's ``migrations`` package; anything else follows
the project's latest migration, or plain SQL files under ``migrations/`` when there is none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from dbsense.analyzers.catalog import Catalog, Table
from dbsense.analyzers.ir import ALEMBIC, DJANGO, DJANGO_MIGRATION, SQL_FILE, ModelFact
from dbsense.analyzers.migrations import replayed

_FORMATS = {SQL_FILE: "sql", ALEMBIC: "alembic", DJANGO_MIGRATION: "django"}
_FLYWAY = re.compile(r"^V\d[\d._]*__")
DEFAULT = "migrations"


@dataclass(frozen=True, slots=True)
class MigrationTarget:
    format: str  # sql | flyway | alembic | django (see dbsense.migration_writer)
    directory: str  # relative to the workspace root
    app_label: str | None = None  # Django
    model: str | None = None  # Django: the model class of the table, lower case


TableKey = tuple[str, str]  # (schema, table)


def migration_targets(catalog: Catalog) -> tuple[dict[TableKey, MigrationTarget], MigrationTarget]:
    """The target of every table of ``catalog``, and the project's target for other tables."""
    order = {unit.path: index for index, unit in enumerate(catalog.history)}
    origins = {}  # migration units (not models, not queries) -> their tool
    for unit in catalog.history:
        origin = next((fact.origin for fact in unit.facts if fact.origin in _FORMATS), None)
        if origin is not None and replayed(unit.path):
            origins[unit.path] = origin
    tables = list(catalog.iter_tables())
    changed = {path for table in tables for path in _paths(table) if path in origins}
    latest = max(changed, key=order.__getitem__, default=None)
    default = _target(latest, origins[latest]) if latest else MigrationTarget("sql", DEFAULT)
    models = {
        (fact.table.schema or "public", fact.table.name): (located.path, fact)
        for located in catalog.python.models.values()
        if isinstance(fact := located.fact, ModelFact) and fact.table is not None
    }
    targets = {}
    for table in tables:
        key = (table.name.schema or "public", table.name.name)
        touched = [path for path in _paths(table) if path in origins]
        model = models.get(key)
        if touched:
            path = max(touched, key=order.__getitem__)
            target = _target(path, origins[path])
        elif model is not None and model[1].origin == DJANGO:
            app = PurePosixPath(model[0]).parent
            if app.name == "models":  # a models package: shop/models/order.py
                app = app.parent
            target = MigrationTarget("django", (app / "migrations").as_posix(), app.name)
        else:
            target = default
        if target.format == "django" and model is not None:
            name = model[1].qualified.rsplit(".", 1)[-1].lower()
            target = MigrationTarget(target.format, target.directory, target.app_label, name)
        targets[key] = target
    return targets, default


def _paths(table: Table) -> set[str]:
    """Every unit that created or changed ``table``, its columns or its indexes."""
    locations = [table.location, *table.changes]
    for column in table.columns.values():
        locations += [column.location, *column.changes]
    for index in table.indexes:
        locations += [index.location, *index.changes]
    return {location.path for location in locations}


def _target(path: str, origin: str) -> MigrationTarget:
    pure = PurePosixPath(path)
    directory = pure.parent.as_posix() if pure.parent != PurePosixPath(".") else ""
    fmt = _FORMATS[origin]
    if fmt == "sql" and _FLYWAY.match(pure.name):
        fmt = "flyway"
    app = pure.parent.parent.name if fmt == "django" else None
    return MigrationTarget(fmt, directory, app or None)
