"""Checks running at the same time on one workspace share ``.dbsense_cache`` safely: each
reports what a check without the cache reports, while files change between them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import shell_env

MIGRATIONS = {
    f"migrations/{number:04d}_t{number}.sql": (
        f"CREATE TABLE t{number} (id bigint PRIMARY KEY, at timestamp, "
        f"parent_id bigint REFERENCES t{max(number - 1, 0)});\n"
        f"ALTER TABLE t{max(number - 1, 0)} ADD COLUMN note_{number} text;\n"
    )
    for number in range(12)
}


def start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dbsense", "check", "--format", "json", *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=shell_env(),
    )


def test_concurrent_checks_report_what_a_fresh_check_does(tmp_path: Path):
    for name, text in MIGRATIONS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    fresh = start(tmp_path, "--no-cache").communicate(timeout=120)
    assert '"code": "PG115"' in fresh[0]

    running = []
    for wave in range(3):
        for _ in range(3):
            running.append(start(tmp_path))
        for name in list(MIGRATIONS)[wave::3]:  # comments only: the findings stay the same
            with open(tmp_path / name, "a", encoding="utf-8") as handle:
                handle.write(f"-- wave {wave}\n")
    results = [process.communicate(timeout=120) for process in running]

    assert all(process.returncode == 1 for process in running)
    assert [stderr for _, stderr in results] == [""] * len(running)
    assert all(stdout == fresh[0] for stdout, _ in results)
    after = start(tmp_path).communicate(timeout=120)
    assert after == fresh
