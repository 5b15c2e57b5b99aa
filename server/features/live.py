"""Live PostgreSQL in the editor: table statistics in hovers, verified index advice as PG207
diagnostics whose quick fix creates the migration, and the PostgreSQL part of
``dbsense.runLiveChecks``.

The database is ``dbsense.live.databaseUrl``, else ``DBSENSE_DATABASE_URL``. Everything that
talks to it runs on one ``dbsense-live`` thread over a read-only session
(:class:`dbsense.live.session.LiveSession`), never on the event loop or the analysis thread.
A hover waits at most ``HOVER_WAIT`` seconds for statistics (they keep loading for the next
hover) and reuses them for ``CACHE_SECONDS``. Index advice runs after indexing and on demand
(``dbsense.recommendIndexes``), never on a keystroke; its findings stay attached to their query
while the text around it changes. A connection problem is logged and shown once, naming the
server by its redacted URL; the static analysis never waits for it.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from lsprotocol import types

from dbsense.analyzers.ir import QualifiedName, QueryFact, SourceFile, Span
from dbsense.engines.core import Violation
from dbsense.server.convert import PositionMap, diagnostic
from dbsense.server.features.diagnostics import Linter
from dbsense.server.markdown import render_live_table
from dbsense.server.project import Analysis, Project
from dbsense.server.server import DbsenseServer

T = TypeVar("T")
ENVIRONMENT = "DBSENSE_DATABASE_URL"
RECOMMEND_INDEXES = "dbsense.recommendIndexes"
HOVER_WAIT = 1.5
CACHE_SECONDS = 30.0
NOT_CONFIGURED = "No database is configured: set `dbsense.live.databaseUrl`.\n"
MISSING_DRIVER = (
    "live PostgreSQL needs psycopg: `pip install 'psycopg[binary]'` in the Python that runs the "
    "dbsense server"
)


class Unavailable(Exception):
    """The database cannot be used; the message is one line without a password."""


@dataclass(slots=True)
class _Advice:
    """The last index advice of a project: PG207 violations and the texts they were found in."""

    dsn: str
    violations: dict[str, list[Violation]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


class LiveFeatures:
    def __init__(self, server: DbsenseServer, linter: Linter) -> None:
        self.server = server
        self.linter = linter
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dbsense-live")
        self._sessions: dict[str, Any] = {}  # dsn -> LiveSession; used on the live thread only
        self._stats: dict[tuple[str, str, str], tuple[float, Any]] = {}
        self._loading: dict[tuple[str, str, str], asyncio.Future] = {}
        self._advice: dict[int, _Advice] = {}
        self._jobs: dict[int, asyncio.Task] = {}
        self._again: set[int] = set()  # projects to advise again when their job ends
        self._told: set[str] = set()
        self._driver: bool | None = None  # psycopg importable

    def url(self, project: Project) -> str | None:
        return project.editor.database_url or os.environ.get(ENVIRONMENT) or None

    def usable(self, project: Project) -> str | None:
        """The project's database URL when live mode can run; a missing driver is told once."""
        dsn = self.url(project)
        if dsn is not None and self._driver is None:
            try:
                import psycopg  # noqa: F401
            except ImportError:
                self._driver = False
            else:
                self._driver = True
        if dsn is not None and not self._driver:
            self.tell(MISSING_DRIVER)
            return None
        return dsn

    # --- the live thread ---------------------------------------------------------------------

    async def run(self, dsn: str, work: Callable[[Any], T]) -> T:
        """``work(connection)`` on the live thread; raises :class:`Unavailable`."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self._call, dsn, work))

    def _call(self, dsn: str, work: Callable[[Any], T]) -> T:
        from dbsense.live import LiveError
        from dbsense.live.session import LiveSession

        session = self._sessions.get(dsn)
        if session is None:
            session = self._sessions[dsn] = LiveSession(dsn)
        try:
            return session.run(work)
        except LiveError as error:
            raise Unavailable(str(error)) from None

    def tell(self, message: str) -> None:
        """Log and show a connection problem, once per message."""
        if message in self._told:
            return
        self._told.add(message)
        self.server.log(f"live: {message}", types.MessageType.Warning)
        self.server.window_show_message(
            types.ShowMessageParams(types.MessageType.Warning, f"dbsense: {message}")
        )

    def stop(self) -> None:
        self._executor.submit(self._close_sessions, set())
        self._executor.shutdown(wait=False, cancel_futures=False)

    def _close_sessions(self, keep: set[str]) -> None:
        """*live thread* Close the sessions of URLs no longer configured."""
        for dsn in [dsn for dsn in self._sessions if dsn not in keep]:
            self._sessions.pop(dsn).close()

    # --- hover -------------------------------------------------------------------------------

    async def table_section(self, project: Project, name: QualifiedName) -> str | None:
        """Markdown with the live statistics of table ``name``, or ``None`` (no database
        configured, not reachable, or still loading after ``HOVER_WAIT`` seconds)."""
        dsn = self.usable(project)
        if dsn is None:
            return None
        key = (dsn, name.schema or "public", name.name)
        cached = self._stats.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return self._render(dsn, cached[1])
        loading = self._loading.get(key)
        if loading is None:
            loading = self._loading[key] = asyncio.ensure_future(self._load(key))
        try:
            stats = await asyncio.wait_for(asyncio.shield(loading), HOVER_WAIT)
        except asyncio.TimeoutError:
            return None
        return None if stats is None else self._render(dsn, stats)

    async def _load(self, key: tuple[str, str, str]) -> Any:
        dsn, schema, table = key

        def read(conn: Any) -> Any:
            from dbsense.live.stats import read_table_stats

            return read_table_stats(conn, schema, table)

        try:
            stats = await self.run(dsn, read)
        except Unavailable as error:
            self.tell(str(error))
            return None
        except Exception as error:  # the hover keeps its static part
            self.server.log(f"live statistics failed: {error!r}", types.MessageType.Error)
            return None
        finally:
            self._loading.pop(key, None)
        self._stats[key] = (time.monotonic(), stats)
        return stats

    def _render(self, dsn: str, stats: Any) -> str:
        from dbsense.live.postgres import redact

        return render_live_table(stats, redact(dsn))

    # --- index advice ------------------------------------------------------------------------

    def indexed(self, project: Project) -> None:
        """After indexing: advise in the background once the analysis is current."""
        if self.server.shutting_down:
            return
        configured = {url for p in self.server.projects.values() if (url := self.url(p))}
        self._executor.submit(self._close_sessions, configured)
        if project.indexed and self.url(project) is not None:
            self.schedule(project)
        elif id(project) in self._advice:
            self._advice.pop(id(project))
            self.linter.request(project)

    def schedule(self, project: Project) -> asyncio.Task:
        """Advise now, or once more after the run in progress (it may predate the change)."""
        job = self._jobs.get(id(project))
        if job is not None and not job.done():
            self._again.add(id(project))
            return job
        job = self._jobs[id(project)] = asyncio.ensure_future(self.advise(project))
        job.add_done_callback(functools.partial(self._done, project))
        return job

    def _done(self, project: Project, job: asyncio.Task) -> None:
        if not job.cancelled() and job.exception() is not None:
            error = job.exception()
            self.server.log(
                f"index advice failed: {type(error).__name__}: {error}", types.MessageType.Error
            )
        if id(project) in self._again and not self.server.shutting_down:
            self._again.discard(id(project))
            self.schedule(project)

    async def advise(self, project: Project) -> str:
        """Advise on the project's queries, publish the PG207 findings; Markdown summary."""
        dsn = self.usable(project)
        if dsn is None:
            return MISSING_DRIVER if self.url(project) else NOT_CONFIGURED
        analysis = await self.linter.settled(project)
        if analysis is None:
            return "The workspace could not be analysed."
        context, sources, units, settings = await self.server.in_worker(_gather, project, analysis)

        def work(conn: Any) -> tuple[list[Violation], list[str]]:
            from dbsense.live.advice import advice_facts
            from dbsense.live.check import file_violations
            from dbsense.live.postgres import read_snapshot, redact

            snapshot = read_snapshot(conn, redact(dsn))
            facts = advice_facts(conn, snapshot, context)
            notes = [note for note in snapshot.unavailable if note.startswith("hypopg")]
            return file_violations(facts, settings, sources, units), notes

        try:
            violations, notes = await self.run(dsn, work)
        except Unavailable as error:
            self.tell(str(error))
            self._advice.pop(id(project), None)
            self.linter.request(project)
            return f"Index advice is unavailable: {error}"
        result = _Advice(dsn, texts={path: source.text for path, source in sources.items()})
        for violation in violations:
            result.violations.setdefault(violation.path, []).append(violation)
        self._advice[id(project)] = result
        self.linter.request(project)
        return _summary(violations, len(context.queries), result.texts, notes)

    def diagnostics(
        self,
        project: Project,
        analysis: Analysis,
        path: str,
        positions: PositionMap,
        version: int | None,
    ) -> list[types.Diagnostic]:
        """The PG207 diagnostics of ``path``, moved to where their query is now."""
        result = self._advice.get(id(project))
        if result is None or result.dsn != self.url(project):
            return []
        text = analysis.texts.get(path)
        items = []
        for violation in result.violations.get(path, ()):
            span = relocate(result.texts.get(path, ""), text, violation.span)
            if span is None:
                continue
            item = diagnostic(replace(violation, span=span), positions, version, {})
            files = [
                {"uri": project.uri_of(edit.path), "text": edit.new_text}
                for edit in (violation.fix.edits if violation.fix else ())
                if edit.path
            ]
            if files and violation.fix is not None:
                item.data["files"] = {"title": violation.fix.title, "create": files}
            items.append(item)
        return items

    # --- runLiveChecks -----------------------------------------------------------------------

    async def notes(self, project: Project) -> Any:
        """The live PostgreSQL checks (PG209, PG503-PG505, PG507, DBS006) as engine notes."""
        from dbsense.live.engines import UNAVAILABLE, EngineNotes

        dsn = self.url(project)
        if dsn is None:
            return None
        if self.usable(project) is None:
            return EngineNotes(
                "PostgreSQL", "(the configured URL)", ((UNAVAILABLE, MISSING_DRIVER),)
            )
        from dbsense.live.postgres import redact

        target = redact(dsn)

        def read(conn: Any) -> Any:
            from dbsense.live.postgres import read_snapshot

            return read_snapshot(conn, target)

        try:
            snapshot = await self.run(dsn, read)
        except Unavailable as error:
            return EngineNotes("PostgreSQL", target, ((UNAVAILABLE, str(error)),))
        analysis = await self.linter.current(project, "")
        violations = await self.server.in_worker(_live_violations, analysis, snapshot, target)
        return EngineNotes("PostgreSQL", target, tuple((v.code, v.message) for v in violations))


def relocate(old: str, new: str | None, span: Span) -> Span | None:
    """Where the text ``old[span]`` is in ``new``: the same place, else its occurrence nearest
    to it; ``None`` when it is gone."""
    if new is None:
        return None
    snippet = old[span.start : span.end]
    if not snippet:
        return None
    if new[span.start : span.end] == snippet:
        return span
    best = None
    start = new.find(snippet)
    while start != -1:
        if best is None or abs(start - span.start) < abs(best - span.start):
            best = start
        start = new.find(snippet, start + 1)
    return None if best is None else Span(best, best + len(snippet))


def query_tables(analysis: Analysis, path: str, offset: int) -> list[QualifiedName]:
    """The tables of the SQL query at ``offset`` (for hovers on tables the catalog lacks)."""
    unit = analysis.units.get(path)
    for fact in unit.facts if unit is not None else ():
        if isinstance(fact, QueryFact) and fact.span.start <= offset <= fact.span.end:
            return list(fact.tables)
    return []


def _gather(project: Project, analysis: Analysis) -> tuple[Any, dict, dict, Any]:
    """*worker* What advice needs from the workspace, copied (the catalog stays here)."""
    from dbsense.live.advice import advice_context

    cache = project.workspace.cache
    sources = {path: SourceFile(path, text) for path, text in analysis.texts.items()}
    units = {path: cache.get(source) for path, source in sources.items()}
    facts = {path: unit.facts for path, unit in units.items()}
    context = advice_context(project.workspace.root, analysis.catalog, analysis.texts, facts)
    queried = {query.path for query in context.queries}
    sources = {path: source for path, source in sources.items() if path in queried}
    units = {path: unit for path, unit in units.items() if path in queried}
    return context, sources, units, copy.deepcopy(analysis.settings)


def _live_violations(analysis: Analysis | None, snapshot: Any, target: str) -> list[Violation]:
    """*worker* The live rules on ``snapshot``, drift against the analysis' catalog included."""
    from dbsense.config import Settings
    from dbsense.live.check import violations_for
    from dbsense.live.drift import drift_facts

    facts = snapshot.facts()
    if analysis is not None and analysis.catalog.tables:
        facts += drift_facts(analysis.catalog, snapshot)
    settings = analysis.settings if analysis is not None else Settings()
    return violations_for(facts, target, settings)


def _summary(
    violations: list[Violation], queries: int, texts: dict[str, str], notes: list[str]
) -> str:
    lines = ["# Index recommendations", ""]
    lines.append(f"{queries} workspace quer{'y' if queries == 1 else 'ies'} found.")
    lines += ["", *(f"- {note}" for note in notes)] if notes else []
    lines.append("")
    for violation in violations:
        line = texts.get(violation.path, "").count("\n", 0, violation.span.start) + 1
        lines.append(f"- `{violation.path}:{line}` {violation.message}")
    if not violations and not notes:
        lines.append("No index would halve the estimated cost of a workspace query.")
    return "\n".join(lines) + "\n"


def register(server: DbsenseServer, linter: Linter) -> LiveFeatures:
    live = LiveFeatures(server, linter)
    server.on_indexed.append(live.indexed)
    server.on_stop.append(live.stop)
    linter.extra_diagnostics.append(live.diagnostics)

    @server.command(RECOMMEND_INDEXES)
    async def recommend_indexes(ls: DbsenseServer, *args: object) -> str:
        """Run index advice now for every workspace folder; Markdown."""
        parts = []
        for project in [p for _, p in sorted(server.projects.items()) if p.indexed]:
            await linter.current(project, "")  # settings are read before the first analysis
            if live.url(project) is not None:
                parts.append(await live.schedule(project))
        return "\n".join(parts) or NOT_CONFIGURED

    return live
