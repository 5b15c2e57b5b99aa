"""Rules read a document's text through the rule context, which notes what they read: a
re-run reuses findings only while that text is unchanged (see ``dbsense.reuse``)."""

from __future__ import annotations

import ast
from pathlib import Path

from dbsense.analyzers.ir import SourceFile
from dbsense.engines.core import RuleContext

ENGINES = Path(__file__).resolve().parents[2] / "engines"


def test_no_rule_reads_the_text_behind_the_contexts_back():
    offenders = []
    for module in sorted(ENGINES.rglob("*.py")):
        if module.name == "core.py" and module.parent == ENGINES:
            continue  # the context itself
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if node_is_text_of_a_file(node):
                offenders.append(f"{module.relative_to(ENGINES)}:{node.lineno}")
    assert offenders == []


def node_is_text_of_a_file(node: ast.AST) -> bool:
    """``<something>.file.text``."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "text"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "file"
    )


def test_the_context_notes_what_was_read():
    text = "SELECT 1;\n  /* x */ ALTER TABLE t ADD COLUMN c int;\n"
    ctx = RuleContext(SourceFile("m.sql", text), {})
    start = text.index("ALTER")
    assert ctx.text(start, start + 5) == "ALTER"
    assert ctx.line_before(start) == "  /* x */ "
    assert ctx.line_before(3) == "SEL"
    assert ctx.reads == [(start, start + 5), (text.index("\n"), start), (0, 3)]


def test_workspace_rules_have_no_text():
    ctx = RuleContext(None, {})
    assert ctx.text(0, 10) == "" and ctx.line_before(5) == ""
    assert ctx.reads == []
