"""Diagnostics over LSP: open, edit, cross-file, pull, CLI agreement, settings, lifecycle."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from lsprotocol import types

from dbsense import rule_url
from tests.lsp.conftest import (
    RULES,
    Client,
    diagnostics_for,
    open_document,
    replace_all,
    start,
    until,
)

ORDERS = "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp NOT NULL);\n"
CUSTOMERS = """CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id)
);
"""
CLI = [sys.executable, "-m", "dbsense", "check"]
INDEX = "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);\n"


def codes(diagnostics: list[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


async def test_open_publishes_diagnostics_with_rule_metadata(client: Client, project: Path):
    migration = project / "migrations" / "0001_orders.sql"
    migration.write_text(ORDERS)
    await start(client, project)
    uri = open_document(client, migration)

    [diagnostic] = await diagnostics_for(client, uri, version=1)

    assert diagnostic.code == "PG302"
    assert diagnostic.source == "dbsense"
    assert diagnostic.code_description.href == rule_url("PG302")
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert (
        ORDERS.splitlines()[0][diagnostic.range.start.character : diagnostic.range.end.character]
        == "timestamp"
    )
    assert diagnostic.data["version"] == 1
    assert diagnostic.data["fix"]["title"] == "Use `timestamptz`"


async def test_edits_republish_with_the_analysed_version(client: Client, project: Path):
    migration = project / "migrations" / "0001_orders.sql"
    migration.write_text(ORDERS)
    await start(client, project)
    uri = open_document(client, migration)
    assert codes(await diagnostics_for(client, uri, version=1)) == ["PG302"]

    replace_all(client, uri, ORDERS.replace("timestamp ", "timestamptz "), version=2)
    assert await diagnostics_for(client, uri, version=2) == []

    replace_all(client, uri, ORDERS.replace("NULL", "NULL, shipped_at timestamp"), version=3)
    assert codes(await diagnostics_for(client, uri, version=3)) == ["PG302", "PG302"]
    assert all(sent.version is not None for sent in client.published[uri])


async def test_incremental_changes_are_applied_in_utf16(client: Client, project: Path):
    text = '-- 📦 café\nCREATE TABLE "naïve_😀" (id bigint PRIMARY KEY, at timestamp);\n'
    migration = project / "migrations" / "0001.sql"
    migration.write_text(text)
    await start(client, project)
    uri = open_document(client, migration)
    [diagnostic] = await diagnostics_for(client, uri, version=1)
    # Columns count UTF-16 code units: the emoji is two.
    line = text.splitlines()[1]
    utf16 = line.encode("utf-16-le")
    start_char, end_char = diagnostic.range.start.character, diagnostic.range.end.character
    assert utf16[2 * start_char : 2 * end_char].decode("utf-16-le") == "timestamp"

    # Replace `timestamp` by `timestamptz` with a ranged change at those UTF-16 columns.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangePartial(range=diagnostic.range, text="timestamptz")],
        )
    )
    assert await diagnostics_for(client, uri, version=2) == []


async def test_cross_file_index_clears_the_other_file(client: Client, project: Path):
    first = project / "migrations" / "0001_customers.sql"
    second = project / "migrations" / "0002_index.sql"
    first.write_text(CUSTOMERS)
    second.write_text("-- indexes come later\n")
    await start(client, project)
    first_uri = open_document(client, first)
    second_uri = open_document(client, second)
    assert codes(await diagnostics_for(client, first_uri, version=1)) == ["PG201"]

    published_before = len(client.published[first_uri])
    replace_all(client, second_uri, INDEX, version=2)
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: len(client.published[first_uri]) > published_before,
    )
    assert list(client.published[first_uri][-1].diagnostics) == []
    assert client.published[first_uri][-1].version == 1

    replace_all(client, second_uri, "-- removed\n", version=3)
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: codes(client.published[first_uri][-1].diagnostics) == ["PG201"],
    )


async def test_workspace_rules_see_files_that_are_not_open(client: Client, project: Path):
    (project / "migrations" / "0001_customers.sql").write_text(CUSTOMERS)
    (project / "migrations" / "0002_index.sql").write_text(INDEX)
    await start(client, project)
    uri = open_document(client, project / "migrations" / "0001_customers.sql")
    assert await diagnostics_for(client, uri, version=1) == []


async def test_codes_and_ranges_match_the_cli(client: Client, project: Path):
    text = (
        "-- ünïcode comment\n"
        "CREATE TABLE customers (id bigint PRIMARY KEY);\n"
        "CREATE TABLE orders (\n"
        "    id bigint PRIMARY KEY,\n"
        "    customer_id bigint REFERENCES customers (id),\n"
        "    placed_at timestamp\n"
        ");\n"
        "CREATE INDEX orders_placed ON orders (placed_at);\n"
        "CREATE TABLE broken (;\n"
    )
    migration = project / "migrations" / "0001.sql"
    migration.write_text(text)
    cli = subprocess.run(
        [*CLI, "--format", "sarif", "--no-cache", "--select", ",".join(RULES), str(project)],
        capture_output=True,
        text=True,
        cwd=project,
        check=False,
    )
    results = json.loads(cli.stdout)["runs"][0]["results"]
    expected = sorted(
        (
            result["ruleId"],
            result["locations"][0]["physicalLocation"]["region"]["startLine"] - 1,
            result["locations"][0]["physicalLocation"]["region"]["startColumn"] - 1,
            result["locations"][0]["physicalLocation"]["region"]["endLine"] - 1,
            result["locations"][0]["physicalLocation"]["region"]["endColumn"] - 1,
        )
        for result in results
    )
    assert {item[0] for item in expected} >= {"PG201", "PG302", "DBS001"}

    await start(client, project)
    uri = open_document(client, migration)
    diagnostics = await diagnostics_for(client, uri, version=1)
    actual = sorted(
        (
            str(d.code),
            d.range.start.line,
            d.range.start.character,
            d.range.end.line,
            d.range.end.character,
        )
        for d in diagnostics
    )
    assert actual == expected


async def test_pull_diagnostics_when_the_client_supports_them(client: Client, project: Path):
    migration = project / "migrations" / "0001_orders.sql"
    migration.write_text(ORDERS)
    (project / "migrations" / "0002_more.sql").write_text(
        "CREATE INDEX orders_placed ON orders (placed_at);\n"
    )
    result = await start(client, project, pull=True)
    assert result.capabilities.diagnostic_provider is not None
    uri = open_document(client, migration)

    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))
    )
    assert codes(report.items) == ["PG302"]
    unchanged = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            types.TextDocumentIdentifier(uri), previous_result_id=report.result_id
        )
    )
    assert unchanged.kind == "unchanged"

    replace_all(client, uri, ORDERS.replace("timestamp ", "timestamptz "), version=2)
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))
    )
    assert list(report.items) == []

    workspace = await client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(previous_result_ids=[])
    )
    by_uri = {item.uri: item for item in workspace.items}
    more = (project / "migrations" / "0002_more.sql").as_uri()
    assert codes(by_uri[more].items) == ["PG101"]
    assert by_uri[uri].version == 2
    assert uri not in client.published  # nothing pushed to a pull client


async def test_progress_is_reported_while_indexing(client: Client, project: Path):
    for number in range(3):
        (project / "migrations" / f"000{number}.sql").write_text(
            f"CREATE TABLE t{number} (id int);\n"
        )
    await start(client, project)
    uri = open_document(client, project / "migrations" / "0000.sql")
    await diagnostics_for(client, uri, version=1)
    [reports] = client.progress_reports.values()
    kinds = [report.kind for report in reports]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    messages = [getattr(report, "message", None) for report in reports]
    assert "Indexing 3 files" in messages


async def test_watched_file_change_reindexes(client: Client, project: Path):
    first = project / "migrations" / "0001_customers.sql"
    first.write_text(CUSTOMERS)
    await start(client, project)
    uri = open_document(client, first)
    assert codes(await diagnostics_for(client, uri, version=1)) == ["PG201"]
    [registration] = client.registrations
    globs = [watcher["globPattern"] for watcher in registration.register_options["watchers"]]
    assert "**/*.sql" in globs and "**/pyproject.toml" in globs

    created = project / "migrations" / "0002_index.sql"
    created.write_text(INDEX)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(created.as_uri(), types.FileChangeType.Created)]
        )
    )
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: list(client.published[uri][-1].diagnostics) == [],
    )

    created.unlink()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(created.as_uri(), types.FileChangeType.Deleted)]
        )
    )
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: codes(client.published[uri][-1].diagnostics) == ["PG201"],
    )


async def test_closing_clears_diagnostics(client: Client, project: Path):
    migration = project / "migrations" / "0001_orders.sql"
    migration.write_text(ORDERS)
    await start(client, project)
    uri = open_document(client, migration)
    assert codes(await diagnostics_for(client, uri, version=1)) == ["PG302"]
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
    )
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: list(client.published[uri][-1].diagnostics) == [],
    )


async def test_python_syntax_error(client: Client, project: Path):
    module = project / "app.py"
    module.write_text("def broken(:\n    pass\n")
    await start(client, project)
    uri = open_document(client, module)
    assert codes(await diagnostics_for(client, uri, version=1)) == ["DBS001"]


async def test_shutdown_is_prompt_and_exit_code_is_zero(client: Client, project: Path):
    await start(client, project)
    await asyncio.wait_for(client.shutdown_async(None), 5)
    client.exit(None)
    assert await asyncio.wait_for(client._server.wait(), 10) == 0


def test_server_exits_when_stdin_closes():
    process = subprocess.run(
        [sys.executable, "-m", "dbsense.server", "--stdio"],
        input=b"",
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert process.returncode == 0
    assert b"Traceback" not in process.stderr


def test_dbsense_serve_answers_initialize():
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
    ).encode()
    message = b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    process = subprocess.run(
        [sys.executable, "-m", "dbsense", "serve", "--stdio"],
        input=message,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert process.returncode == 0
    assert b'"serverInfo"' in process.stdout and b'"dbsense"' in process.stdout


async def test_watched_change_of_an_indexed_file_and_restart(client: Client, project: Path):
    first = project / "migrations" / "0001_customers.sql"
    second = project / "migrations" / "0002_index.sql"
    first.write_text(CUSTOMERS)
    second.write_text(INDEX)
    await start(client, project)
    uri = open_document(client, first)
    assert await diagnostics_for(client, uri, version=1) == []

    second.write_text("-- the index was dropped\n")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(second.as_uri(), types.FileChangeType.Changed)]
        )
    )
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: codes(client.published[uri][-1].diagnostics) == ["PG201"],
    )

    # A change the server was not told about is picked up by `dbsense.restart`.
    second.write_text(INDEX)
    await client.workspace_execute_command_async(types.ExecuteCommandParams("dbsense.restart"))
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: list(client.published[uri][-1].diagnostics) == [],
    )
