"""Rule pages: required sections, examples that behave as documented, generated pages current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dbsense.config import Settings, load_settings
from dbsense.engines.core import FixAvailability, Rule, registry
from dbsense.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
RULES = list(registry())
BLOCK = re.compile(r"```(?P<lang>\w+)\n(?P<body>.*?)```", re.S)
SUFFIX = {"sql": "example.sql", "python": "example.py", "toml": "pyproject.toml"}


def sections(rule: Rule) -> list[str]:
    return re.findall(r"^## (.+)$", rule.doc(), re.M)


def example_blocks(rule: Rule) -> tuple[re.Match, re.Match]:
    doc = rule.doc()
    example = doc.split("## Example", 1)[1]
    bad = BLOCK.search(example)
    assert bad, f"{rule.code}: no code block under ## Example"
    rest = example[bad.end() :]
    assert "Use instead:" in rest.split("\n## ", 1)[0], f"{rule.code}: no `Use instead:`"
    good = BLOCK.search(rest.split("Use instead:", 1)[1])
    assert good, f"{rule.code}: no code block after `Use instead:`"
    return bad, good


def codes_for(rule: Rule, block: re.Match, tmp_path: Path) -> set[str]:
    lang = block.group("lang")
    name = SUFFIX[lang]
    if lang == "toml":
        path = tmp_path / name
        path.write_text(block.group("body"))
        return {"DBS004"} if load_settings(path).problems else set()
    settings = Settings(extend_select=[rule.code])
    workspace = Workspace(tmp_path, settings)
    workspace.set_document(name, block.group("body"))
    return {violation.code for violation in workspace.check().violations}


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_required_sections(rule: Rule) -> None:
    found = sections(rule)
    for required in ("What it does", "Why is this bad?", "Example", "References"):
        assert required in found, f"{rule.code}: missing ## {required}"
    if rule.fix_availability is not FixAvailability.NONE:
        assert "Fix safety" in found, f"{rule.code}: has a fix but no ## Fix safety"
    if rule.options:
        assert "Options" in found, f"{rule.code}: reads options but has no ## Options"
    assert rule.name == rule.name.lower() and " " not in rule.name
    assert not rule.name.startswith(("ban-", "avoid-", "prefer-"))


# Live PostgreSQL rules read a database: tests/live/test_postgres_docs.py runs their examples.
OFFLINE_RULES = [r for r in RULES if not ("live" in r.tags and r.engine() in ("postgres", "meta"))]


@pytest.mark.parametrize("rule", OFFLINE_RULES, ids=[r.code for r in OFFLINE_RULES])
def test_example_triggers_and_use_instead_does_not(rule: Rule, tmp_path: Path) -> None:
    bad, good = example_blocks(rule)
    (tmp_path / "bad").mkdir()
    (tmp_path / "good").mkdir()
    assert rule.code in codes_for(rule, bad, tmp_path / "bad"), (
        f"{rule.code}: Example does not trigger"
    )
    assert rule.code not in codes_for(rule, good, tmp_path / "good"), (
        f"{rule.code}: Use instead triggers"
    )


def test_generated_pages_are_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dbsense.docs", str(ROOT / "docs" / "rules"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
