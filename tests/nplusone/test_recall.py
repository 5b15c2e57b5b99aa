"""The N+1 recall set: every case is a small workspace (the shared Django and SQLAlchemy models
plus the case's files) checked with PG401 alone.

Case names give the category: ``fn_`` (the N+1 is in the loop's function), ``helper_`` (through
a function or method of the same file or of the model), ``module_`` (through another module),
and ``neg_`` (must stay silent). Lines marked ``# error: [PG401]`` are the expected findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from dbsense.config import Settings
from dbsense.workspace import Workspace

HERE = Path(__file__).parent
CASES = HERE / "cases"
SHARED = HERE / "shared"
MARKER = re.compile(r"#\s*error:\s*\[PG401\]")
CATEGORIES = ("fn", "helper", "module", "neg")


@dataclass(frozen=True)
class Outcome:
    name: str
    category: str
    expected: int
    found: int
    unexpected: int


def _documents(case: Path) -> dict[str, str]:
    documents = {
        file.relative_to(SHARED).as_posix(): file.read_text(encoding="utf-8")
        for file in sorted(SHARED.rglob("*.py"))
    }
    files = sorted(case.rglob("*.py")) if case.is_dir() else [case]
    root = case if case.is_dir() else case.parent
    for file in files:
        documents[file.relative_to(root).as_posix()] = file.read_text(encoding="utf-8")
    return documents


def run_case(case: Path) -> Outcome:
    settings = Settings()
    settings.select = ["PG401"]
    settings.source = None
    workspace = Workspace(case if case.is_dir() else case.parent, settings)
    documents = _documents(case)
    for path, text in documents.items():
        workspace.set_document(path, text)
    expected = {
        (path, number)
        for path, text in documents.items()
        for number, line in enumerate(text.splitlines(), start=1)
        if MARKER.search(line)
    }
    actual = set()
    for violation in workspace.check().violations:
        text = documents[violation.path]
        actual.add((violation.path, text.count("\n", 0, violation.span.start) + 1))
    category = case.name.split("_", 1)[0]
    return Outcome(
        case.name, category, len(expected), len(expected & actual), len(actual - expected)
    )


def all_cases() -> list[Path]:
    return sorted(path for path in CASES.iterdir() if path.suffix == ".py" or path.is_dir())


def test_case_names_have_a_category() -> None:
    assert [c.name for c in all_cases() if c.name.split("_", 1)[0] not in CATEGORIES] == []
    assert len(all_cases()) >= 30


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return [run_case(case) for case in all_cases()]


def test_recall_and_false_positives(outcomes: list[Outcome]) -> None:
    lines = [f"{'category':<10}{'cases':>7}{'expected':>10}{'found':>7}{'recall':>8}{'FP':>5}"]
    totals: dict[str, tuple[int, int, int, int]] = {}
    for category in CATEGORIES:
        group = [o for o in outcomes if o.category == category]
        expected = sum(o.expected for o in group)
        found = sum(o.found for o in group)
        unexpected = sum(o.unexpected for o in group)
        totals[category] = (len(group), expected, found, unexpected)
        recall = f"{found / expected:.0%}" if expected else "-"
        lines.append(
            f"{category:<10}{len(group):>7}{expected:>10}{found:>7}{recall:>8}{unexpected:>5}"
        )
    missed = [o.name for o in outcomes if o.found < o.expected]
    noisy = [o.name for o in outcomes if o.unexpected]
    lines.append(f"missed: {missed or 'none'}; false positives: {noisy or 'none'}")
    print("\n" + "\n".join(lines))
    expected = totals["fn"][1] + totals["helper"][1]
    found = totals["fn"][2] + totals["helper"][2]
    assert found / expected >= 0.9, lines
    assert totals["neg"][3] == 0, f"false positives on negative cases: {noisy}"
    assert all(o.expected == 0 for o in outcomes if o.category == "neg")
    assert sum(o.unexpected for o in outcomes) == 0, f"unexpected findings: {noisy}"
