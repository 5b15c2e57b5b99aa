"""The server converts a document's findings to LSP diagnostics once per text, even while
another source (live index advice) adds diagnostics of its own."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from dbsense.server.features.diagnostics import Linter
from dbsense.server.project import OpenDocument, Project
from dbsense.server.server import DbsenseServer

FLAGGED = "CREATE TABLE orders (id int PRIMARY KEY, placed_at timestamp);\n"
OTHER = "CREATE TABLE notes (id int PRIMARY KEY, body varchar(20));\n"


def _project(root: Path) -> Project:
    (root / "migrations").mkdir()
    for name, text in [("V1__orders.sql", FLAGGED), ("V2__notes.sql", OTHER)]:
        (root / "migrations" / name).write_text(text)
    project = Project(root, True)
    found = project.discover()
    project.load(found)
    for name in ["V1__orders.sql", "V2__notes.sql"]:
        path = project.path_of(root / "migrations" / name)
        text = (root / "migrations" / name).read_text()
        project.open[path] = OpenDocument((root / "migrations" / name).as_uri(), path, text, 1)
    project.touch()
    return project


def _linter() -> Linter:
    server = DbsenseServer()
    # A bare server has no initialize handler of its own: pygls' initialization runs through.
    list(server.protocol.lsp_initialize(types.InitializeParams(types.ClientCapabilities())))
    return Linter(server)


def _advice(items: list[types.Diagnostic]):
    def extra(*_args: object) -> list[types.Diagnostic]:
        return list(items)

    return extra


def test_unchanged_findings_are_converted_once_while_another_source_adds_nothing(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)
    linter = _linter()
    linter.extra_diagnostics.append(_advice([]))
    other = project.path_of(tmp_path / "migrations" / "V2__notes.sql")
    first, digest = linter.diagnostics_for(project, project.analyse(), other)
    assert first, "the fixture's varchar(20) is a finding"

    edited = project.path_of(tmp_path / "migrations" / "V1__orders.sql")
    document = project.open[edited]
    project.open[edited] = OpenDocument(document.uri, edited, FLAGGED + "-- note\n", 2)
    project.touch()
    again, again_digest = linter.diagnostics_for(project, project.analyse(), other)
    assert again is first and again_digest == digest

    project.open[other] = OpenDocument(project.open[other].uri, other, "\n" + OTHER, 2)
    project.touch()
    moved, _ = linter.diagnostics_for(project, project.analyse(), other)
    assert moved is not first
    assert [d.range.start.line for d in moved] == [d.range.start.line + 1 for d in first]


def test_diagnostics_of_another_source_follow_the_findings_and_change_the_digest(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)
    other = project.path_of(tmp_path / "migrations" / "V2__notes.sql")
    plain = _linter()
    own, own_digest = plain.diagnostics_for(project, project.analyse(), other)

    advice = types.Diagnostic(types.Range(types.Position(0, 0), types.Position(0, 6)), "advice")
    linter = _linter()
    linter.extra_diagnostics.append(_advice([advice]))
    items, digest = linter.diagnostics_for(project, project.analyse(), other)
    assert items == [*own, advice]
    assert digest != own_digest
    assert linter.diagnostics_for(project, project.analyse(), other) == (items, digest)
