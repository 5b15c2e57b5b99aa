"""The SQL shortcuts (fast tokenizer, statement readers) give exactly what sqlglot gives.

The reference is the plain path (:func:`plain_path`): sqlglot's tokenizer and parser for every
statement. Compared here: the tokens of every statement of the fixtures and of generated
workspaces, the facts of every fixture file (SQL, and SQL embedded in Python), the facts and
final findings of a generated migration history and a ``pg_dump``-style schema, and the tables
the readers carry (type names, cast spellings, functions). Tests also check that the readers
are actually taken for the common shapes, so a reader that always declined would fail here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlglot.dialects.postgres import Postgres

from bench.generate import generate
from bench.realistic import schema_statements
from dbsense.analyzers.frontends import document_facts
from dbsense.analyzers.ir import CreateTableFact, SourceFile, Span
from dbsense.analyzers.sql import fast_ddl, fast_expressions
from dbsense.analyzers.sql.frontend import analyze_sql
from dbsense.analyzers.sql.lexer import scan, to_tokens
from dbsense.analyzers.sql.shortcut import plain_path, shortcut_facts
from dbsense.analyzers.sql.split import split_statements
from dbsense.config import Settings
from dbsense.workspace import FactCache, Workspace

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
POSTGRES = Postgres()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    generate(2500, root)
    (root / "structure.sql").write_text("\n\n".join(schema_statements(800)) + "\n")
    return root


def _statements(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for raw in split_statements(path.read_text(encoding="utf-8")):
            if raw.kind == "sql":
                found.append(raw.text)
    return found


def _token_key(token) -> tuple:
    return (token.token_type, token.text, token.line, token.col, token.start, token.end)


def test_tokens_equal_sqlglot_tokens(generated: Path) -> None:
    statements = _statements([*FIXTURES.rglob("*.sql"), *generated.rglob("*.sql")])
    extra = [
        "CREATE TABLE t (\r\n  a int,\r  b text\n);",
        "SELECT 'it''s', \"quo\"\"te\", 1.5, 1., .5, x.y, a::int, a <= b, a <> b, a != b, a || b;",
        "ALTER TABLE t ADD PRIMARY   KEY (a), ADD FOREIGN\tKEY (b) REFERENCES u;",
        "SELECT 'line\none' AS s, x FROM t ORDER  BY x;",
        "CREATE TABLE t (a double precision, b character varying(3), c char varying);",
    ]
    read = 0
    for text in [*statements, *extra]:
        lexemes = scan(text)
        if lexemes is None:
            continue
        read += 1
        expected = [_token_key(token) for token in POSTGRES.tokenize(text)]
        assert [_token_key(token) for token in to_tokens(text, lexemes)] == expected, text
    assert read >= 0.9 * len(statements)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT $$x$$",
        "SELECT E'a\\nb'",
        "SELECT 'back\\slash'",
        "SELECT 1 -- comment",
        "SELECT /* c */ 1",
        "SELECT 1e5",
        "SELECT 0x1F",
        "SELECT a->>'b'",
        "SELECT a <=> b",
        "SELECT a @> b",
        "SELECT é",
        "SELECT ?",
        "SHOW search_path",
        "DO 'x'",
        "SELECT 'unterminated",
        "CREATE TABLE t (a USER-DEFINED)",
        "ALTER TABLE t ADD PRIMARY\nKEY (a)",
    ],
)
def test_tokenizer_declines_what_it_does_not_reproduce(text: str) -> None:
    assert scan(text) is None


def _facts_equal(source: SourceFile) -> None:
    fast = document_facts(source)
    with plain_path():
        plain = document_facts(source)
    assert fast == plain, source.path


def test_fixture_facts_equal_the_plain_path() -> None:
    files = sorted(path for path in FIXTURES.rglob("*") if path.suffix in (".sql", ".py"))
    assert len(files) > 100
    for path in files:
        _facts_equal(SourceFile(path.relative_to(FIXTURES).as_posix(), path.read_text("utf-8")))


def _check(root: Path) -> list:
    workspace = Workspace(root, Settings(), FactCache(workers=1))
    workspace.load_files(sorted(root.rglob("*.sql")))
    return [(v.path, v.span, v.code, v.message) for v in workspace.check().violations]


def test_generated_workspace_facts_and_findings_equal_the_plain_path(generated: Path) -> None:
    for path in sorted(generated.rglob("*.sql")):
        _facts_equal(SourceFile(path.name, path.read_text("utf-8")))
    fast = _check(generated)
    with plain_path():
        plain = _check(generated)
    assert len(fast) > 500
    assert fast == plain


def test_readers_take_the_common_shapes(generated: Path) -> None:
    statements = _statements(sorted(generated.rglob("*.sql")))
    taken = 0
    for text in statements:
        lexemes = scan(text)
        if lexemes is not None and shortcut_facts(text, text, lexemes, Span(0, 0), "", set()):
            taken += 1
        elif lexemes is not None and text.startswith(("CREATE TABLE", "CREATE INDEX")):
            assert "PARTITION" in text or "(LIKE" in text, text
    assert taken >= 0.75 * len(statements)


def _table_facts(text: str) -> list:
    return [fact for fact in analyze_sql(text).facts if isinstance(fact, CreateTableFact)]


@pytest.mark.parametrize("written", sorted(fast_ddl.TYPE_NAMES))
def test_type_names_equal_sqlglot(written: str) -> None:
    spellings = [written.lower(), f"{written}[]"]
    if written in fast_ddl._SIZED:
        spellings += [f"{written}(7)", f"{written}(12, 2)[]"]
    for spelling in spellings:
        text = f"CREATE TABLE t (c {spelling} NOT NULL, d int);"
        assert shortcut_facts(text, text, scan(text), Span(0, len(text)), "sql-file", set())
        fast = _table_facts(text)
        with plain_path():
            plain = _table_facts(text)
        assert fast == plain and fast[0].columns[0].type is not None, spelling


@pytest.mark.parametrize(
    "default",
    [
        *(f"'x'::{written.lower()}" for written in fast_expressions.CAST_TYPES),
        *(f"{name.lower()}()" for name, known in fast_expressions._KNOWN.items() if not known[2]),
        "lower('A')",
        "upper('a')",
        "CURRENT_TIMESTAMP",
        "current_date",
        "uuid_generate_v4()",
        "nextval('s'::regclass)",
        "-1.5",
        "(0)",
        "TRUE",
        "null",
    ],
)
def test_expressions_equal_sqlglot(default: str) -> None:
    text = (
        f"CREATE TABLE t (c text DEFAULT {default} CHECK (c <> {default}));\n"
        f"CREATE INDEX ON t ((lower(c))) WHERE c IS NOT NULL AND c = {default};"
    )
    for raw in split_statements(text):
        lexemes = scan(raw.text)
        assert shortcut_facts(raw.text, raw.text, lexemes, raw.span, "sql-file", set()), raw.text
    fast = analyze_sql(text).facts
    with plain_path():
        plain = analyze_sql(text).facts
    assert fast == plain
