"""Soak: random edits, opens, closes and configuration changes over a 50-file project.

After every burst the published diagnostics of each open document must equal a from-scratch
``Workspace.check()`` over the same texts (no stale or lost diagnostics), no result may carry
an older version than one already published, the log holds no errors, and the server's RSS
stays bounded after warm-up. ``DBSENSE_SOAK_EDITS`` sets the number of operations.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types

from dbsense.config import find_config, load_settings
from dbsense.workspace import FactCache, Workspace, discover
from tests.lsp.conftest import Client, make_client, start, until

OPERATIONS = int(os.environ.get("DBSENSE_SOAK_EDITS", "2000"))
BURST = 20
SEED = int(os.environ.get("DBSENSE_SOAK_SEED", "11"))
RSS_GROWTH_LIMIT_MB = 40
SENTINEL = "zz_sentinel.sql"

SQL_PARTS = [
    "CREATE TABLE {t} (id bigint PRIMARY KEY, placed_at timestamp NOT NULL);\n",
    "CREATE TABLE {t} (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));\n",
    "CREATE INDEX {t}_idx ON orders (placed_at);\n",
    "CREATE INDEX CONCURRENTLY {t}_cidx ON orders (id);\n",
    "ALTER TABLE orders ADD COLUMN {t}_note varchar(20) DEFAULT 'x';\n",
    "ALTER TABLE orders ADD CONSTRAINT {t}_fk FOREIGN KEY (id) REFERENCES customers (id);\n",
    "SELECT * FROM orders OFFSET 100; -- café ☕ 😀\n",
    "CREATE TABLE {t} (;\n",
    "/* unterminated {t}\n",
    "DROP TABLE {t}; -- noqa: PG114\n",
]
PY_PARTS = [
    "import redis\n\nr = redis.Redis()\nr.keys('{t}:*')\n",
    "from django.db import models\n\n\nclass {T}(models.Model):\n    at = models.DateTimeField()\n",
    'def run(cursor, ident):\n    cursor.execute(f"SELECT * FROM {t} WHERE id = {{ident}}")\n',
    "def broken(:\n",
    "x = '😀 ünï'  # {t}\n",
]
CONFIGS = [
    "",
    '[tool.dbsense]\nselect = ["all"]\n',
    '[tool.dbsense]\nignore = ["PG302"]\n',
    '[tool.dbsense]\nextend-select = ["PG205"]\n\n[tool.dbsense.rules]\nPG101 = "error"\n',
    '[tool.dbsense]\nselect = ["PG", "RD"]\nignore = ["PG206"]\n',
]


def generate(rng: random.Random, path: str) -> str:
    """Up to four random statements (or Python snippets) about one random table."""
    parts = PY_PARTS if path.endswith(".py") else SQL_PARTS
    chosen = rng.choices(parts, k=rng.randint(0, 4))
    name = f"t{rng.randint(0, 30)}"
    return "".join(part.format(t=name, T=name.upper()) for part in chosen)


def utf16_position(text: str, offset: int) -> types.Position:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line, len(text[start:offset].encode("utf-16-le")) // 2)


@dataclass
class Soak:
    root: Path
    client: Client
    rng: random.Random
    texts: dict[str, str] = field(default_factory=dict)  # path -> open text
    versions: dict[str, int] = field(default_factory=dict)  # path -> last version sent
    sent: dict[str, set[int]] = field(default_factory=dict)
    cache: FactCache = field(default_factory=FactCache)
    edits: int = 0
    indexings: int = 1  # "indexing" log lines expected: the first index and one per change
    log: list[str] = field(default_factory=list)  # recent operations, for failure messages

    def uri(self, path: str) -> str:
        return (self.root / path).as_uri()

    def generate(self, path: str) -> str:
        return generate(self.rng, path)

    def next_version(self, path: str) -> int:
        self.versions[path] = self.versions.get(path, 0) + 1
        self.sent.setdefault(path, set()).add(self.versions[path])
        return self.versions[path]

    def open(self, path: str, text: str | None = None) -> None:
        self.log.append(f"open {path}")
        self.texts[path] = (self.root / path).read_text() if text is None else text
        language = "python" if path.endswith(".py") else "sql"
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(
                    self.uri(path), language, self.next_version(path), self.texts[path]
                )
            )
        )

    def close(self, path: str) -> None:
        self.log.append(f"close {path}")
        del self.texts[path]
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(self.uri(path)))
        )

    def edit(self, path: str) -> None:
        text = self.texts[path]
        kind = self.rng.random()
        if kind < 0.4:
            new = self.generate(path)
            change: types.TextDocumentContentChangeEvent = (
                types.TextDocumentContentChangeWholeDocument(new)
            )
        else:
            start = self.rng.randint(0, len(text))
            end = min(len(text), start + self.rng.randint(0, 12)) if kind < 0.7 else start
            insert = self.generate(path)[: self.rng.randint(0, 60)]
            new = text[:start] + insert + text[end:]
            change = types.TextDocumentContentChangePartial(
                types.Range(utf16_position(text, start), utf16_position(text, end)), insert
            )
        self.texts[path] = new
        self.edits += 1
        self.log.append(f"edit {path} -> {new!r}")
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(
                    version=self.next_version(path), uri=self.uri(path)
                ),
                [change],
            )
        )

    def configure(self) -> None:
        config = self.rng.choice(CONFIGS)
        self.log.append(f"configure {config!r}")
        (self.root / "pyproject.toml").write_text(config)
        self.indexings += 1
        self.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                [types.FileEvent(self.uri("pyproject.toml"), types.FileChangeType.Changed)]
            )
        )

    async def settle(self) -> None:
        """Reopen the sentinel last: once its diagnostics arrive, the run that produced them
        saw every earlier change and has published every open document it changed. A
        configuration change re-indexes first: wait until that has begun."""

        def indexed() -> bool:
            lines = [m.message for m in self.client.log_messages if "indexing" in m.message]
            return len(lines) >= self.indexings

        await until(self.client, types.WINDOW_LOG_MESSAGE, indexed, 60)
        if SENTINEL in self.texts:
            self.close(SENTINEL)
        before = len(self.client.published.get(self.uri(SENTINEL), []))
        self.open(SENTINEL)
        version = self.versions[SENTINEL]

        def arrived() -> bool:
            sent = self.client.published.get(self.uri(SENTINEL), [])[before:]
            return any(item.version == version for item in sent)

        await until(self.client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, arrived, 60)

    def expected(self) -> dict[str, list[tuple]]:
        config = find_config(self.root)
        settings = load_settings(config)
        workspace = Workspace(self.root, settings, self.cache)
        workspace.load_files(discover([self.root], self.root, settings))
        for path, text in self.texts.items():
            workspace.set_document(path, text)
        found: dict[str, list[tuple]] = {path: [] for path in self.texts}
        for violation in workspace.check().violations:
            if violation.path in found:
                text = self.texts[violation.path]
                start = utf16_position(text, violation.span.start)
                end = utf16_position(text, violation.span.end)
                found[violation.path].append(
                    (violation.code, start.line, start.character, end.line, end.character)
                )
        return {path: sorted(items) for path, items in found.items()}

    def published(self) -> dict[str, list[tuple]]:
        found = {}
        for path in self.texts:
            last = self.client.published[self.uri(path)][-1]
            assert last.version == self.versions[path], (path, last.version)
            found[path] = sorted(
                (
                    str(d.code),
                    d.range.start.line,
                    d.range.start.character,
                    d.range.end.line,
                    d.range.end.character,
                )
                for d in last.diagnostics
            )
        return found


def project(root: Path, rng: random.Random) -> list[str]:
    (root / "migrations").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "pyproject.toml").write_text(CONFIGS[0])
    paths = [f"migrations/{n:04d}_step.sql" for n in range(1, 31)]
    paths += [f"app/module_{n:02d}.py" for n in range(20)]
    for path in paths:
        (root / path).write_text(generate(rng, path))
    (root / "migrations" / "0000_base.sql").write_text(
        "CREATE TABLE customers (id bigint PRIMARY KEY);\n"
        "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL);\n"
    )
    (root / SENTINEL).write_text("SELECT 1;\n")
    return paths


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def test_soak(tmp_path: Path):
    rng = random.Random(SEED)
    root = tmp_path / "service"
    paths = project(root, rng)
    client = make_client()
    await client.start_io(sys.executable, "-m", "dbsense.server", "--stdio")
    try:
        await run_soak(Soak(root, client, rng), paths, client)
    finally:
        if client._server is not None and client._server.returncode is None:
            client._server.kill()
        await client.stop()


async def run_soak(soak: Soak, paths: list[str], client: Client) -> None:
    await start(client, soak.root, options=None)  # the configuration file alone decides
    pid = client._server.pid
    warm_rss = peak_rss = 0.0
    rng = soak.rng
    checkpoints = 0
    for step in range(OPERATIONS):
        roll = rng.random()
        closed = [path for path in paths if path not in soak.texts]
        opened = [path for path in paths if path in soak.texts]
        if roll < 0.01:
            soak.configure()
        elif roll < 0.12 and closed:
            soak.open(rng.choice(closed))
        elif roll < 0.2 and len(opened) > 1:
            soak.close(rng.choice(opened))
        elif opened:
            soak.edit(rng.choice(opened))
        else:
            soak.open(rng.choice(closed))
        if step % BURST == BURST - 1 or step == OPERATIONS - 1:
            await soak.settle()
            recent = "\n".join(soak.log[-BURST:])
            assert soak.published() == soak.expected(), f"after operation {step}:\n{recent}"
            checkpoints += 1
            rss = rss_mb(pid)
            peak_rss = max(peak_rss, rss)
            if step < OPERATIONS // 5:
                warm_rss = max(warm_rss, rss)

    # Versions only move forward: a result for an old version never follows a newer one.
    for path in paths:
        versions = [p.version for p in client.published.get(soak.uri(path), []) if p.version]
        assert versions == sorted(versions), path
        assert set(versions) <= soak.sent.get(path, set()), path
    # Rapid edits cancel stale work: 50 changes sent at once are analysed a few times only,
    # and the last result is for the last version.
    target = next(path for path in paths if path in soak.texts)
    first = soak.versions[target] + 1
    for _ in range(50):
        soak.edit(target)
    await soak.settle()
    assert soak.published() == soak.expected()
    rapid = {p.version for p in client.published[soak.uri(target)] if (p.version or 0) >= first}
    assert soak.versions[target] in rapid and len(rapid) <= 10, sorted(rapid)
    errors = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
    errors += [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert errors == []
    assert peak_rss - warm_rss < RSS_GROWTH_LIMIT_MB, (warm_rss, peak_rss)
    assert checkpoints >= OPERATIONS // BURST
    print(
        f"soak: {OPERATIONS} operations, {soak.edits} edits, {soak.indexings - 1} configuration "
        f"changes, {checkpoints} checkpoints, "
        f"{len(rapid)} results for 50 rapid edits, "
        f"RSS warm {warm_rss:.0f} MB, peak {peak_rss:.0f} MB"
    )
    await asyncio.wait_for(client.shutdown_async(None), 10)
    client.exit(None)
