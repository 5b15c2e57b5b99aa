"""Code actions over LSP: the rule fix, disable comments, documentation, fix-all, staleness."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from dbsense import rule_url
from tests.lsp.conftest import (
    Client,
    apply_edits,
    diagnostics_for,
    open_document,
    replace_all,
    start,
    until,
)

ORDERS = "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp NOT NULL);\n"


async def actions_for(
    client: Client, uri: str, diagnostics: list[types.Diagnostic], only: list[str] | None = None
) -> list[types.CodeAction]:
    whole = types.Range(types.Position(0, 0), types.Position(0, 0))
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            diagnostics[0].range if diagnostics else whole,
            types.CodeActionContext(diagnostics=diagnostics, only=only),
        )
    )
    return list(result or [])


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    edit = action.edit
    if edit.document_changes:
        return [
            e
            for change in edit.document_changes
            if change.text_document.uri == uri
            for e in change.edits
        ]
    return list(edit.changes[uri])


async def open_orders(
    client: Client, project: Path, text: str = ORDERS, **options
) -> tuple[str, list]:
    migration = project / "migrations" / "0001_orders.sql"
    migration.write_text(text)
    if options:
        await start(client, project, options=options)
    else:
        await start(client, project)
    uri = open_document(client, migration)
    return uri, await diagnostics_for(client, uri, version=1)


async def test_quick_fix_changes_exactly_the_flagged_text(client: Client, project: Path):
    uri, diagnostics = await open_orders(client, project)
    actions = await actions_for(client, uri, diagnostics)
    titles = [action.title for action in actions]
    assert titles == [
        "Use `timestamptz`",
        "Disable PG302 for this line",
        "Disable PG302 for this file",
        "Show documentation for PG302",
    ]
    fix = actions[0]
    assert fix.kind == types.CodeActionKind.QuickFix
    assert not fix.is_preferred  # the fix is unsafe
    fixed = apply_edits(ORDERS, edits_of(fix, uri))
    assert fixed == ORDERS.replace("placed_at timestamp", "placed_at timestamptz")

    replace_all(client, uri, fixed, version=2)
    assert await diagnostics_for(client, uri, version=2) == []


async def test_fix_is_exact_with_non_ascii_text(client: Client, project: Path):
    text = (
        "-- 🚀 déploiement, ünïcode 😀😀\n"
        'CREATE TABLE "commandes_é" ("naïve_😀" bigint PRIMARY KEY, "passée_🕒" timestamp);\n'
    )
    uri, diagnostics = await open_orders(client, project, text)
    [fix, *_] = await actions_for(client, uri, diagnostics)
    fixed = apply_edits(text, edits_of(fix, uri))
    assert fixed == text.replace('"passée_🕒" timestamp', '"passée_🕒" timestamptz')
    replace_all(client, uri, fixed, version=2)
    assert await diagnostics_for(client, uri, version=2) == []


async def test_disable_for_line_and_file(client: Client, project: Path):
    uri, diagnostics = await open_orders(client, project)
    actions = {action.title: action for action in await actions_for(client, uri, diagnostics)}

    line = apply_edits(ORDERS, edits_of(actions["Disable PG302 for this line"], uri))
    assert line == ORDERS.rstrip("\n") + "  -- noqa: PG302\n"
    replace_all(client, uri, line, version=2)
    assert await diagnostics_for(client, uri, version=2) == []

    replace_all(client, uri, ORDERS, version=3)
    diagnostics = await diagnostics_for(client, uri, version=3)
    actions = {action.title: action for action in await actions_for(client, uri, diagnostics)}
    whole_file = apply_edits(ORDERS, edits_of(actions["Disable PG302 for this file"], uri))
    assert whole_file == "-- dbsense: file-ignore[PG302]\n" + ORDERS
    replace_all(client, uri, whole_file, version=4)
    assert await diagnostics_for(client, uri, version=4) == []


async def test_disable_adds_to_an_existing_noqa(client: Client, project: Path):
    text = ORDERS.rstrip("\n") + "  -- noqa: PG101\n"
    uri, diagnostics = await open_orders(client, project, text)
    assert sorted(str(d.code) for d in diagnostics) == ["DBS002", "PG302"]
    [unused] = [d for d in diagnostics if d.code == "DBS002"]
    [remove] = [a for a in await actions_for(client, uri, [unused]) if a.title.startswith("Remove")]
    assert remove.is_preferred  # a safe fix
    pg302 = [d for d in diagnostics if d.code == "PG302"]
    actions = {action.title: action for action in await actions_for(client, uri, pg302)}
    edited = apply_edits(text, edits_of(actions["Disable PG302 for this line"], uri))
    assert edited.endswith("-- noqa: PG101, PG302\n")


async def test_show_documentation_opens_the_rule_page(client: Client, project: Path):
    uri, diagnostics = await open_orders(client, project)
    actions = {action.title: action for action in await actions_for(client, uri, diagnostics)}
    assert "Show documentation for PG302" in actions
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams("dbsense.showDocumentation", ["PG302"])
    )
    assert client.shown_documents[-1].uri == rule_url("PG302")


async def test_stale_actions_are_not_offered(client: Client, project: Path):
    uri, diagnostics = await open_orders(client, project)
    replace_all(client, uri, "-- a new first line\n" + ORDERS, version=2)
    await diagnostics_for(client, uri, version=2)
    assert await actions_for(client, uri, diagnostics) == []  # computed for version 1


async def test_fix_all_applies_safe_fixes_and_unsafe_only_when_enabled(
    client: Client, project: Path
):
    uri, _ = await open_orders(client, project)
    assert await actions_for(client, uri, [], only=["source.fixAll"]) == []  # PG302 is unsafe
    settings = {"select": ["PG302"], "unsafeFixes": True, "rules": {"PG302": "error"}}
    client.set_configuration(settings, section="dbsense")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await until(
        client,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        lambda: client.published[uri][-1].diagnostics[0].severity == types.DiagnosticSeverity.Error,
    )
    [action] = await actions_for(client, uri, [], only=["source.fixAll.dbsense"])
    assert action.kind == "source.fixAll.dbsense"
    fixed = apply_edits(ORDERS, edits_of(action, uri))
    assert fixed == ORDERS.replace("timestamp ", "timestamptz ")


async def test_malformed_diagnostic_data_is_ignored(client: Client, project: Path):
    uri, diagnostics = await open_orders(client, project)
    broken = types.Diagnostic(
        range=diagnostics[0].range,
        message="x",
        code="PG302",
        source="dbsense",
        data={"version": 1, "fix": {"edits": [{"range": "nonsense"}]}},
    )
    titles = [action.title for action in await actions_for(client, uri, [broken])]
    assert "Use `timestamptz`" not in titles
    assert "Disable PG302 for this line" in titles
