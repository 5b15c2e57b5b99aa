"""A ``.dbsense_cache`` that arrives with a checkout is data, never code: a planted pickle that
would run a command when loaded is rejected and the document is analysed afresh."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from dbsense.analyzers.ir import SourceFile
from dbsense.cache import DiskFactCache

MIGRATION = "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp);\n"


class Payload:
    """Unpickling this calls ``exec`` on code that writes ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


def poison(entries: list[Path], marker: Path) -> None:
    for entry in entries:
        entry.write_bytes(pickle.dumps(Payload(marker)))


def test_the_trap_works(tmp_path: Path):
    marker = tmp_path / "marker"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


def test_disk_cache_rejects_a_planted_pickle(tmp_path: Path):
    marker = tmp_path / "marker"
    source = SourceFile("a.sql", MIGRATION)
    cache = DiskFactCache(tmp_path)
    cache.directory.mkdir(parents=True)
    poison([cache.directory / f"{cache.key(source)}.pickle"], marker)

    facts = DiskFactCache(tmp_path).get(source)

    assert not marker.exists()
    assert facts.path == "a.sql" and facts.statements == 1


def test_cli_over_a_poisoned_checkout_runs_nothing(tmp_path: Path):
    root, marker = tmp_path / "checkout", tmp_path / "marker"
    root.mkdir()
    (root / "0001.sql").write_text(MIGRATION)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBSENSE_")}

    def check() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "dbsense", "check", "."]
        return subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)

    first = check()
    entries = sorted((root / ".dbsense_cache").rglob("*.pickle"))
    assert entries, "the first run writes cache entries"
    assert any(entry.parent.name == "runs" for entry in entries), "and the record of the check"
    poison(entries, marker)

    second = check()

    assert not marker.exists()
    assert second.returncode == first.returncode == 1
    assert second.stdout == first.stdout and "PG302" in second.stdout
