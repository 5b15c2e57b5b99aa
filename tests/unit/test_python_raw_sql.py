"""Embedded SQL: exact offsets back into the Python file, and SQL built from strings."""

import pytest

from dbsense.analyzers.ir import (
    CreateIndexFact,
    DynamicSqlFact,
    SelectStarFact,
    SourceFile,
    Span,
)
from dbsense.analyzers.python import analyze_python
from dbsense.analyzers.python.strings import string_map


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ('"SELECT 1"', "SELECT 1"),
        ("'a\\tb\\x41\\u00e9\\N{BULLET}'", "a\tbA\u00e9\u2022"),
        ('r"a\\d"', "a\\d"),
        ('"""\nSELECT *\n  FROM t"""', "\nSELECT *\n  FROM t"),
        ('"SELECT " \'x\'\n    "FROM t"', "SELECT xFROM t"),
        ('"a\\\nb"', "ab"),
    ],
)
def test_string_map_is_exact(literal: str, value: str) -> None:
    text = f"x = {literal}\n"
    mapping = string_map(text, 4, 4 + len(literal), value)
    assert mapping is not None and mapping.value == value
    for index, char in enumerate(value):
        source = text[mapping.starts[index] : mapping.ends[index]]
        assert source == char or source.startswith("\\"), (index, source)


def test_string_map_refuses_a_mismatch() -> None:
    assert string_map('x = "ab"', 4, 8, "abc") is None
    assert string_map('x = b"ab"', 4, 9, "ab") is None


TEXT = '''\
def run(cursor, op, name):
    cursor.execute(
        "SELECT * "
        "FROM orders WHERE id = %s",
        (1,),
    )
    cursor.execute("""
        CREATE INDEX orders_total_idx
            ON orders (total)
    """)
    cursor.execute(f"SELECT id FROM orders WHERE name = '{name}'")
'''


def test_spans_point_into_the_python_file() -> None:
    unit = analyze_python(SourceFile("app/db.py", TEXT))
    star = next(f for f in unit.facts if isinstance(f, SelectStarFact))
    assert TEXT[star.span.start : star.span.end] == "*"
    index = next(f for f in unit.facts if isinstance(f, CreateIndexFact))
    assert TEXT[index.span.start : index.span.end].startswith("CREATE INDEX orders_total_idx")
    assert TEXT[index.span.end - len("(total)") : index.span.end] == "(total)"
    insert = index.concurrently_insert_at
    assert TEXT[insert - len("INDEX") : insert] == "INDEX"
    assert unit.statements == 2 and unit.analysed_statements == 2
    dynamic = next(f for f in unit.facts if isinstance(f, DynamicSqlFact))
    assert dynamic.style == "f-string" and dynamic.call == "cursor.execute"
    assert dynamic.fix_text == '"SELECT id FROM orders WHERE name = %s", (name,)'
    assert dynamic.fix_span == Span(dynamic.span.start, dynamic.span.end)


def test_identifier_interpolation_gets_no_fix() -> None:
    text = 'def f(cursor, table):\n    cursor.execute(f"SELECT count(*) FROM {table}")\n'
    fact = next(
        f for f in analyze_python(SourceFile("a.py", text)).facts if isinstance(f, DynamicSqlFact)
    )
    assert fact.fix_text is None


def test_value_inside_a_longer_literal_gets_no_fix() -> None:
    text = "def f(c, term):\n    c.execute(f\"SELECT id FROM p WHERE t ILIKE '%{term}%'\")\n"
    fact = next(
        f for f in analyze_python(SourceFile("a.py", text)).facts if isinstance(f, DynamicSqlFact)
    )
    assert fact.fix_text is None


def test_literal_percent_is_escaped_for_the_driver() -> None:
    text = "def f(c, n):\n    c.execute(f\"SELECT 1 WHERE a LIKE 'x%' AND b = {n}\")\n"
    fact = next(
        f for f in analyze_python(SourceFile("a.py", text)).facts if isinstance(f, DynamicSqlFact)
    )
    assert fact.fix_text == "\"SELECT 1 WHERE a LIKE 'x%%' AND b = %s\", (n,)"
