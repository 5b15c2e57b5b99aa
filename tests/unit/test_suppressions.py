"""Suppression comments: grammar, application, unused (DBS002) and unknown (DBS003) codes."""

from __future__ import annotations

from pathlib import Path

from dbsense.analyzers.suppressions import find_suppressions
from dbsense.config import Settings
from dbsense.fixes import fix_text
from dbsense.workspace import Workspace

TIMESTAMP = "CREATE TABLE t (id bigint PRIMARY KEY, at timestamp)"


def focused(**overrides) -> Settings:
    """The rules these tests are about, so new rules do not change their expectations."""
    return Settings(select=["PG101", "PG302", "DBS"], **overrides)


def check(text: str, path: str = "m.sql", settings: Settings | None = None):
    workspace = Workspace(Path("."), settings or focused())
    workspace.set_document(path, text)
    return workspace.check().violations


def codes(text: str, path: str = "m.sql") -> list[str]:
    return sorted(v.code for v in check(text, path))


def test_grammar_sql_and_python():
    sql = find_suppressions("SELECT 1; -- noqa: PG101, PG302 -- built offline\n", "sql")
    assert [(s.line, [c.selector for c in s.codes]) for s in sql] == [(0, ["PG101", "PG302"])]
    python = find_suppressions(
        "x = 1  # dbsense: ignore[PG101, foreign-key-without-index]\n", "python"
    )
    assert [c.selector for c in python[0].codes] == ["PG101", "foreign-key-without-index"]
    file_level = find_suppressions("# dbsense: file-ignore[PG1]\nx = 1\n", "python")
    assert file_level[0].file_level
    blanket = find_suppressions("SELECT 1; -- noqa\n", "sql")
    assert blanket[0].codes == ()
    in_string = find_suppressions('x = "# noqa: PG101"\n', "python")
    assert in_string == []


def test_noqa_on_the_line_suppresses():
    assert codes(f"{TIMESTAMP};\n") == ["PG302"]
    assert codes(f"{TIMESTAMP}; -- noqa: PG302\n") == []
    assert codes(f"{TIMESTAMP}; -- noqa: PG302 -- naive on purpose\n") == []
    assert codes(f"{TIMESTAMP}; -- noqa\n") == []
    assert codes(f"{TIMESTAMP}; -- dbsense: ignore[timestamp-without-time-zone]\n") == []


def test_standalone_comment_covers_the_next_line():
    assert codes(f"-- noqa: PG302\n\n{TIMESTAMP};\n") == []


def test_file_level_ignore_by_prefix():
    assert codes(f"-- dbsense: file-ignore[PG3]\n{TIMESTAMP};\nCREATE INDEX i ON x (y);\n") == [
        "PG101"
    ]


def test_unused_suppression_with_safe_fix():
    text = "CREATE TABLE t (id bigint PRIMARY KEY); -- noqa: PG302\n"
    (violation,) = check(text)
    assert violation.code == "DBS002"
    assert violation.unnecessary
    fixed, count = fix_text(text, [violation], unsafe=False)
    assert (fixed, count) == ("CREATE TABLE t (id bigint PRIMARY KEY);\n", 1)


def test_unused_code_among_used_ones_is_removed_alone():
    text = f"{TIMESTAMP}; -- noqa: PG101, PG302\n"
    (violation,) = check(text)
    assert violation.code == "DBS002" and "PG101" in violation.message
    fixed, _ = fix_text(text, [violation], unsafe=False)
    assert fixed == f"{TIMESTAMP}; -- noqa: PG302\n"


def test_disabled_rules_and_other_tools_codes_are_not_unused():
    assert codes("SELECT 1; -- noqa: E501\n") == []
    assert check("SELECT 1; -- noqa: PG302\n", settings=focused(ignore=["PG302"])) == []


def test_unknown_code_in_suppression():
    (violation,) = check("SELECT 1; -- noqa: PG999\n")
    assert violation.code == "DBS003"
    assert "`PG999` matches no dbsense rule" in violation.message
    (named,) = check("SELECT 1; -- dbsense: ignore[timestamp-without-timezone]\n")
    assert named.code == "DBS003"
    assert "did you mean `timestamp-without-time-zone`?" in named.message


def test_python_comments():
    text = "import os\nos.getcwd()  # noqa: PG101\n"
    assert codes(text, "app.py") == ["DBS002"]
