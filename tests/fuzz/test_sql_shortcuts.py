"""Differential properties: the SQL shortcuts against sqlglot on generated input.

The fast tokenizer either declines or gives sqlglot's tokens, for any text; the statement
readers either decline or give the facts (and the unit's created tables) the plain sqlglot
path gives, for scripts built from the shapes they read and their near misses
(tests/support/sql_shapes.py). ``make fuzz`` runs a larger budget.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot.dialects.postgres import Postgres

from dbsense.analyzers.ir import QualifiedName
from dbsense.analyzers.sql.frontend import analyze_sql
from dbsense.analyzers.sql.lexer import scan, to_tokens
from dbsense.analyzers.sql.shortcut import plain_path
from tests.support.sql_shapes import SCRIPT

EXAMPLES = int(os.environ.get("DBSENSE_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES * 3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("DBSENSE_FUZZ_RANDOM") != "1",
)
POSTGRES = Postgres()
_PIECES = [
    *"()[];,.'\"$-+*/=<>!|:%@#~&^?{}\\\n\r\t _aZ9é",
    *("PRIMARY ", "KEY", "DOUBLE ", "precision", "ORDER", "BY", "character varying", "E'",
      "USER-DEFINED", "--", "/*", "*/", "::", "1.5", "0x", "1e", "$$", "$1", "SHOW ", "DO ",
      "BEGIN ", "'it''s'", '"a""b"', "SELECT ", "CREATE TABLE ", "int", "x"),
]  # fmt: skip
TEXT = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


def _key(token) -> tuple:
    return (token.token_type, token.text, token.line, token.col, token.start, token.end)


@FUZZ
@given(TEXT)
def test_tokenizer_declines_or_equals_sqlglot(text: str) -> None:
    lexemes = scan(text)
    if lexemes is not None:
        expected = [_key(token) for token in POSTGRES.tokenize(text)]
        assert [_key(token) for token in to_tokens(text, lexemes)] == expected


def _analyse(text: str, created: set[QualifiedName], placeholders: bool) -> list:
    try:
        return analyze_sql(text, created_tables=created, placeholders=placeholders).facts
    except Exception as error:  # both paths must fail alike (sqlglot raises on some input)
        return [type(error).__name__]


@FUZZ
@given(SCRIPT, st.booleans())
def test_shortcut_facts_equal_the_plain_path(text: str, placeholders: bool) -> None:
    known = {QualifiedName("t"), QualifiedName("a", "s"), QualifiedName("orders")}
    fast_created, plain_created = set(known), set(known)
    fast = _analyse(text, fast_created, placeholders)
    with plain_path():
        plain = _analyse(text, plain_created, placeholders)
    assert fast == plain
    assert fast_created == plain_created
