"""Lifecycle and workspace: initialize, settings, indexing with progress, document sync,
watched files, configuration changes, shutdown."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from dbsense.server.convert import PositionMap
from dbsense.server.features.diagnostics import DEBOUNCE_SECONDS, Linter
from dbsense.server.project import CONFIG_NAMES, OpenDocument, Project
from dbsense.server.server import DbsenseServer, guarded
from dbsense.server.settings import EditorSettings

INDEX_BATCH = 200
WATCHED = ("**/*.sql", "**/*.py", "**/pyproject.toml", "**/dbsense.toml")


class Lifecycle:
    def __init__(self, server: DbsenseServer, linter: Linter) -> None:
        self.server = server
        self.linter = linter

    # --- settings ----------------------------------------------------------------------------

    async def editor_settings(self, project: Project, pushed: Any = None) -> EditorSettings:
        """initializationOptions, overridden by ``workspace/configuration`` (or a pushed
        ``didChangeConfiguration`` value); an empty answer means defaults."""
        value = pushed if pushed is not None else self.server.initialization_options
        if self.server.client_supports("workspace.configuration"):
            try:
                answer = await self.server.workspace_configuration_async(
                    types.ConfigurationParams(
                        [types.ConfigurationItem(scope_uri=project.uri, section="dbsense")]
                    )
                )
            except Exception as error:
                self.server.log(
                    f"workspace/configuration failed: {error}", types.MessageType.Warning
                )
                answer = None
            if answer and isinstance(answer[0], dict) and answer[0]:
                value = answer[0]
        return EditorSettings.parse(value)

    async def configure(self, project: Project, pushed: Any = None) -> None:
        editor = await self.editor_settings(project, pushed)
        await self.server.in_worker(project.configure, editor)
        self.server.flush_notices(project)

    # --- indexing ----------------------------------------------------------------------------

    async def index(self, project: Project) -> None:
        """Load the project's files in the background, reporting ``$/progress``."""
        state = self.linter.state(project)
        token: str | None = None
        if self.server.client_supports("window.work_done_progress"):
            token = f"dbsense-index-{uuid.uuid4().hex[:12]}"
            try:
                await self.server.work_done_progress.create_async(token)
            except Exception:
                token = None
        progress = self.server.work_done_progress
        try:
            if token:
                progress.begin(
                    token,
                    types.WorkDoneProgressBegin(
                        title="dbsense", message="Discovering files", percentage=0
                    ),
                )
            files = await self.server.in_worker(project.discover)
            message = f"Indexing {len(files)} file{'s' if len(files) != 1 else ''}"
            self.server.log(f"{project.folder.name}: {message.lower()}")
            for start in range(0, len(files), INDEX_BATCH):
                if token:
                    percentage = round(100 * start / max(len(files), 1))
                    progress.report(
                        token, types.WorkDoneProgressReport(message=message, percentage=percentage)
                    )
                await self.server.in_worker(project.load, files[start : start + INDEX_BATCH])
            await self.server.in_worker(project.forget_missing, files)
            self.server.flush_notices(project)
        finally:
            if token:
                progress.end(
                    token, types.WorkDoneProgressEnd(message=f"Indexed {project.folder.name}")
                )
            state.ready.set()
        self.linter.request(project)
        for hook in self.server.on_indexed:
            hook(project)

    async def reindex(self, project: Project) -> None:
        self.linter.state(project).ready.clear()
        await self.index(project)

    # --- documents ---------------------------------------------------------------------------

    def open(
        self, uri: str, text: str, version: int | None, edited: bool = False
    ) -> Project | None:
        """Track an open document; ``edited`` for a change (always a new input)."""
        located = self.server.locate(uri)
        if located is None:
            return None
        project, path = located
        analysis = project.analysis
        if (
            edited
            or analysis is None
            or analysis.texts.get(path) != text
            or not analysis.covers(path)
        ):
            project.touch()
        document = OpenDocument(uri, path, text, version)
        self.server.documents[uri] = document
        project.open[path] = document
        return project

    def change(self, params: types.DidChangeTextDocumentParams) -> Project | None:
        uri = params.text_document.uri
        document = self.server.documents.get(uri)
        if document is None:
            return None
        text = document.text
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                span = PositionMap(text, self.server.encoding).span(change.range)
                text = text[: span.start] + change.text + text[span.end :]
            else:
                text = change.text
        return self.open(uri, text, params.text_document.version, edited=True)

    def close(self, uri: str) -> Project | None:
        document = self.server.documents.pop(uri, None)
        located = self.server.locate(uri)
        if document is None or located is None:
            return None
        project, path = located
        project.open.pop(path, None)
        project.touch()
        return project


def register(server: DbsenseServer, linter: Linter) -> Lifecycle:
    lifecycle = Lifecycle(server, linter)

    @server.feature(types.INITIALIZE)
    @guarded(server, "initialize")
    def initialize(params: types.InitializeParams) -> None:
        server.initialization_options = params.initialization_options
        server.editor_fallback = EditorSettings.parse(params.initialization_options)
        folders = [to_fs_path(folder.uri) for folder in params.workspace_folders or ()]
        if not folders and (params.root_uri or params.root_path):
            folders = [to_fs_path(params.root_uri) if params.root_uri else params.root_path]
        for folder in folders:
            if folder:
                server.add_folder(Path(folder))

    @server.feature(types.INITIALIZED)
    @guarded(server, "initialized")
    async def initialized(params: types.InitializedParams) -> None:
        if server.client_supports("workspace.did_change_watched_files.dynamic_registration"):
            watchers = [types.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED]
            registration = types.Registration(
                id="dbsense-watched-files",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers),
            )
            server.client_register_capability(types.RegistrationParams([registration]))
        for project in list(server.projects.values()):
            await lifecycle.configure(project)
            if project.indexed:
                await lifecycle.index(project)
            else:
                linter.request(project)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded(server, "textDocument/didOpen")
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        project = lifecycle.open(item.uri, item.text, item.version)
        if project is not None and not linter.reuse(project, item.uri):
            linter.request(project)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded(server, "textDocument/didChange")
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        project = lifecycle.change(params)
        if project is not None and project.editor.lint_run == "onType":
            linter.request(project, DEBOUNCE_SECONDS)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    @guarded(server, "textDocument/didSave")
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        located = server.locate(params.text_document.uri)
        if located is not None:
            linter.request(located[0])

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded(server, "textDocument/didClose")
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        project = lifecycle.close(params.text_document.uri)
        linter.clear(params.text_document.uri)
        if project is not None:
            linter.request(project)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded(server, "workspace/didChangeConfiguration")
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        pushed = params.settings.get("dbsense") if isinstance(params.settings, dict) else None
        if pushed is not None:
            server.initialization_options = pushed
            server.editor_fallback = EditorSettings.parse(pushed)
        for project in list(server.projects.values()):
            await lifecycle.configure(project, pushed)
            if project.indexed:
                await lifecycle.reindex(project)
            else:
                linter.request(project)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded(server, "workspace/didChangeWatchedFiles")
    async def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        configs: set[int] = set()
        rediscover: set[int] = set()
        touched: dict[int, Project] = {}
        for event in params.changes:
            fs_path = to_fs_path(event.uri)
            if not fs_path:
                continue
            file = Path(fs_path)
            project = server.project_for(file)
            path = project.path_of(file)
            if file.name in CONFIG_NAMES:
                configs.add(id(project))
            elif path in project.open and event.type != types.FileChangeType.Deleted:
                continue  # the editor's text wins over the file on disk
            elif project.indexed and path not in project.indexed_paths:
                rediscover.add(id(project))  # a new file, or one discovery did not include
            else:
                project.mark_stale(path)
            touched[id(project)] = project
        for key, project in touched.items():
            if key in configs:
                await lifecycle.configure(project)
                await lifecycle.reindex(project)
            elif key in rediscover:
                await lifecycle.reindex(project)
            else:
                linter.request(project)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    @guarded(server, "workspace/didChangeWorkspaceFolders")
    async def did_change_folders(params: types.DidChangeWorkspaceFoldersParams) -> None:
        for folder in params.event.removed:
            fs_path = to_fs_path(folder.uri)
            if fs_path:
                server.projects.pop(Path(fs_path).resolve(), None)
        for folder in params.event.added:
            fs_path = to_fs_path(folder.uri)
            if fs_path:
                project = server.add_folder(Path(fs_path))
                await lifecycle.configure(project)
                await lifecycle.index(project)

    @server.feature(types.SHUTDOWN)
    @guarded(server, "shutdown")
    def shutdown(params: None) -> None:
        server.shutting_down = True
        for state in linter.states.values():
            if state.timer is not None:
                state.timer.cancel()
        server.stop_worker()

    return lifecycle
