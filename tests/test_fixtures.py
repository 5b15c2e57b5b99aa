"""The rule fixtures: inline markers, snapshots and fix invariants for every fixture."""

from __future__ import annotations

import os

import pytest

from tests.support import fixtures as fx

FIXTURES = fx.collect()
UPDATE = os.environ.get("DBSENSE_UPDATE_SNAPSHOTS") == "1"


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.id for f in FIXTURES])
def test_markers_match_findings(fixture: fx.Fixture) -> None:
    workspace = fx.workspace_for(fixture)
    result = workspace.check()
    assert [notice for notice in result.skipped if "failed" in notice] == []
    expected = fx.expected_markers(workspace)
    actual = fx.actual_markers(workspace, result)
    assert sorted(actual - expected) == [], "unexpected findings"
    assert sorted(expected - actual) == [], "missing findings"


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.id for f in FIXTURES])
def test_snapshot_and_fix_invariants(fixture: fx.Fixture) -> None:
    workspace = fx.workspace_for(fixture)
    before = workspace.check()
    original = {path: source.text for path, source in workspace.documents.items()}
    fixed, after = fx.apply_all_fixes(workspace)

    for path, text in fixed.items():
        assert len(fx.parses(path, text)) <= len(fx.parses(path, original[path])), (
            f"fix broke parsing of {path}: {fx.parses(path, text)}"
        )
    assert fx.fixable(after.violations, fixture.code) == [], "fixable findings remain after fixing"
    if fx.fixable(before.violations, fixture.code):
        assert fixed != original, "a fixable finding produced no change"

    snapshot = fx.SNAPSHOTS / fixture.engine / f"{fixture.path.name}.snap"
    rendered = fx.render_snapshot(fx.workspace_for(fixture), before, fixed)
    if UPDATE:
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(rendered, encoding="utf-8")
    assert snapshot.is_file(), (
        f"no snapshot {snapshot}; run DBSENSE_UPDATE_SNAPSHOTS=1 pytest tests/test_fixtures.py"
    )
    assert snapshot.read_text(encoding="utf-8") == rendered


def test_every_rule_has_positive_and_negative_fixtures() -> None:
    """Each rule needs a fixture line marked `error: [CODE]` and one negative case, written as a
    comment `-- ok: <why this must stay silent>` (`# ok: ...` in Python) on a case that looks
    like the pattern but must not be flagged."""
    from dbsense.engines.core import registry

    positive: set[str] = set()
    negative: set[str] = set()
    for fixture in FIXTURES:
        workspace = fx.workspace_for(fixture)
        if any(code == fixture.code for _, _, code in fx.expected_markers(workspace)):
            positive.add(fixture.code)
        if any(fx.NEGATIVE.search(source.text) for source in workspace.documents.values()):
            negative.add(fixture.code)
    exempt = {"DBS002", "DBS003", "DBS004"}  # tests/unit/test_suppressions.py and test_config.py
    # live PostgreSQL rules read a database, not files: tests/live/test_postgres_*.py
    live = ("postgres", "meta")
    exempt |= {r.code for r in registry() if "live" in r.tags and r.engine() in live}
    missing = [
        f"{rule.code} ({'positive' if rule.code not in positive else 'negative'})"
        for rule in registry()
        if rule.code not in exempt and not (rule.code in positive and rule.code in negative)
    ]
    assert missing == [], (
        "rules lacking fixtures; mark findings with `-- error: [CODE]` and negative cases with "
        f"`-- ok: reason`: {missing}"
    )
