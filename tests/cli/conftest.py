"""Run the real ``dbsense`` CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path, timeout: float = 120) -> Run:
    # As a shell runs it: no DBSENSE_ settings, and output buffered (so an exit that skipped
    # flushing it would lose it).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DBSENSE_") and k != "PYTHONUNBUFFERED"
    }
    completed = subprocess.run(
        [sys.executable, "-m", "dbsense", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def cli():
    return run_cli
