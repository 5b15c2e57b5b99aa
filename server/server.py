"""The dbsense language server: one ``LanguageServer`` subclass; features register themselves.

Handlers are thin: they find the project of a document and call ``dbsense.workspace`` through
it on a single analysis thread, so the event loop never blocks on analysis.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, default_converter, lsp_method
from pygls.uris import to_fs_path

from dbsense import __version__
from dbsense.server.convert import diagnostic_json
from dbsense.server.project import OpenDocument, Project
from dbsense.server.settings import EditorSettings

if TYPE_CHECKING:
    import cattrs

T = TypeVar("T")
logger = logging.getLogger(__name__)


class DbsenseProtocol(LanguageServerProtocol):
    """pygls' protocol, except that a change to a document the client never opened is ignored
    (pygls raises ``KeyError`` for it, which would be logged as an internal error)."""

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if unquote(params.text_document.uri) in self.workspace.text_documents:
            yield from super().lsp_text_document__did_change(params)


class DbsenseServer(LanguageServer):
    """Server state: the projects (one per workspace root) and the open documents."""

    def __init__(self) -> None:
        super().__init__(
            "dbsense", __version__, protocol_cls=DbsenseProtocol, converter_factory=_converter
        )
        self.projects: dict[Path, Project] = {}
        self.documents: dict[str, OpenDocument] = {}  # uri -> document
        self.initialization_options: Any = None
        self.editor_fallback = EditorSettings()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dbsense-analysis")
        self.shutting_down = False
        self.on_indexed: list[Callable[[Project], None]] = []  # called when indexing finishes
        self.on_stop: list[Callable[[], None]] = []  # called when the server stops

    # --- capabilities ------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def client_supports(self, dotted: str) -> bool:
        """Whether a client capability (``text_document.diagnostic``...) is present and truthy."""
        value: Any = self.client_capabilities
        for part in dotted.split("."):
            value = getattr(value, part, None)
            if value is None:
                return False
        return bool(value) if isinstance(value, bool) else True

    @property
    def pull_diagnostics(self) -> bool:
        return self.client_supports("text_document.diagnostic")

    # --- projects ----------------------------------------------------------------------------

    def add_folder(self, folder: Path) -> Project:
        folder = folder.resolve()
        project = self.projects.get(folder)
        if project is None or not project.indexed:
            project = Project(folder, indexed=True)
            self.projects[folder] = project
        return project

    def project_for(self, file: Path) -> Project:
        """The deepest workspace folder holding ``file``, else a non-indexed project for its
        directory."""
        file = file.resolve()
        holders = [p for p in self.projects.values() if p.indexed and p.contains(file)]
        if holders:
            return max(holders, key=lambda project: len(project.folder.parts))
        directory = file.parent
        project = self.projects.get(directory)
        if project is None:
            project = Project(directory, indexed=False)
            project.configure(self.editor_fallback)  # new: nothing runs on it yet
            self.projects[directory] = project
        return project

    def locate(self, uri: str) -> tuple[Project, str] | None:
        """The project and workspace path of a document URI (``None`` for non-file URIs)."""
        fs_path = to_fs_path(uri)
        if not fs_path or not uri.startswith("file:"):
            return None
        file = Path(fs_path)
        project = self.project_for(file)
        return project, project.path_of(file)

    # --- analysis thread ---------------------------------------------------------------------

    async def in_worker(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` on the analysis thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(function, *args))

    def stop_worker(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        while self.on_stop:
            self.on_stop.pop()()

    # --- messages ----------------------------------------------------------------------------

    def log(self, message: str, level: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(level, f"[dbsense] {message}"))

    def flush_notices(self, project: Project) -> None:
        while project.notices:
            self.log(project.notices.pop(0), types.MessageType.Warning)
        while project.shown:
            message = f"dbsense: {project.shown.pop(0)}"
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, message))

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors outside our handlers go to the log, never to a pop-up."""
        try:
            self.log(f"internal error: {type(error).__name__}: {error}", types.MessageType.Error)
        except Exception:
            logger.exception("cannot report an error")


def _converter() -> cattrs.Converter:
    """pygls' converter, writing diagnostics with :func:`diagnostic_json`."""
    converter = default_converter()
    converter.register_unstructure_hook(types.Diagnostic, diagnostic_json)
    return converter


def guarded(
    server: DbsenseServer, name: str, default: Any = None
) -> Callable[[Callable], Callable]:
    """A handler that logs its failures to the client and answers ``default`` instead."""

    def decorate(function: Callable) -> Callable:
        def fail(error: Exception) -> Any:
            details = "".join(traceback.format_exception(error)).rstrip()
            server.log(f"{name} failed: {details}", types.MessageType.Error)
            return default

        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(params: Any) -> Any:
                try:
                    return await function(params)
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    return fail(error)

            return run_async

        @functools.wraps(function)
        def run(params: Any) -> Any:
            try:
                return function(params)
            except Exception as error:
                return fail(error)

        return run

    return decorate


def create_server() -> DbsenseServer:
    from dbsense.server.features import (
        code_actions,
        commands,
        diagnostics,
        documents,
        hover,
        live,
        navigation,
    )

    server = DbsenseServer()
    linter = diagnostics.register(server)
    documents.register(server, linter)
    code_actions.register(server)
    postgres = live.register(server, linter)
    hover.register(server, postgres)
    navigation.register(server)
    commands.register(server, linter, postgres)
    return server


def run_stdio() -> None:
    """Serve LSP over stdin/stdout until ``exit`` or until stdin closes."""
    server = create_server()
    try:
        server.start_io()
    finally:
        server.stop_worker()
