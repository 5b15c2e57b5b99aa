"""Bounded resources: a time budget and a size cap per document, each reported as an info
notice, and deep nesting in SQL, Python and SQL embedded in Python reported, never raised."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dbsense.analyzers import budget, frontends
from dbsense.analyzers.frontends import INTERNAL_ERROR
from dbsense.config import Settings
from dbsense.engines.core import Severity
from dbsense.workspace import CheckResult, Workspace

STATEMENT = "CREATE TABLE t{n} (id bigint PRIMARY KEY, at timestamp);\n"


def check(documents: dict[str, str]) -> CheckResult:
    workspace = Workspace(Path("."), Settings(select=["all"]))
    for path, text in documents.items():
        workspace.set_document(path, text)
    return workspace.check()


def notices(result: CheckResult, path: str, words: str) -> list:
    return [v for v in result.by_path().get(path, []) if v.code == "DBS001" and words in v.message]


def test_time_budget_stops_a_huge_sql_file_with_a_notice(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(budget, "TIME_BUDGET_SECONDS", 0.2)
    monkeypatch.setattr(budget, "SECONDS_PER_MILLION_CHARS", 0.0)
    huge = "".join(STATEMENT.format(n=n) for n in range(20_000))
    started = time.monotonic()
    result = check({"huge.sql": huge, "small.sql": STATEMENT.format(n="x")})
    elapsed = time.monotonic() - started

    [notice] = notices(result, "huge.sql", "time budget of 0.2 s for this file")
    assert notice.severity is Severity.INFO
    assert huge[notice.span.start :].startswith("CREATE TABLE t")
    assert notice.span.end == len(huge)
    assert result.statements == 20_001
    assert 0 < result.analysed_statements < 20_000
    # Without the budget this file takes several seconds; with it, well under that.
    assert elapsed < 4, elapsed
    # The other document is analysed in full.
    assert [v.code for v in result.by_path()["small.sql"]] == ["PG302"]


def test_time_budget_skips_python_passes_with_a_notice(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(budget, "TIME_BUDGET_SECONDS", 0.0)
    monkeypatch.setattr(budget, "SECONDS_PER_MILLION_CHARS", 0.0)
    text = "import redis\nr = redis.Redis()\nr.keys('*')\n"
    result = check({"app.py": text})
    [notice] = notices(result, "app.py", "time budget")
    assert notice.severity is Severity.INFO
    assert "skipped" in notice.message


def test_without_pressure_the_budget_changes_nothing():
    text = "".join(STATEMENT.format(n=n) for n in range(50))
    result = check({"m.sql": text})
    assert not notices(result, "m.sql", "time budget")
    assert result.analysed_statements == result.statements == 50


def test_the_budget_grows_with_the_document():
    small, large = budget.Deadline.start(0), budget.Deadline.start(3_000_000)
    assert small.seconds == budget.TIME_BUDGET_SECONDS
    # A 50,000-statement schema dump (about 3 MB) gets a minute, not the base budget.
    assert large.seconds >= 60


@pytest.mark.parametrize("path", ["big.sql", "big.py"])
def test_size_cap_reports_instead_of_analysing(monkeypatch: pytest.MonkeyPatch, path: str):
    monkeypatch.setattr(budget, "MAX_DOCUMENT_CHARS", 1_000)
    text = "SELECT 1;\n" * 200 if path.endswith(".sql") else "x = 1\n" * 200
    result = check({path: text})
    [notice] = notices(result, path, "file larger than")
    assert notice.severity is Severity.INFO
    assert result.statements == 0


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("deep.sql", "SELECT " + "(" * 20_000 + "1" + ")" * 20_000 + ";\n"),
        ("deep_case.sql", "SELECT " + "CASE WHEN a THEN " * 3_000 + "1" + " END" * 3_000 + ";\n"),
        ("deep.py", "x = " + "[" * 5_000 + "]" * 5_000 + "\n"),
        ("chain.py", "x = " + " + ".join(["a"] * 100_000) + "\n"),
        ("calls.py", "x = " + "f(" * 150 + ")" * 150 + "\n"),
        ("embedded.py", "cursor.execute('SELECT " + "(" * 5_000 + "1" + ")" * 5_000 + "')\n"),
        (
            "nested_if.py",
            "def f(x):\n"
            + "".join("    " * (i + 1) + "if x:\n" for i in range(98))
            + "    " * 99
            + "cursor.execute('SELECT 1')\n",
        ),
    ],
)
def test_deep_nesting_is_reported_not_raised(path: str, text: str):
    result = check({path: text})
    messages = [v.message for v in result.violations]
    assert not [m for m in messages if INTERNAL_ERROR in m], messages
    for violation in result.violations:
        assert 0 <= violation.span.start <= violation.span.end <= len(text)


def test_a_front_end_failure_is_reported_on_its_document_only(monkeypatch: pytest.MonkeyPatch):
    def explode(text: str, **options: object):
        if "boom" in text:
            raise ZeroDivisionError("boom")
        return real(text, **options)

    real = frontends.analyze_sql
    monkeypatch.setattr(frontends, "analyze_sql", explode)
    result = check({"bad.sql": "SELECT 'boom';\n", "good.sql": STATEMENT.format(n=1)})
    [notice] = result.by_path()["bad.sql"]
    assert notice.code == "DBS001" and notice.severity is Severity.INFO
    assert INTERNAL_ERROR in notice.message and "ZeroDivisionError" in notice.message
    assert [v.code for v in result.by_path()["good.sql"]] == ["PG302"]
