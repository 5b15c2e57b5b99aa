"""Python front-ends (stdlib ``ast``): ORM models, migrations, embedded SQL, access patterns.

``analyze_python`` parses a module once, builds its import map, and runs each front-end on the
tree. User code is parsed, never imported or executed; a front-end that fails on odd input
loses its own facts, never the file's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from dbsense.analyzers.budget import Deadline
from dbsense.analyzers.ir import (
    ALEMBIC,
    DJANGO_MIGRATION,
    INTERNAL_ERROR,
    Fact,
    ParseErrorFact,
    SourceFile,
    Span,
    UnitFacts,
)
from dbsense.analyzers.python.access import AccessPatterns
from dbsense.analyzers.python.alembic import AlembicRevision
from dbsense.analyzers.python.comparisons import OrmComparisons
from dbsense.analyzers.python.connections import ConnectionSetups
from dbsense.analyzers.python.constant_reads import ConstantReads
from dbsense.analyzers.python.django import DjangoModels
from dbsense.analyzers.python.django_migrations import DjangoMigration
from dbsense.analyzers.python.drf_settings import DrfSettings
from dbsense.analyzers.python.elasticsearch import EsCalls
from dbsense.analyzers.python.existence import ExistenceChecks
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.lookups import PatternLookups
from dbsense.analyzers.python.pagination import Pagination
from dbsense.analyzers.python.pymongo import MongoCalls
from dbsense.analyzers.python.raw_sql import EmbeddedSql
from dbsense.analyzers.python.redis import RedisCalls
from dbsense.analyzers.python.serializers import Serializers
from dbsense.analyzers.python.source import PythonSource, module_name
from dbsense.analyzers.python.sqlalchemy import SqlAlchemyModels
from dbsense.analyzers.suppressions import find_suppressions

_LOG = logging.getLogger(__name__)


def analyze_python(source: SourceFile, deadline: Deadline | None = None) -> UnitFacts:
    """Facts of one Python document. User code is parsed, never imported or executed. Passes
    left when ``deadline`` passes are skipped with a notice."""
    suppressions = tuple(find_suppressions(source.text, "python"))
    try:
        parsed = PythonSource.parse(source.path, source.text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return UnitFacts(
            path=source.path,
            facts=(_syntax_error(source.text, error),),
            suppressions=suppressions,
        )
    module = module_name(source.path)
    imports = ImportMap.from_module(parsed.tree, module)
    alembic = AlembicRevision(parsed, imports)
    django = DjangoMigration(parsed, imports)
    migration = alembic if alembic.is_revision else django if django.is_migration else None
    embedded = EmbeddedSql(parsed, imports)
    facts: list[Fact] = []
    if migration is not None:
        facts.extend(_guarded(migration.facts))
        embedded.origin = ALEMBIC if migration is alembic else DJANGO_MIGRATION
        embedded.created_tables = migration.created_tables
    for frontend in (*_frontends(parsed, imports, module), embedded.facts):
        if deadline is not None and deadline.passed():
            notice = deadline.notice("some checks of this file were skipped")
            facts.append(ParseErrorFact(Span(0, 0), "python", notice, unsupported=True))
            break
        facts.extend(_guarded(frontend))
    facts.sort(key=lambda fact: fact.span.start)
    return UnitFacts(
        path=source.path,
        facts=tuple(facts),
        statements=embedded.statements,
        analysed_statements=embedded.analysed,
        suppressions=suppressions,
        unit_id=migration.unit_id if migration is not None else None,
        depends_on=migration.depends_on if migration is not None else (),
        replaces=django.replaces if migration is django else (),
        run_before=django.run_before if migration is django else (),
    )


def _frontends(
    parsed: PythonSource, imports: ImportMap, module: str
) -> list[Callable[[], Iterable[Fact]]]:
    return [
        DjangoModels(parsed, imports, module).facts,
        SqlAlchemyModels(parsed, imports, module).facts,
        RedisCalls(parsed, imports, module).facts,
        MongoCalls(parsed, imports, module).facts,
        EsCalls(parsed, imports, module).facts,
        AccessPatterns(parsed, imports, module).facts,
        ConnectionSetups(parsed, imports).facts,
        ExistenceChecks(parsed, imports).facts,
        Serializers(parsed, imports, module).facts,
        ConstantReads(parsed, imports).facts,
        Pagination(parsed, imports).facts,
        DrfSettings(parsed).facts,
        PatternLookups(parsed, imports).facts,
        OrmComparisons(parsed, imports).facts,
    ]


def _guarded(frontend: Callable[[], Iterable[Fact]]) -> list[Fact]:
    """The front-end's facts; a failure of dbsense itself becomes an info notice on the file
    (the other front-ends still run) and a debug log with the traceback."""
    try:
        return list(frontend())
    except (RecursionError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        _LOG.debug("python front-end failed", exc_info=True)
        owner = getattr(frontend, "__self__", frontend)
        name = type(owner).__name__ if owner is not frontend else frontend.__name__
        message = f"{INTERNAL_ERROR} completely ({name}: {type(error).__name__}: {error})"
        return [ParseErrorFact(Span(0, 0), "python", f"{message}; please report it", True)]


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
