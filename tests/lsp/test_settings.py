"""Settings over LSP: initializationOptions, workspace/configuration, [tool.dbsense],
configurationPreference, lint.run, and robustness with bad input."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.lsp.conftest import (
    Client,
    diagnostics_for,
    open_document,
    replace_all,
    start,
    until,
)

ORDERS = "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp NOT NULL);\n"
FIXED = ORDERS.replace("timestamp ", "timestamptz ")


def codes(diagnostics) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


async def open_orders(client: Client, project: Path, **start_options) -> str:
    migration = project / "migrations" / "0001_orders.sql"
    migration.write_text(ORDERS)
    await start(client, project, **start_options)
    return open_document(client, migration)


async def test_empty_configuration_reply_means_defaults(client: Client, project: Path):
    client.set_configuration({}, section="dbsense")
    uri = await open_orders(client, project, options=None)
    [diagnostic] = await diagnostics_for(client, uri, version=1)
    assert diagnostic.code == "PG302"
    assert diagnostic.severity == types.DiagnosticSeverity.Warning


async def test_initialization_options_apply(client: Client, project: Path):
    options = {"select": ["PG302"], "rules": {"PG302": "error"}}
    uri = await open_orders(client, project, options=options)
    [diagnostic] = await diagnostics_for(client, uri, version=1)
    assert diagnostic.severity == types.DiagnosticSeverity.Error


async def test_configuration_change_relints(client: Client, project: Path):
    uri = await open_orders(client, project)
    assert codes(await diagnostics_for(client, uri, version=1)) == ["PG302"]
    client.set_configuration({"ignore": ["PG302"]}, section="dbsense")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: list(client.published[uri][-1].diagnostics) == [],
    )


async def test_configuration_preference(client: Client, project: Path):
    (project / "pyproject.toml").write_text('[tool.dbsense.rules]\nPG302 = "info"\n')
    editor = {"select": ["PG302"], "rules": {"PG302": "error"}}
    client.set_configuration(editor, section="dbsense")
    uri = await open_orders(client, project)
    [diagnostic] = await diagnostics_for(client, uri, version=1)
    assert diagnostic.severity == types.DiagnosticSeverity.Error  # editorFirst

    for preference, expected in (
        ("filesystemFirst", types.DiagnosticSeverity.Information),
        ("editorOnly", types.DiagnosticSeverity.Error),
    ):
        client.set_configuration(
            {**editor, "configurationPreference": preference}, section="dbsense"
        )
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await until(
            client,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
            lambda expected=expected: client.published[uri][-1].diagnostics[0].severity == expected,
        )


async def test_config_file_change_is_watched(client: Client, project: Path):
    uri = await open_orders(client, project, options=None)
    assert codes(await diagnostics_for(client, uri, version=1)) == ["PG302"]
    config = project / "dbsense.toml"
    config.write_text('ignore = ["PG302"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(config.as_uri(), types.FileChangeType.Created)]
        )
    )
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: list(client.published[uri][-1].diagnostics) == [],
    )


async def test_lint_on_save_only(client: Client, project: Path):
    uri = await open_orders(client, project, options={"lint": {"run": "onSave"}})
    assert codes(await diagnostics_for(client, uri, version=1)) == ["PG302"]
    replace_all(client, uri, FIXED, version=2)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri))
    )
    assert await diagnostics_for(client, uri, version=2) == []
    # Only one publication happened after open: the one for the save.
    assert [sent.version for sent in client.published[uri]] == [1, 2]


async def test_invalid_settings_are_reported_and_ignored(client: Client, project: Path):
    options = {"select": "PG302", "lint": {"run": "sometimes"}, "postgres": {"version": "x"}}
    uri = await open_orders(client, project, options=options)
    assert codes(await diagnostics_for(client, uri, version=1)) == ["PG302"]
    logged = "\n".join(message.message for message in client.log_messages)
    assert "dbsense.select must be a list of strings" in logged
    assert "dbsense.lint.run must be one of onType, onSave" in logged


async def test_broken_pyproject_is_shown_to_the_user_and_defaults_apply(
    client: Client, project: Path
):
    (project / "pyproject.toml").write_text("[tool.dbsense\nselect = [\n")
    uri = await open_orders(client, project)
    assert codes(await diagnostics_for(client, uri, version=1)) == ["PG302"]
    shown = [message.message for message in client.messages]
    assert any("pyproject.toml: invalid TOML" in message for message in shown), shown
    assert all(message.type == types.MessageType.Warning for message in client.messages)


async def test_unreadable_files_are_skipped_with_a_notice(client: Client, project: Path):
    (project / "migrations" / "0002_binary.sql").write_bytes(b"CREATE\0\x01\x02")
    (project / "migrations" / "0003_latin1.sql").write_bytes(b"-- caf\xe9\nSELECT 1;\n")
    uri = await open_orders(client, project)
    assert codes(await diagnostics_for(client, uri, version=1)) == ["PG302"]
    logged = "\n".join(message.message for message in client.log_messages)
    assert "0002_binary.sql: skipped: binary file" in logged
    assert "0003_latin1.sql: skipped: not valid UTF-8" in logged


async def test_huge_and_half_typed_documents(client: Client, project: Path):
    uri = await open_orders(client, project)
    await diagnostics_for(client, uri, version=1)
    huge = project / "migrations" / "0009_huge.sql"
    huge_uri = open_document(client, huge, "SELECT 1;\n" * 600_000)
    half = open_document(
        client, project / "migrations" / "0010_half.sql", "CREATE TABLE t (id int,"
    )
    await diagnostics_for(client, half, version=1)
    await until(
        client,
        types.WINDOW_LOG_MESSAGE,
        lambda: any("larger than 5 MB" in m.message for m in client.log_messages),
    )
    assert huge_uri not in client.published or not client.published[huge_uri][-1].diagnostics
    # The server still answers.
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(99, 99))
    )
    assert hover is None


async def test_file_outside_the_workspace_uses_initialization_options(
    client: Client, project: Path, tmp_path: Path
):
    await start(client, project, options={"select": ["PG302"], "rules": {"PG302": "info"}})
    loose = tmp_path / "elsewhere" / "scratch.sql"
    loose.parent.mkdir()
    uri = open_document(client, loose, ORDERS)
    [diagnostic] = await diagnostics_for(client, uri, version=1)
    assert diagnostic.severity == types.DiagnosticSeverity.Information
