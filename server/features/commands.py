"""Commands: ``dbsense.restart``, ``dbsense.showCatalog`` (Markdown text),
``dbsense.runLiveChecks`` (Markdown text) and ``dbsense.showDocumentation``
(``dbsense.recommendIndexes`` is in :mod:`dbsense.server.features.live`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from dbsense import rule_url
from dbsense.engines.core import registry
from dbsense.live.engines import mongo_notes, redis_notes, render_markdown
from dbsense.server.features.code_actions import SHOW_DOCUMENTATION
from dbsense.server.features.diagnostics import Linter
from dbsense.server.features.documents import Lifecycle
from dbsense.server.features.live import LiveFeatures
from dbsense.server.markdown import render_catalog
from dbsense.server.server import DbsenseServer

RESTART = "dbsense.restart"
SHOW_CATALOG = "dbsense.showCatalog"
RUN_LIVE_CHECKS = "dbsense.runLiveChecks"


def register(server: DbsenseServer, linter: Linter, live: LiveFeatures) -> None:
    @server.command(RESTART)
    async def restart(ls: DbsenseServer, *args: object) -> None:
        """Forget every cached result, re-read settings and re-index every root."""
        lifecycle = Lifecycle(server, linter)
        for folder, project in list(server.projects.items()):
            if not project.indexed:
                continue
            fresh = type(project)(folder, indexed=True)
            fresh.open = dict(project.open)
            server.projects[folder] = fresh
            linter.states.pop(id(project), None)
            await lifecycle.configure(fresh)
            await lifecycle.index(fresh)
        server.log("restarted")

    @server.command(SHOW_CATALOG)
    async def show_catalog(ls: DbsenseServer, *args: object) -> str:
        """The schema catalog of the given root URI (first argument), or of every root."""
        wanted = None
        if args and isinstance(args[0], str):
            fs_path = to_fs_path(args[0])
            wanted = Path(fs_path).resolve() if fs_path else None
        catalogs = []
        maps = {}
        for folder, project in sorted(server.projects.items()):
            if not project.indexed or (wanted is not None and folder != wanted):
                continue
            analysis = await linter.current(project, "")
            if analysis is None:
                continue
            catalogs.append((folder.name, analysis.catalog))
            maps[folder.name] = analysis

        def line_of(path: str, offset: int) -> int | None:
            for analysis in maps.values():
                positions = analysis.positions(path, types.PositionEncodingKind.Utf32)
                if positions is not None:
                    return positions.line_of(offset) + 1
            return None

        return await server.in_worker(render_catalog, catalogs, line_of)  # catalogs live there

    @server.command(RUN_LIVE_CHECKS)
    async def run_live_checks(ls: DbsenseServer, *args: object) -> str:
        """Run the live PostgreSQL/Redis/MongoDB checks of the settings, off the event loop;
        Markdown."""
        results = []
        for project in [p for _, p in sorted(server.projects.items()) if p.indexed]:
            await linter.current(project, "")  # settings are read before the first analysis
            postgres = await live.notes(project)
            if postgres is not None:
                results.append(postgres)
            editor = project.editor
            if editor.redis_url:
                results.append(await asyncio.to_thread(redis_notes, editor.redis_url))
            if editor.mongo_url:
                workspace = project.workspace
                results.append(await asyncio.to_thread(mongo_notes, editor.mongo_url, workspace))
        return render_markdown(results)

    @server.command(SHOW_DOCUMENTATION)
    async def show_documentation(ls: DbsenseServer, *args: object) -> None:
        """Open the rule page of the code given as first argument."""
        code = str(args[0]) if args else ""
        rule = registry().get(code)
        if rule is None:
            server.log(f"no rule {code!r}", types.MessageType.Warning)
            return
        if server.client_supports("window.show_document"):
            await server.window_show_document_async(
                types.ShowDocumentParams(uri=rule_url(rule.code), external=True)
            )
        else:
            server.window_show_message(
                types.ShowMessageParams(
                    types.MessageType.Info, f"{rule.code}: {rule_url(rule.code)}"
                )
            )
