"""Whatever edit is made between two checks, a check that may reuse the last one's result
reports exactly what a fresh check reports (``dbsense.reuse``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbsense.analyzers import budget
from dbsense.cache import DiskFactCache, DiskRunCache
from dbsense.config import Settings
from dbsense.workspace import CheckResult, Workspace, discover
from tests.fuzz.test_never_crash import MIGRATION, PYTHON

EXAMPLES = min(int(os.environ.get("DBSENSE_FUZZ_EXAMPLES", "100")), 2_000)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("DBSENSE_FUZZ_RANDOM") != "1",
)
DOCUMENTS = {
    "migrations/0001_init.sql": MIGRATION,
    "migrations/0002_later.sql": (
        "ALTER TABLE orders ADD COLUMN shipped_at timestamp;\n"
        "/* moved */ CREATE INDEX orders_note_idx ON orders (note);\n"
        "ALTER TABLE orders RENAME COLUMN nope TO still_nope;  -- reviewed\n"
    ),
    "app/views.py": PYTHON,
}
INSERTS = st.sampled_from(
    [
        "-- c\n",
        "\n",
        " ",
        "/* x */",
        "# note\n",
        "-- noqa: PG302\n",
        "  -- noqa\n",
        "CREATE INDEX extra_idx ON orders (placed_at);\n",
        "x",
    ]
)
EDITS = st.tuples(
    st.sampled_from(sorted(DOCUMENTS)),
    st.floats(min_value=0, max_value=1),
    st.one_of(INSERTS, st.just("")),
    st.integers(min_value=0, max_value=3),  # characters replaced at the position
)


@pytest.fixture(autouse=True, scope="module")
def no_time_budget():
    """The time budget makes facts depend on the machine's load; equality is asserted here."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(budget, "TIME_BUDGET_SECONDS", 1e9)
        yield


def check(root: Path, reuse: bool) -> CheckResult:
    chosen = Settings(select=["all"])
    cache = DiskFactCache(root) if reuse else None
    workspace = Workspace(root, chosen, cache, DiskRunCache(cache) if cache else None)
    workspace.load_files(discover([root], root, chosen))
    return workspace.check()


def summary(result: CheckResult) -> tuple:
    return (result.violations, result.statements, result.analysed_statements, result.skipped)


@FUZZ
@given(st.lists(EDITS, min_size=1, max_size=3))
def test_a_reused_result_is_a_fresh_one(edits: list[tuple[str, float, str, int]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        texts = dict(DOCUMENTS)
        for path, text in texts.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
        check(root, reuse=True)  # records the result
        for path, where, insert, replaced in edits:
            text = texts[path]
            at = int(where * len(text))
            texts[path] = text[:at] + insert + text[at + replaced :]
            (root / path).write_text(texts[path], encoding="utf-8")
            assert summary(check(root, reuse=True)) == summary(check(root, reuse=False))
