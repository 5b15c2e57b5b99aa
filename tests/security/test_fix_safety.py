"""Fix safety: on every fixture, applying all fixes (every rule, unsafe included) edits only the
ranges the fixes name and keeps the file parseable; ``--fix`` never half-writes a file that
changed since it was analysed or that cannot be written."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

import dbsense.cli
import dbsense.fixes
from dbsense.cli import EXIT_ERROR, main
from dbsense.engines.core import Edit
from dbsense.workspace import Workspace
from tests.support.fixtures import Fixture, collect, parses, settings_for

MIGRATION = "CREATE INDEX orders_placed_idx ON orders (placed_at);\n"
ALTERED = "CREATE INDEX orders_placed_idx ON orders (placed_at, id);\n"


def rebuilt(text: str, edits: list[Edit]) -> str:
    """``text`` with non-overlapping ``edits`` applied, written independently of dbsense."""
    parts, position = [], 0
    for edit in sorted(edits, key=lambda e: (e.span.start, e.span.end)):
        assert position <= edit.span.start <= edit.span.end <= len(text), edit
        parts += [text[position : edit.span.start], edit.new_text]
        position = edit.span.end
    return "".join(parts) + text[position:]


@pytest.mark.parametrize("fixture", collect(), ids=lambda f: f.id)
def test_fixes_touch_only_their_ranges_and_keep_files_parseable(
    fixture: Fixture, monkeypatch: pytest.MonkeyPatch
):
    applied: list[list[Edit]] = []
    real_apply = dbsense.fixes.apply_edits

    def recording_apply(text: str, edits) -> str:
        applied.append(list(edits))
        return real_apply(text, applied[-1])

    monkeypatch.setattr(dbsense.fixes, "apply_edits", recording_apply)
    settings = settings_for(fixture)
    settings.select = ["all"]
    workspace = Workspace(fixture.root, settings)
    workspace.load_files(fixture.files())
    originals = {path: source.text for path, source in workspace.documents.items()}
    result = workspace.check()
    for _ in range(10):
        changed = False
        for path, violations in result.by_path().items():
            source = workspace.documents.get(path)
            if source is None:
                continue
            applied.clear()
            new_text, count = dbsense.fixes.fix_text(source.text, violations, unsafe=True)
            if not count:
                continue
            [edits] = applied
            assert new_text == rebuilt(source.text, edits), (
                f"{path}: text outside the edits changed"
            )
            if not parses(path, source.text):
                assert parses(path, new_text) == [], f"{path}: a fix broke parsing"
            if new_text != source.text:
                workspace.set_document(path, new_text)
                changed = True
        if not changed:
            break
        result = workspace.check()
    else:
        pytest.fail("fixes did not converge")
    for path, text in originals.items():
        if not parses(path, text):
            assert parses(path, workspace.documents[path].text) == [], path


def project(tmp_path: Path) -> Path:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001.sql").write_text(MIGRATION)
    return tmp_path


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "migrations").iterdir() if p.name != "0001.sql")


def test_fix_refuses_a_file_changed_between_analysis_and_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    root = project(tmp_path)
    target = root / "migrations" / "0001.sql"
    real_fix = dbsense.cli._fix

    def fix_then_edit(workspace, unsafe):
        result = real_fix(workspace, unsafe)
        target.write_text(ALTERED)  # the user saves while dbsense is fixing
        return result

    monkeypatch.setattr(dbsense.cli, "_fix", fix_then_edit)
    monkeypatch.chdir(root)
    code = main(["check", "--fix", "--unsafe-fixes", "--no-cache", "."])

    assert code == EXIT_ERROR
    assert "changed on disk during analysis; not written" in capsys.readouterr().err
    assert target.read_text() == ALTERED
    assert leftovers(root) == []


def test_fix_applies_when_the_file_is_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = project(tmp_path)
    monkeypatch.chdir(root)
    main(["check", "--fix", "--unsafe-fixes", "--no-cache", "."])
    assert "CONCURRENTLY" in (root / "migrations" / "0001.sql").read_text()


def test_fix_on_a_read_only_file_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    root = project(tmp_path)
    target = root / "migrations" / "0001.sql"
    target.chmod(stat.S_IRUSR | stat.S_IRGRP)
    monkeypatch.chdir(root)

    code = main(["check", "--fix", "--unsafe-fixes", "--no-cache", "."])

    assert code == EXIT_ERROR
    assert "read-only" in capsys.readouterr().err
    assert target.read_text() == MIGRATION
    assert leftovers(root) == []
