"""Diagnostics: debounced, coalesced, version-checked analysis runs; push or pull.

One run per project at a time on the analysis thread. A run checks the open documents (the
catalog covers the whole workspace; see ``Workspace.check``'s ``focus``), so an edit costs what
the open documents cost, not what the workspace does. Requests during a run coalesce into one
follow-up run. A result is published for an open document only when it was computed for the
document's current version; other open documents are re-published when their findings change
(cross-file effects, such as an index added in another migration).

Clients that pull workspace diagnostics also get the closed documents' findings: a *complete*
run over every document, started once typing pauses and given up (to start again later) as
soon as an edit arrives, so it never delays the open documents.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types

from dbsense.engines.core import Violation
from dbsense.server.convert import PositionMap, diagnostic
from dbsense.server.project import Analysis, Project
from dbsense.server.server import DbsenseServer, guarded
from dbsense.workspace import CheckInterrupted

DEBOUNCE_SECONDS = 0.025
COMPLETE_AFTER_SECONDS = 1.0  # idle time before the closed documents are checked again


@dataclass(slots=True)
class _State:
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # indexing finished
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task | None = None
    again: bool = False
    finished: asyncio.Condition = field(default_factory=asyncio.Condition)
    complete_timer: asyncio.TimerHandle | None = None
    complete_task: asyncio.Task | None = None
    stop_complete: threading.Event = field(default_factory=threading.Event)
    idle: asyncio.Future | None = None  # the analysis thread's work for quiet moments
    closed_digest: str = ""  # the closed documents' findings of the last complete run


class Linter:
    def __init__(self, server: DbsenseServer) -> None:
        self.server = server
        self.states: dict[int, _State] = {}
        self.published: dict[str, tuple[int | None, str]] = {}  # uri -> (version, digest)
        self.extra_diagnostics: list[Callable[..., list[types.Diagnostic]]] = []
        self._converted: dict[tuple[int, str], _Converted] = {}  # (project, path) -> the last

    def state(self, project: Project) -> _State:
        key = id(project)
        if key not in self.states:
            self.states[key] = _State()
            if not project.indexed:
                self.states[key].ready.set()
        return self.states[key]

    # --- scheduling --------------------------------------------------------------------------

    def request(self, project: Project, delay: float = 0.0) -> None:
        """Analyse ``project`` after ``delay`` seconds (restarting a pending delay)."""
        if self.server.shutting_down:
            return
        state = self.state(project)
        state.stop_complete.set()  # the open documents go first
        if state.timer is not None:
            state.timer.cancel()
        loop = asyncio.get_running_loop()
        state.timer = loop.call_later(delay, self._start, project)

    def _start(self, project: Project) -> None:
        state = self.state(project)
        state.timer = None
        if state.task is not None and not state.task.done():
            state.again = True
            return
        state.task = asyncio.ensure_future(self._run(project))

    def _busy(self, state: _State) -> bool:
        return state.timer is not None or (state.task is not None and not state.task.done())

    async def _run(self, project: Project) -> None:
        state = self.state(project)
        await state.ready.wait()
        while True:
            state.again = False
            try:
                if project.up_to_date():
                    analysis = project.analysis
                    self._adopt_open(project, analysis)
                else:
                    analysis = await self.server.in_worker(project.analyse)
            except Exception as error:
                self.server.log(
                    f"analysis failed: {type(error).__name__}: {error}", types.MessageType.Error
                )
                analysis = None
            if analysis is not None:
                project.analysis = analysis
                self.server.flush_notices(project)
                self._deliver(project, analysis)
            async with state.finished:
                state.finished.notify_all()
            if not state.again or self.server.shutting_down:
                break
        if self._idle(project) and self.server.pull_diagnostics:
            self.request_complete(project, COMPLETE_AFTER_SECONDS)

    def _idle(self, project: Project) -> bool:
        """Give the analysis thread its quiet-moment work (``Project.idle``) unless an edit
        waits or the server is shutting down; whether it did."""
        state = self.state(project)
        if state.timer is not None or self.server.shutting_down:
            return False
        state.idle = asyncio.ensure_future(self.server.in_worker(project.idle))
        return True

    # --- the closed documents ------------------------------------------------------------------

    def request_complete(self, project: Project, delay: float) -> None:
        """Check every document of ``project`` once the open ones are done and ``delay``
        seconds passed without an edit (pull clients: the closed documents' findings)."""
        if self.server.shutting_down or not project.indexed:
            return
        state = self.state(project)
        if state.complete_timer is not None:
            state.complete_timer.cancel()
        loop = asyncio.get_running_loop()
        state.complete_timer = loop.call_later(delay, self._start_complete, project)

    def _start_complete(self, project: Project) -> None:
        state = self.state(project)
        state.complete_timer = None
        if state.complete_task is not None and not state.complete_task.done():
            return
        if self._busy(state):
            self.request_complete(project, COMPLETE_AFTER_SECONDS)
            return
        state.complete_task = asyncio.ensure_future(self._run_complete(project))

    async def complete_now(self, project: Project) -> Analysis | None:
        """A complete analysis of ``project``, run now if there is none."""
        if project.complete is None:
            try:
                project.complete = await self.server.in_worker(project.analyse, True)
            except Exception as error:
                self.server.log(
                    f"analysis failed: {type(error).__name__}: {error}", types.MessageType.Error
                )
            self.server.flush_notices(project)
        return project.complete

    async def _run_complete(self, project: Project) -> None:
        state = self.state(project)
        await state.ready.wait()
        if project.complete is not None and project.complete.generation == project.generation:
            return
        state.stop_complete.clear()
        try:
            analysis = await self.server.in_worker(
                project.analyse, True, state.stop_complete.is_set
            )
        except CheckInterrupted:
            self.request_complete(project, COMPLETE_AFTER_SECONDS)
            return
        except Exception as error:
            self.server.log(
                f"analysis failed: {type(error).__name__}: {error}", types.MessageType.Error
            )
            return
        project.complete = analysis
        if analysis.generation == project.generation:
            project.analysis = analysis
        self.server.flush_notices(project)
        self._idle(project)
        closed = _findings_digest(analysis, exclude=set(project.open))
        if closed != state.closed_digest:  # what the client holds of closed files is stale
            state.closed_digest = closed
            if self.server.client_supports("workspace.diagnostics.refresh_support"):
                self.server.workspace_diagnostic_refresh(None)

    def reuse(self, project: Project, uri: str) -> bool:
        """Publish a just-opened document from the last analysis when that analysis saw the
        same text (the file as indexed) and nothing else is pending."""
        document = self.server.documents.get(uri)
        analysis = project.analysis
        state = self.state(project)
        if (
            document is None
            or analysis is None
            or not state.ready.is_set()
            or self._busy(state)
            or analysis.texts.get(document.path) != document.text
            or not analysis.covers(document.path)
            or not project.up_to_date()
        ):
            return False
        self._adopt_open(project, analysis)
        self._deliver(project, analysis)
        return True

    def _adopt_open(self, project: Project, analysis: Analysis) -> None:
        """Let ``analysis`` stand for open documents whose text it saw under another version
        (a document opened unchanged from disk)."""
        for path, document in project.open.items():
            if analysis.texts.get(path) == document.text:
                analysis.versions[path] = document.version
                project.units_for(analysis, path)

    async def current(self, project: Project, path: str) -> Analysis | None:
        """An analysis that saw the current text of ``path``, running one if needed."""
        for _ in range(20):
            analysis = project.analysis
            document = project.open.get(path)
            if analysis is not None and (
                document is None
                or (
                    analysis.covers(path)
                    and analysis.versions.get(path, object()) == document.version
                )
                or (self._lints_on_save(project) and path in analysis.texts)
            ):
                return analysis
            await self._next_run(project)
        return project.analysis

    async def settled(self, project: Project) -> Analysis | None:
        """An analysis that saw every current input, running one if needed."""
        for _ in range(20):
            if project.up_to_date():
                return project.analysis
            await self._next_run(project)
        return project.analysis

    async def _next_run(self, project: Project) -> None:
        """Wait for the end of the next run, starting one unless one is pending."""
        state = self.state(project)
        async with state.finished:
            if not self._busy(state):
                self._start(project)
            await state.finished.wait()

    def _lints_on_save(self, project: Project) -> bool:
        return project.editor.lint_run == "onSave"

    # --- results -----------------------------------------------------------------------------

    def diagnostics_for(
        self, project: Project, analysis: Analysis, path: str
    ) -> tuple[list[types.Diagnostic], str]:
        """The LSP diagnostics of ``path`` in ``analysis`` and their digest: dbsense's own
        findings, then those of other sources (live index advice)."""
        encoding = self.server.encoding
        positions = analysis.positions(path, encoding)
        if positions is None:
            return [], _digest([])
        version = analysis.versions.get(path)
        items, digest = self._converted_findings(project, analysis, path, positions, version)
        extras = [
            item
            for extra in self.extra_diagnostics
            for item in extra(project, analysis, path, positions, version)
        ]
        if not extras:
            return items, digest
        items = items + extras
        return items, _digest(items)

    def _converted_findings(
        self,
        project: Project,
        analysis: Analysis,
        path: str,
        positions: PositionMap,
        version: int | None,
    ) -> tuple[list[types.Diagnostic], str]:
        """The findings of ``path`` as LSP diagnostics. The same findings over the same texts
        as last time give last time's (the other open documents, and every closed one a
        workspace pull reports, are converted once, not on every run)."""
        encoding = positions.encoding
        violations = analysis.by_path.get(path, [])
        others = sorted({other for violation in violations for other in _paths_named(violation)})
        texts = (positions.text, *(analysis.texts.get(other) for other in others))
        uris = tuple(project.uri_of(other) for other in others)
        key = (id(project), path)
        last = self._converted.get(key)
        if (
            last is not None
            and last.version == version
            and last.encoding == encoding
            and last.texts == texts
            and last.uris == uris
            and last.violations == violations
        ):
            return last.items, last.digest
        maps: dict[str, tuple[str, PositionMap]] = {}
        for other, uri in zip(others, uris, strict=True):
            other_map = analysis.positions(other, encoding)
            if other_map is not None:
                maps[other] = (uri, other_map)
        items = [diagnostic(v, positions, version, maps) for v in violations]
        digest = _digest(items)
        self._converted[key] = _Converted(version, encoding, texts, uris, violations, items, digest)
        return items, digest

    def _deliver(self, project: Project, analysis: Analysis) -> None:
        changed = False
        for path, document in list(project.open.items()):
            if analysis.versions.get(path, object()) != document.version:
                continue  # stale: a newer run is coming
            items, digest = self.diagnostics_for(project, analysis, path)
            previous = self.published.get(document.uri)
            if self.server.pull_diagnostics:
                # The client pulls; ask it to pull again when what it holds went out of date.
                changed = changed or (previous is not None and previous[1] != digest)
                continue
            if previous == (document.version, digest):
                continue
            self.published[document.uri] = (document.version, digest)
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(document.uri, items, document.version)
            )
        if changed and self.server.client_supports("workspace.diagnostics.refresh_support"):
            self.server.workspace_diagnostic_refresh(None)

    def clear(self, uri: str) -> None:
        self.published.pop(uri, None)
        if not self.server.pull_diagnostics:
            self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))


def _paths_named(violation: Violation) -> list[str]:
    """The other documents a finding points into: its related locations and its fix's edits."""
    edits = violation.fix.edits if violation.fix else ()
    return [item.path for item in violation.related] + [edit.path for edit in edits if edit.path]


@dataclass(frozen=True, slots=True)
class _Converted:
    """The diagnostics made last for one document, and what they were made from."""

    version: int | None
    encoding: str
    texts: tuple[str | None, ...]  # the document's, then those of the paths its findings name
    uris: tuple[str, ...]  # of those paths
    violations: list[Violation]
    items: list[types.Diagnostic]
    digest: str


def _findings_digest(analysis: Analysis, exclude: set[str]) -> str:
    payload = [
        (v.path, v.code, v.span.start, v.span.end, v.message)
        for v in analysis.result.violations
        if v.path not in exclude
    ]
    return hashlib.blake2b(repr(payload).encode(), digest_size=12).hexdigest()


def _digest(items: list[types.Diagnostic]) -> str:
    payload = [
        (
            d.range.start.line,
            d.range.start.character,
            d.range.end.line,
            d.range.end.character,
            d.code,
            d.message,
            int(d.severity or 0),
            repr(d.data),  # built in a fixed order
        )
        for d in items
    ]
    return hashlib.blake2b(repr(payload).encode(), digest_size=12).hexdigest()


def register(server: DbsenseServer) -> Linter:
    linter = Linter(server)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier="dbsense", inter_file_dependencies=True, workspace_diagnostics=True
        ),
    )
    @guarded(server, "textDocument/diagnostic")
    async def document_diagnostic(
        params: types.DocumentDiagnosticParams,
    ) -> types.DocumentDiagnosticReport:
        located = server.locate(params.text_document.uri)
        if located is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        project, path = located
        analysis = await linter.current(project, path)
        if analysis is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        items, result_id = linter.diagnostics_for(project, analysis, path)
        linter.published[params.text_document.uri] = (analysis.versions.get(path), result_id)
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    @guarded(server, "workspace/diagnostic")
    async def workspace_diagnostic(
        params: types.WorkspaceDiagnosticParams,
    ) -> types.WorkspaceDiagnosticReport:
        """Open documents from the newest analysis; closed ones from the newest complete
        analysis (checked again in the background once typing pauses)."""
        previous = {item.uri: item.value for item in params.previous_result_ids or ()}
        reports: list[Any] = []
        for project in list(server.projects.values()):
            if not project.indexed:
                continue
            analysis = await linter.current(project, "")
            if analysis is None:
                continue
            complete = project.complete
            if complete is None:  # the first pull waits for the closed documents once
                complete = await linter.complete_now(project)
            elif complete.generation != project.generation:
                linter.request_complete(project, COMPLETE_AFTER_SECONDS)
            for path in sorted(analysis.texts):
                source = analysis if analysis.covers(path) else complete
                if source is None or path not in source.texts:
                    continue
                uri = project.uri_of(path)
                items, result_id = linter.diagnostics_for(project, source, path)
                version = analysis.versions.get(path)
                if previous.get(uri) == result_id:
                    reports.append(
                        types.WorkspaceUnchangedDocumentDiagnosticReport(
                            uri=uri, version=version, result_id=result_id
                        )
                    )
                else:
                    reports.append(
                        types.WorkspaceFullDocumentDiagnosticReport(
                            uri=uri, version=version, items=items, result_id=result_id
                        )
                    )
        return types.WorkspaceDiagnosticReport(items=reports)

    return linter
