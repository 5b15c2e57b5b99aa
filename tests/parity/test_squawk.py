"""Parity with Squawk: the real `squawk` binary and dbsense run on the same rule fixtures.

For each dbsense rule with a Squawk peer, the statements one tool flags and the other does not
must be exactly the statements marked ``squawk-differs: <reason>`` in the fixture, and a rule
with such markers must explain them in its page's ``## Known differences`` section.
Statements are compared (not lines or columns): the tools point at different parts of one
statement.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dbsense.analyzers.sql.split import split_statements
from dbsense.engines.core import registry
from tests.support import fixtures as fx

SQUAWK = shutil.which("squawk", path=str(Path(sys.executable).parent)) or shutil.which("squawk")
# dbsense rules whose fixtures are compared with Squawk, and the Squawk rule of each.
PEERS = {
    "PG104": "adding-foreign-key-constraint",
    "PG106": "adding-required-field",
    "PG108": "adding-not-nullable-field",
    "PG109": "changing-column-type",
    "PG111": "renaming-column",
    "PG112": "renaming-table",
    "PG113": "ban-drop-column",
    "PG114": "ban-drop-table",
    "PG115": "require-lock-timeout",
    "PG303": "prefer-text-field",
    "PG304": "prefer-bigint-over-int",
    "PG305": "prefer-identity",
}
DIFFERS = re.compile(r"--\s*squawk-differs:\s*\S")
CASES = [
    (fixture, path)
    for fixture in fx.collect()
    if fixture.code in PEERS
    for path in fixture.files()
    if path.suffix == ".sql"
]


def _statements(text: str) -> list[tuple[int, int]]:
    """Statement spans, each extended to the end of its last line (trailing comments)."""
    spans = []
    for statement in split_statements(text):
        if statement.kind != "sql":
            continue
        end = text.find("\n", statement.span.end)
        spans.append((statement.span.start, len(text) if end == -1 else end))
    return spans


def _statement_at(spans: list[tuple[int, int]], offset: int) -> int | None:
    for number, (start, end) in enumerate(spans):
        if start <= offset < end or (offset == end and start < end):
            return number
    return None


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(row) + 1 for row in lines[:line]) + column


def _squawk_version(fixture: fx.Fixture) -> list[str]:
    version = fx.settings_for(fixture).engines.get("postgres", {}).get("version")
    return [f"--pg-version={version}.0"] if version else []


def squawk_statements(fixture: fx.Fixture, path: Path) -> set[int]:
    assert SQUAWK, "the squawk binary (PyPI squawk-cli, a dev dependency) is not installed"
    completed = subprocess.run(
        [SQUAWK, "--reporter", "json", *_squawk_version(fixture), path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.stdout.strip(), completed.stderr
    text = path.read_text(encoding="utf-8")
    spans = _statements(text)
    found = set()
    for item in json.loads(completed.stdout):
        if item["rule_name"] == PEERS[fixture.code]:
            number = _statement_at(spans, _offset(text, item["line"], item["column"]))
            assert number is not None, item
            found.add(number)
    return found


def dbsense_statements(fixture: fx.Fixture, path: Path) -> set[int]:
    workspace = fx.workspace_for(fixture)
    result = workspace.check()
    relative = path.relative_to(fixture.root).as_posix()
    spans = _statements(path.read_text(encoding="utf-8"))
    found = set()
    for violation in result.violations:
        if violation.code == fixture.code and violation.path == relative:
            number = _statement_at(spans, violation.span.start)
            assert number is not None, violation
            found.add(number)
    return found


def documented(path: Path) -> set[int]:
    text = path.read_text(encoding="utf-8")
    return {
        number
        for number, (start, end) in enumerate(_statements(text))
        if DIFFERS.search(text[start:end])
    }


@pytest.mark.parametrize(
    ("fixture", "path"),
    CASES,
    ids=[f"{f.id}:{p.name}" if f.path.is_dir() else f.id for f, p in CASES],
)
def test_differences_are_exactly_the_documented_ones(fixture: fx.Fixture, path: Path) -> None:
    ours = dbsense_statements(fixture, path)
    theirs = squawk_statements(fixture, path)
    assert ours ^ theirs == documented(path), (
        f"only dbsense: {sorted(ours - theirs)}, only squawk: {sorted(theirs - ours)} "
        "(statement numbers, 0-based)"
    )


@pytest.mark.parametrize("code", sorted(PEERS))
def test_rules_with_differences_document_them(code: str) -> None:
    rule = registry().get(code)
    assert rule is not None and f"squawk:{PEERS[code]}" in rule.peers
    marked = any(documented(path) for fixture, path in CASES if fixture.code == code)
    has_section = "## Known differences" in rule.doc()
    assert marked == has_section, (
        f"{code}: fixtures mark squawk differences but the page has no ## Known differences"
        if marked
        else f"{code}: ## Known differences but no fixture statement marked squawk-differs"
    )
    assert any(fixture.code == code for fixture, _ in CASES), f"{code}: no SQL fixture"
