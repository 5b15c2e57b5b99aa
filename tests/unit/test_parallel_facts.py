"""Parsing cache misses in a process pool gives exactly the serial results."""

from __future__ import annotations

import random
import threading
from pathlib import Path

from dbsense.config import Settings
from dbsense.workspace import (
    PARALLEL_MIN_CPUS,
    PARALLEL_MIN_DOCUMENTS,
    FactCache,
    Workspace,
    available_cpus,
    parallel_workers,
    start_method,
)


def generated_documents(count: int, seed: int = 7) -> dict[str, str]:
    """A migration history: tables, foreign keys, indexes, alters, a broken statement."""
    rng = random.Random(seed)
    documents: dict[str, str] = {}
    tables: list[str] = []
    for number in range(count):
        statements: list[str] = []
        table = f"t{number}"
        columns = ["id bigint PRIMARY KEY", f"name varchar({rng.randint(10, 200)}) NOT NULL"]
        if tables:
            parent = rng.choice(tables)
            columns.append(f"{parent}_id bigint REFERENCES {parent} (id)")
        statements.append(f"CREATE TABLE {table} ({', '.join(columns)});")
        if rng.random() < 0.5:
            statements.append(f"CREATE INDEX {table}_name_idx ON {table} (name);")
        if tables and rng.random() < 0.4:
            target = rng.choice(tables)
            statements.append(f"ALTER TABLE {target} ADD COLUMN note_{number} text NOT NULL;")
        if rng.random() < 0.1:
            statements.append("SELEC broken FROM;")
        tables.append(table)
        documents[f"migrations/{number:04d}_{table}.sql"] = "\n".join(statements) + "\n"
    documents["app/queries.py"] = "def load(cursor):\n    cursor.execute('SELECT 1')\n"
    return documents


def check(documents: dict[str, str], workers: int) -> tuple[object, FactCache]:
    cache = FactCache(workers=workers)
    workspace = Workspace(Path("."), Settings(), cache)
    for path, text in documents.items():
        workspace.set_document(path, text)
    return workspace.check(), cache


def test_parallel_and_serial_results_are_identical() -> None:
    documents = generated_documents(PARALLEL_MIN_DOCUMENTS * 2 + 5)
    serial, serial_cache = check(documents, workers=1)
    parallel, parallel_cache = check(documents, workers=2)
    assert serial_cache.last_workers == 1
    assert parallel_cache.last_workers == 2
    assert serial.violations, "the generated workspace must produce findings"
    assert parallel.violations == serial.violations
    assert (parallel.documents, parallel.statements, parallel.analysed_statements) == (
        serial.documents,
        serial.statements,
        serial.analysed_statements,
    )


def test_parallel_facts_are_cached_for_the_next_check() -> None:
    documents = generated_documents(PARALLEL_MIN_DOCUMENTS + 10, seed=3)
    cache = FactCache(workers=2)
    workspace = Workspace(Path("."), Settings(), cache)
    for path, text in documents.items():
        workspace.set_document(path, text)
    first = workspace.check()
    assert cache.last_workers == 2
    workspace.set_document("migrations/0000_t0.sql", "CREATE TABLE t0 (id bigint);\n")
    second = workspace.check()
    assert cache.last_workers == 1  # one miss: parsed in-process
    assert second.documents == first.documents


def test_small_workspaces_stay_in_process() -> None:
    assert parallel_workers(PARALLEL_MIN_DOCUMENTS) == 1
    assert parallel_workers(10_000, cap=1) == 1
    assert parallel_workers(10_000, cap=2) == 2


def test_a_pool_needs_enough_cpus_unless_asked_for() -> None:
    enough = available_cpus() >= PARALLEL_MIN_CPUS[start_method()]
    expected = min(available_cpus(), 10_000 // 32) if enough else 1
    assert parallel_workers(10_000) == expected
    assert parallel_workers(10_000, cap=2) == 2  # an explicit cap is honoured


def test_a_threaded_process_starts_workers_from_a_fork_server() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert start_method() == "forkserver"
    finally:
        stop.set()
        thread.join()
