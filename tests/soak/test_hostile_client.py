"""A misbehaving client cannot crash the server or corrupt its state: ranges past the end of
a line or of the document, changes and closes for unknown documents, oversized and binary
documents, requests at impossible positions. Afterwards the server still publishes what
``Workspace.check()`` computes for the texts it holds."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from lsprotocol import types

from tests.lsp.conftest import make_client, start
from tests.soak.test_server_soak import Soak

MIGRATION = "CREATE TABLE orders (id bigint PRIMARY KEY, at timestamp);\n"


def change(soak: Soak, path: str, start: types.Position, end: types.Position, text: str):
    version = soak.next_version(path)
    soak.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=soak.uri(path)),
            [types.TextDocumentContentChangePartial(types.Range(start, end), text)],
        )
    )


async def test_hostile_client(tmp_path: Path):
    root = tmp_path / "service"
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "0001.sql").write_text(MIGRATION)
    (root / "zz_sentinel.sql").write_text("SELECT 1;\n")
    client = make_client()
    await client.start_io(sys.executable, "-m", "dbsense.server", "--stdio")
    soak = Soak(root, client, random.Random(0))
    try:
        await start(client, root, options=None)
        path = "migrations/0001.sql"
        soak.open(path)
        # Past the end: clamped to the end of the document, as editors do.
        far = types.Position(999, 999)
        change(soak, path, far, far, "CREATE INDEX i ON orders (at);\n")
        soak.texts[path] += "CREATE INDEX i ON orders (at);\n"
        # Past the end of a line: clamped to the line end.
        change(soak, path, types.Position(0, 500), types.Position(0, 900), " -- tail")
        first_line_end = soak.texts[path].index("\n")
        text = soak.texts[path]
        soak.texts[path] = text[:first_line_end] + " -- tail" + text[first_line_end:]
        # Unknown documents.
        ghost = (root / "ghost.sql").as_uri()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=3, uri=ghost),
                [types.TextDocumentContentChangeWholeDocument("DROP TABLE x;")],
            )
        )
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(ghost))
        )
        # Oversized and binary documents are reported, not analysed.
        soak.open("big.sql", "SELECT 1;\n" * 700_000)
        soak.open("binary.sql", "SELECT 1;\0\0\0")
        # Requests at impossible positions answer without an error.
        for method in ("hover", "code_action"):
            await requests(client, soak.uri(path), method)
        await soak.settle()
        published = soak.published()
        expected = soak.expected()
        for unanalysed in ("big.sql", "binary.sql"):
            assert published.pop(unanalysed) == []
            expected.pop(unanalysed)
        assert published == expected
        notices = [m.message for m in client.log_messages + client.messages]
        assert any("big.sql" in m for m in notices), notices
        assert any("binary.sql" in m for m in notices), notices
        errors = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
        assert errors == []
        await client.shutdown_async(None)
        client.exit(None)
    finally:
        if client._server is not None and client._server.returncode is None:
            client._server.kill()
        await client.stop()


async def requests(client, uri: str, method: str) -> None:
    document = types.TextDocumentIdentifier(uri)
    for position in (types.Position(0, 10_000), types.Position(10_000, 0)):
        if method == "hover":
            await client.text_document_hover_async(types.HoverParams(document, position))
        else:
            await client.text_document_code_action_async(
                types.CodeActionParams(
                    document,
                    types.Range(position, types.Position(0, 0)),
                    types.CodeActionContext(diagnostics=[]),
                )
            )
