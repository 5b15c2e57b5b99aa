"""Helpers for rule fixtures: markers, per-fixture options, analysis and fix application."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from dbsense.analyzers.sql.frontend import analyze_sql
from dbsense.config import Settings, load_settings
from dbsense.engines.core import Violation
from dbsense.fixes import fix_text
from dbsense.report import render
from dbsense.workspace import CheckResult, Workspace

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots"
MARKER = re.compile(r"(?:--|#)\s*error:\s*\[(?P<codes>[A-Z0-9,\s]+)\]")
NEGATIVE = re.compile(r"(?:--|#)\s*ok:")
OPTIONS = re.compile(r"(?:--|#)\s*fixture-options:\s*(?P<json>\{.*\})")
FIXTURE_NAME = re.compile(r"^(?P<code>[A-Z]+[0-9]{3})(?:_[\w-]+)?$")
SUFFIXES = (".sql", ".py")


@dataclass(frozen=True)
class Fixture:
    path: Path  # a file, or a directory holding a multi-file workspace
    engine: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.engine}/{self.path.name}"

    @property
    def root(self) -> Path:
        return self.path if self.path.is_dir() else self.path.parent

    def files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        return sorted(p for p in self.path.rglob("*") if p.suffix in SUFFIXES and p.is_file())


def collect() -> list[Fixture]:
    fixtures = []
    for engine_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for path in sorted(engine_dir.iterdir()):
            stem = path.name if path.is_dir() else path.stem
            if path.is_file() and path.suffix not in SUFFIXES:
                continue
            match = FIXTURE_NAME.match(stem)
            if match:
                fixtures.append(Fixture(path, engine_dir.name, match.group("code")))
    return fixtures


def settings_for(fixture: Fixture) -> Settings:
    config = fixture.root / "dbsense.toml" if fixture.path.is_dir() else None
    settings = load_settings(config) if config and config.is_file() else Settings()
    for file in fixture.files():
        first_line = file.read_text(encoding="utf-8").split("\n", 1)[0]
        match = OPTIONS.search(first_line)
        if match:
            for section, values in json.loads(match.group("json")).items():
                settings.engines.setdefault(section, {}).update(values)
    settings.select = [fixture.code, "DBS001"]
    settings.source = None
    return settings


def workspace_for(fixture: Fixture, texts: dict[str, str] | None = None) -> Workspace:
    workspace = Workspace(fixture.root, settings_for(fixture))
    if texts is None:
        workspace.load_files(fixture.files())
    else:
        for path, text in texts.items():
            workspace.set_document(path, text)
    return workspace


def expected_markers(workspace: Workspace) -> set[tuple[str, int, str]]:
    expected = set()
    for path, source in workspace.documents.items():
        for number, line in enumerate(source.text.splitlines(), start=1):
            match = MARKER.search(line)
            if match:
                for code in re.split(r"[,\s]+", match.group("codes").strip()):
                    expected.add((path, number, code))
    return expected


def actual_markers(workspace: Workspace, result: CheckResult) -> set[tuple[str, int, str]]:
    actual = set()
    for violation in result.violations:
        text = workspace.documents[violation.path].text
        line = text.count("\n", 0, violation.span.start) + 1
        actual.add((violation.path, line, violation.code))
    return actual


def render_snapshot(workspace: Workspace, result: CheckResult, fixed: dict[str, str]) -> str:
    texts = {path: source.text for path, source in workspace.documents.items()}
    findings = render("text", result, texts).splitlines()[: len(result.violations)]
    parts = ["## Findings", "", *findings, ""]
    for violation in result.violations:
        if violation.fix is not None:
            parts.append(
                f"fix {violation.code} ({violation.fix.applicability.value}): {violation.fix.title}"
            )
    for path in sorted(fixed):
        if fixed[path] != texts[path]:
            parts += ["", f"## Fixed {path}", "", fixed[path].rstrip("\n")]
    return "\n".join(parts) + "\n"


def apply_all_fixes(workspace: Workspace, passes: int = 10) -> tuple[dict[str, str], CheckResult]:
    """Apply every non-display fix (unsafe included) until nothing changes."""
    result = workspace.check()
    for _ in range(passes):
        changed = False
        for path, violations in result.by_path().items():
            source = workspace.documents.get(path)
            if source is None:
                continue
            new_text, count = fix_text(source.text, violations, unsafe=True)
            if count and new_text != source.text:
                workspace.set_document(path, new_text)
                changed = True
        if not changed:
            return {p: s.text for p, s in workspace.documents.items()}, result
        result = workspace.check()
    raise AssertionError(f"fixes did not converge after {passes} passes")


def parses(path: str, text: str) -> list[str]:
    """Problems that make ``text`` fail to parse (empty when it parses)."""
    if path.endswith(".py"):
        try:
            ast.parse(text)
        except SyntaxError as error:
            return [f"{path}: {error}"]
        return []
    from dbsense.analyzers.ir import ParseErrorFact

    analysis = analyze_sql(text)
    return [
        f"{path}: {fact.message}"
        for fact in analysis.facts
        if isinstance(fact, ParseErrorFact) and not fact.unsupported
    ]


def fixable(violations: list[Violation], code: str) -> list[Violation]:
    return [
        v
        for v in violations
        if v.code == code and v.fix is not None and v.fix.applicability.value != "display-only"
    ]
