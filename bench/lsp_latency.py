"""Language-server latency: didChange -> publishDiagnostics, cold start, open after indexing.

``python -m bench.lsp_latency [--files 500] [--lines 2000] [--edits 100]`` generates a
workspace of ``--files`` migrations (``bench.generate``), one of them a ``--lines``-line
migration, starts ``python -m dbsense.server`` as a real LSP subprocess and measures:

- cold start: process start -> first diagnostics of the big migration (opened right after
  ``initialized``, so indexing the workspace is included);
- indexing: ``initialized`` -> the end of the server's indexing progress (``$/progress``);
- open after indexing: ``didOpen`` of another migration -> its first diagnostics;
- edit latency: ``didChange`` (one character typed or deleted in the middle of the big
  migration) -> ``publishDiagnostics`` for that version, one edit at a time, median and p95.

A notification counts as arrived when its JSON is read, before the client library turns it
into objects: that part is the Python client's cost (15-35 ms for a 2,000-line migration's
300 diagnostics), not the server's; an editor parses the JSON in a few milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.protocol import LanguageServerProtocol

from bench.generate import generate


def build_workspace(root: Path, files: int, lines: int) -> tuple[list[Path], Path]:
    """``files - 1`` generated migrations plus one migration of ``lines`` lines."""
    statements = files * 45
    written = generate(statements, root)
    while len(written) < files + 20:
        statements *= 2
        written = generate(statements, root)
    kept, spare = written[: files - 1], written[files - 1 :]
    body: list[str] = []
    for path in spare:
        body.extend(path.read_text(encoding="utf-8").splitlines())
        if len(body) >= lines:
            break
    for path in spare:
        path.unlink()
    big = root / "migrations" / f"V{files}__big.sql"
    big.write_text("\n".join(body[:lines]) + "\n", encoding="utf-8")
    return kept, big


ARRIVED: dict[tuple[str, int | None], float] = {}  # (uri, version) -> when its JSON was read


class TimedProtocol(LanguageServerProtocol):
    """Notes when each ``publishDiagnostics`` arrives, before it is turned into objects."""

    def structure_message(self, data: dict):
        if data.get("method") == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS and "jsonrpc" in data:
            params = data.get("params") or {}
            ARRIVED[(params.get("uri"), params.get("version"))] = time.perf_counter()
        return super().structure_message(data)


class Bench:
    def __init__(self) -> None:
        self.client = LanguageClient("dbsense-bench", "1", protocol_cls=TimedProtocol)
        self.waiters: dict[tuple[str, int | None], asyncio.Future[float]] = {}
        self.first: dict[str, asyncio.Future[float]] = {}
        self.indexed: asyncio.Future[float] = asyncio.get_running_loop().create_future()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            now = ARRIVED.pop((params.uri, params.version), time.perf_counter())
            first = self.first.get(params.uri)
            if first is not None and not first.done():
                first.set_result(now)
            waiter = self.waiters.get((params.uri, params.version))
            if waiter is not None and not waiter.done():
                waiter.set_result(now)

        @self.client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list[None]:
            return [None for _ in params.items]

        @self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def progress_create(params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @self.client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            return None

        @self.client.feature(types.PROGRESS)
        def progress(params: types.ProgressParams) -> None:
            value = params.value
            ended = isinstance(value, types.WorkDoneProgressEnd) or (
                isinstance(value, dict) and value.get("kind") == "end"
            )
            if ended and not self.indexed.done():
                self.indexed.set_result(time.perf_counter())

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def log(params: types.LogMessageParams) -> None:
            return None

    def expect_first(self, uri: str) -> asyncio.Future[float]:
        self.first[uri] = asyncio.get_running_loop().create_future()
        return self.first[uri]

    def expect(self, uri: str, version: int) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        self.waiters[(uri, version)] = future
        return future

    def open(self, path: Path) -> str:
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8")
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "sql", 1, text))
        )
        return uri


async def measure(root: Path, big: Path, other: Path, edits: int) -> dict[str, object]:
    bench = Bench()
    capabilities = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(configuration=True),
    )
    started = time.perf_counter()
    await bench.client.start_io(sys.executable, "-m", "dbsense.server", "--stdio")
    await bench.client.initialize_async(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(root.as_uri(), root.name)],
        )
    )
    initialized = time.perf_counter()
    bench.client.initialized(types.InitializedParams())
    uri = big.as_uri()
    first = bench.expect_first(uri)
    bench.open(big)
    cold = await asyncio.wait_for(first, 120) - started
    indexing = await asyncio.wait_for(bench.indexed, 120) - initialized

    other_first = bench.expect_first(other.as_uri())
    opened = time.perf_counter()
    bench.open(other)
    open_latency = await asyncio.wait_for(other_first, 60) - opened

    text = big.read_text(encoding="utf-8")
    middle = text.count("\n") // 2
    latencies = []
    for version in range(2, edits + 2):
        position = types.Position(middle, 0)
        if version % 2 == 0:
            change = types.TextDocumentContentChangePartial(
                range=types.Range(position, position), text="-"
            )
        else:
            change = types.TextDocumentContentChangePartial(
                range=types.Range(position, types.Position(middle, 1)), text=""
            )
        done = bench.expect(uri, version)
        sent = time.perf_counter()
        bench.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version), [change]
            )
        )
        latencies.append(await asyncio.wait_for(done, 60) - sent)
    await bench.client.shutdown_async(None)
    bench.client.exit(None)
    await bench.client.stop()
    latencies.sort()
    return {
        "cold_start_s": cold,
        "indexing_s": indexing,
        "open_after_index_s": open_latency,
        "edit_median_ms": 1000 * statistics.median(latencies),
        "edit_p95_ms": 1000 * latencies[max(0, round(0.95 * len(latencies)) - 1)],
        "edit_max_ms": 1000 * latencies[-1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dbsense-lsp-bench-") as directory:
        root = Path(directory) / "workspace"
        kept, big = build_workspace(root, args.files, args.lines)
        lines = big.read_text(encoding="utf-8").count("\n")
        print(f"workspace: {len(kept) + 1} migrations; big migration {lines} lines")
        result = asyncio.run(measure(root, big, kept[len(kept) // 2], args.edits))
    print(f"cold start to first diagnostics: {result['cold_start_s']:.2f} s")
    print(f"indexing, initialized -> progress end: {result['indexing_s']:.2f} s")
    print(f"open after indexing to first diagnostics: {result['open_after_index_s']:.3f} s")
    print(
        f"didChange -> publishDiagnostics over {args.edits} edits: "
        f"median {result['edit_median_ms']:.0f} ms, p95 {result['edit_p95_ms']:.0f} ms, "
        f"max {result['edit_max_ms']:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
