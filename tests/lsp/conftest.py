"""pytest-lsp fixtures: ``python -m dbsense.server`` as a subprocess and a client that records
what the server sends. Tests wait for notifications; they never sleep."""

from __future__ import annotations

import asyncio
import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

TIMEOUT = 20.0
# Tests assert exact findings: they enable these rules only (other rules keep being added).
RULES = ["DBS001", "DBS002", "PG101", "PG201", "PG302"]
SELECT = {"select": RULES}


class Client(LanguageClient):
    """A test client that keeps every published diagnostics notification with its version."""

    published: dict[str, list[types.PublishDiagnosticsParams]]
    registrations: list[types.Registration]


def _register(client: Client, params: types.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)


def _publish(client: Client, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.setdefault(params.uri, []).append(params)


def make_client() -> Client:
    client = Client(converter_factory=default_converter)
    client.published = {}
    client.registrations = []
    features = {
        **DEFAULT_CLIENT_FEATURES,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _publish,
        types.CLIENT_REGISTER_CAPABILITY: _register,
    }
    register_lsp_features(client, features)
    return client


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "dbsense.server", "--stdio"],
        client_factory=make_client,
    ),
)
async def client(lsp_client: Client):
    yield
    # Tests that end the session themselves have nothing left to shut down.
    if lsp_client.capabilities is not None and lsp_client._server.returncode is None:
        await lsp_client.shutdown_session()


def vscode(pull: bool = False) -> types.ClientCapabilities:
    """VS Code's capabilities; without pull diagnostics unless ``pull``."""
    capabilities = copy.deepcopy(client_capabilities("visual-studio-code"))
    if pull:
        capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(
            related_document_support=True
        )
        capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
            refresh_support=True
        )
    else:
        capabilities.text_document.diagnostic = None
    return capabilities


async def start(
    client: Client,
    root: Path,
    *,
    pull: bool = False,
    options: Any = SELECT,
    capabilities: types.ClientCapabilities | None = None,
) -> types.InitializeResult:
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or vscode(pull),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(root.as_uri(), root.name)],
            initialization_options=options,
        )
    )


async def until(
    client: Client, method: str, predicate: Callable[[], bool], timeout: float = TIMEOUT
) -> None:
    """Wait for notifications of ``method`` until ``predicate()`` holds."""

    async def wait() -> None:
        while not predicate():
            await client.wait_for_notification(method)

    await asyncio.wait_for(wait(), timeout)


async def diagnostics_for(
    client: Client, uri: str, version: int | None = None, timeout: float = TIMEOUT
) -> list[types.Diagnostic]:
    """The diagnostics published for ``uri`` (for ``version`` when given)."""

    def arrived() -> bool:
        sent = client.published.get(uri, [])
        return bool(sent) and (version is None or sent[-1].version == version)

    await until(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, arrived, timeout)
    return list(client.published[uri][-1].diagnostics)


def open_document(client: Client, file: Path, text: str | None = None, version: int = 1) -> str:
    uri = file.as_uri()
    language = "python" if file.suffix == ".py" else "sql"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(
                uri, language, version, file.read_text() if text is None else text
            )
        )
    )
    return uri


def replace_all(client: Client, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text)],
        )
    )


def offset_of(text: str, position: types.Position) -> int:
    """The ``str`` offset of a UTF-16 position (written independently of the server)."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position.line])
    units = lines[position.line].encode("utf-16-le")[: 2 * position.character]
    return start + len(units.decode("utf-16-le"))


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions) to ``text`` as a client does."""
    spans = sorted(
        ((offset_of(text, e.range.start), offset_of(text, e.range.end), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "service"
    (root / "migrations").mkdir(parents=True)
    return root
