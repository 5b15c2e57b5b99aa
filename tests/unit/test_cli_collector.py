"""The one-shot command runs with the cyclic collector off; ``serve`` turns it back on."""

from __future__ import annotations

import gc

import dbsense.server.server as server_module
from dbsense.cli import main


def test_serve_runs_the_server_with_the_collector_on(monkeypatch):
    seen: list[bool] = []
    monkeypatch.setattr(server_module, "run_stdio", lambda: seen.append(gc.isenabled()))
    enabled = gc.isenabled()
    gc.disable()  # as the `dbsense` command leaves it
    try:
        assert main(["serve", "--stdio"]) == 0
    finally:
        if enabled:
            gc.enable()
    assert seen == [True]
