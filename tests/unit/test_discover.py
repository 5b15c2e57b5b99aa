"""Discovery: which files a check reads, and which directories it never enters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dbsense.config import Settings
from dbsense.workspace import Workspace, discover

TREE = [
    "migrations/0001.sql",
    "migrations/nested/0002.sql",
    "app/models.py",
    "app/readme.md",
    "node_modules/pkg/schema.sql",
    ".git/hooks/x.sql",
    "legacy/old.sql",
    "build/out.sql",
    "scratch.sql",
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in TREE:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("SELECT 1;\n", encoding="utf-8")
    (tmp_path / ".gitignore").write_text("build/\nscratch.sql\n", encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "linked.sql").write_text("SELECT 2;\n", encoding="utf-8")
    (outside / "inner").mkdir()
    (outside / "inner" / "hidden.sql").write_text("SELECT 3;\n", encoding="utf-8")
    (tmp_path / "migrations" / "linked.sql").symlink_to(outside / "linked.sql")
    (tmp_path / "migrations" / "folder").symlink_to(outside / "inner")
    return tmp_path


def relative_paths(root: Path, settings: Settings, paths: list[Path] | None = None) -> list[str]:
    workspace = Workspace(root, settings)
    return [workspace.relative(file) for file in discover(paths or [root], root, settings)]


def test_the_files_a_check_reads(project: Path):
    found = relative_paths(project, Settings(extend_exclude=["legacy"]))
    linked = (project / "migrations" / "linked.sql").as_posix()
    assert found == [
        "app/models.py",
        "migrations/0001.sql",
        linked,  # a link to a file outside the root: named by its full path
        "migrations/nested/0002.sql",
    ]


def test_a_subdirectory_keeps_paths_relative_to_the_root(project: Path):
    found = relative_paths(project, Settings(), [project / "migrations" / "nested"])
    assert found == ["migrations/nested/0002.sql"]


def test_excluded_directories_are_never_entered(project: Path, monkeypatch: pytest.MonkeyPatch):
    listed: list[str] = []
    scandir = os.scandir

    def recording(path):
        listed.append(Path(path).name)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", recording)
    relative_paths(project, Settings())
    assert listed and not {"node_modules", ".git", "build"} & set(listed)  # build/: ignored
    assert "folder" not in listed  # a link to a directory is not followed
