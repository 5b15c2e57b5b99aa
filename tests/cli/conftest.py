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


def shell_env() -> dict[str, str]:
    """The environment as a shell gives it: no DBSENSE_ settings, and output buffered (so an
    exit that skipped flushing it would lose it)."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DBSENSE_") and k != "PYTHONUNBUFFERED"
    }


def run_cli(
    *args: str, cwd: Path, timeout: float = 120, python_options: tuple[str, ...] = ()
) -> Run:
    completed = subprocess.run(
        [sys.executable, *python_options, "-m", "dbsense", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=shell_env(),
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


def start_cli(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    """The CLI running, its stdout and stderr piped to the test."""
    return subprocess.Popen(
        [sys.executable, "-m", "dbsense", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=shell_env(),
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def started_cli():
    return start_cli
