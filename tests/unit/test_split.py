"""The PostgreSQL statement splitter: lexical rules, offsets, robustness and speed."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dbsense.analyzers.ir import Span
from dbsense.analyzers.sql.split import (
    PSQL_META,
    SQL,
    UNTERMINATED_COMMENT,
    UNTERMINATED_DOLLAR,
    UNTERMINATED_IDENTIFIER,
    UNTERMINATED_STRING,
    RawStatement,
    split_statements,
)
from tests.support.services import PG_BIN

MIGRATION = """\
-- Migration 0042: orders and their audit trail
SET lock_timeout = '5s';
BEGIN;
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "user id" bigint,                    -- quoted; and a ';' in a comment
    note text DEFAULT 'it''s; fine',
    pattern text DEFAULT E'\\\\d+\\'; x',
    flags bit(3) DEFAULT B'101',
    hash bytea DEFAULT '\\x00'::bytea
);
/* a block comment /* nested; still comment */ ; */
CREATE OR REPLACE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    INSERT INTO audit_log VALUES (now(), $$row; changed$$);
    RETURN NEW;
END;
$body$;
CREATE FUNCTION total(o orders) RETURNS int LANGUAGE sql
BEGIN ATOMIC
    SELECT CASE WHEN o.id > 0 THEN 1 ELSE 0 END;
    SELECT 2;
END;
COMMIT;
\\echo done; really
COPY orders (note) FROM stdin;
a;b
'unbalanced
\\.
\\copy orders (note) from stdin
c;d
\\.
SELECT $1, a$b$c, U&'d\\0061t\\+000061' FROM orders WHERE note = 'x' -- trailing
"""


def sql(text: str) -> list[str]:
    return [statement.text for statement in split_statements(text)]


def check_invariants(text: str, statements: list[RawStatement]) -> None:
    position = 0
    for statement in statements:
        assert position <= statement.span.start < statement.span.end <= len(text)
        assert text[statement.span.start : statement.span.end] == statement.text
        assert statement.text[0] not in " \t\n\r\f\v"
        assert statement.kind in (SQL, PSQL_META)
        position = statement.span.end


# --- statements, offsets and flags -------------------------------------------------------------


def test_splits_on_semicolons_with_exact_spans() -> None:
    text = "SELECT 1;\n  SELECT 2 ;SELECT 3"
    assert split_statements(text) == [
        RawStatement(Span(0, 9), "SELECT 1;", SQL, True, None),
        RawStatement(Span(12, 22), "SELECT 2 ;", SQL, True, None),
        RawStatement(Span(22, 30), "SELECT 3", SQL, False, None),
    ]


def test_raw_statement_is_frozen_with_slots() -> None:
    statement = split_statements("SELECT 1;")[0]
    assert not hasattr(statement, "__dict__")
    with pytest.raises(AttributeError):
        statement.text = "x"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["", "   \n\t", "-- only\n-- comments", "/* a */ /* b /* c */ */"])
def test_blank_and_comment_only_text_yields_nothing(text: str) -> None:
    assert split_statements(text) == []


def test_stray_semicolons_belong_to_no_statement() -> None:
    assert sql(";;  ;\nSELECT 1;;; ;") == ["SELECT 1;"]


def test_leading_comments_and_blanks_are_not_part_of_a_statement() -> None:
    text = "-- header\n/* block */\n\n  SELECT 1;"
    (statement,) = split_statements(text)
    assert statement.span == Span(text.index("SELECT"), len(text))


def test_unterminated_statement_ends_at_its_last_token() -> None:
    text = "SELECT 1;\nSELECT 2 -- trailing\n /* more */  \n"
    last = split_statements(text)[-1]
    assert last.text == "SELECT 2"
    assert last.terminated is False
    assert last.error is None


def test_trailing_comment_after_string_is_not_part_of_unterminated_statement() -> None:
    assert sql("SELECT 'a' /* x */ -- y\n") == ["SELECT 'a'"]


def test_comments_inside_a_statement_stay_in_it() -> None:
    text = "SELECT 1 -- one; two\n  /* ; */ + 2;"
    assert sql(text) == [text]


def test_leading_byte_order_mark_is_skipped() -> None:
    (statement,) = split_statements("\ufeffSELECT 1;")
    assert statement.span == Span(1, 10)


# --- comments ------------------------------------------------------------------------------------


def test_line_comment_hides_semicolon_and_block_comment_opener() -> None:
    assert sql("SELECT 1 -- ; /* not a comment start\n, 2;") == [
        "SELECT 1 -- ; /* not a comment start\n, 2;"
    ]


def test_line_comment_ends_at_carriage_return() -> None:
    assert sql("SELECT 1 -- c\r; SELECT 2;") == ["SELECT 1 -- c\r;", "SELECT 2;"]


def test_block_comments_nest() -> None:
    text = "SELECT /* a /* b ; */ still ; comment */ 1; SELECT 2;"
    assert sql(text) == ["SELECT /* a /* b ; */ still ; comment */ 1;", "SELECT 2;"]


def test_block_comment_hides_line_comment_marker() -> None:
    assert sql("SELECT /* -- */ 1; SELECT 2;") == ["SELECT /* -- */ 1;", "SELECT 2;"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT /*/ ; */ 1; x;", ["SELECT /*/ ; */ 1;", "x;"]),
        ("SELECT /**/ 1; x;", ["SELECT /**/ 1;", "x;"]),
        ("SELECT /* **/ 1; x;", ["SELECT /* **/ 1;", "x;"]),
        ("SELECT /* */*/ 1; x;", ["SELECT /* */*/ 1;", "x;"]),
    ],
)
def test_block_comment_delimiter_edge_cases(text: str, expected: list[str]) -> None:
    assert sql(text) == expected


def test_operators_with_dash_and_slash_are_not_comments() -> None:
    assert sql("SELECT 4 - -1 / 2, a->>'k';") == ["SELECT 4 - -1 / 2, a->>'k';"]


# --- strings and identifiers ---------------------------------------------------------------------


def test_single_quoted_string_with_doubled_quotes() -> None:
    assert sql("SELECT 'a;''b'';'; SELECT 2;") == ["SELECT 'a;''b'';';", "SELECT 2;"]


def test_backslash_does_not_escape_in_standard_strings() -> None:
    assert sql(r"SELECT 'a\'; SELECT 2;") == [r"SELECT 'a\';", "SELECT 2;"]


@pytest.mark.parametrize("prefix", ["E", "e"])
def test_escape_string_backslash_escapes_next_character(prefix: str) -> None:
    text = f"SELECT {prefix}'a\\';b\\\\'; SELECT 2;"
    assert sql(text) == [f"SELECT {prefix}'a\\';b\\\\';", "SELECT 2;"]


def test_escape_string_with_doubled_quote() -> None:
    assert sql("SELECT E'a'';b'; SELECT 2;") == ["SELECT E'a'';b';", "SELECT 2;"]


@pytest.mark.parametrize("text", ["SELECT note'\\'; SELECT 2;", "SELECT a$e'\\'; SELECT 2;"])
def test_e_ending_an_identifier_is_not_an_escape_prefix(text: str) -> None:
    assert len(split_statements(text)) == 2


def test_escape_prefix_right_after_another_literal() -> None:
    assert sql("SELECT 'a'E'\\';'; SELECT 2;") == ["SELECT 'a'E'\\';';", "SELECT 2;"]


def test_escape_string_continues_across_newline_in_escape_mode() -> None:
    text = "SELECT E'a' -- note\n  'b\\';c'; SELECT 2;"
    assert sql(text) == ["SELECT E'a' -- note\n  'b\\';c';", "SELECT 2;"]


def test_escape_string_does_not_continue_on_the_same_line() -> None:
    assert sql("SELECT E'a' 'b\\'; SELECT 2;") == ["SELECT E'a' 'b\\';", "SELECT 2;"]


@pytest.mark.parametrize("prefix", ["U&", "u&", "B", "X", "N", "b", "x"])
def test_prefixed_strings_use_standard_quoting(prefix: str) -> None:
    text = f"SELECT {prefix}'\\'; SELECT ';';"
    assert sql(text) == [f"SELECT {prefix}'\\';", "SELECT ';';"]


def test_quoted_identifier_with_doubled_quotes_and_semicolon() -> None:
    assert sql('SELECT "a;""b" FROM "t;"; SELECT 2;') == ['SELECT "a;""b" FROM "t;";', "SELECT 2;"]


def test_quotes_inside_other_constructs_are_inert() -> None:
    text = """SELECT '"' , "'", $$'$$, /* ' " */ 1 -- '\n;"""
    assert sql(text) == [text]


# --- dollar quoting ------------------------------------------------------------------------------


def test_dollar_quoted_body_keeps_semicolons() -> None:
    text = "CREATE FUNCTION f() RETURNS void AS $$ BEGIN NULL; END; $$ LANGUAGE plpgsql;"
    assert sql(text + " SELECT 1;") == [text, "SELECT 1;"]


def test_tagged_dollar_quote_contains_other_tags() -> None:
    text = "SELECT $fn$ a; $$ b; $other$ ; $fn$; SELECT 2;"
    assert sql(text) == ["SELECT $fn$ a; $$ b; $other$ ; $fn$;", "SELECT 2;"]


def test_dollar_tags_are_case_sensitive() -> None:
    assert sql("SELECT $a$ ; $A$ ; $a$; x;") == ["SELECT $a$ ; $A$ ; $a$;", "x;"]


def test_adjacent_dollar_quotes() -> None:
    assert sql("SELECT $$a;$$$$b;$$; x;") == ["SELECT $$a;$$$$b;$$;", "x;"]


def test_positional_parameter_is_not_a_dollar_quote() -> None:
    assert sql("SELECT $1; SELECT $2 + $3;") == ["SELECT $1;", "SELECT $2 + $3;"]


def test_tag_cannot_start_with_a_digit() -> None:
    assert sql("SELECT $1a$ ; x $1a$;") == ["SELECT $1a$ ;", "x $1a$;"]


def test_dollar_inside_identifier_is_not_a_quote() -> None:
    assert sql("SELECT a$b$, c$$ ; SELECT 2;") == ["SELECT a$b$, c$$ ;", "SELECT 2;"]


@pytest.mark.parametrize("name", ["x1$$", "a$1$$", "_1$$", "a$$$", "a$1$1$$"])
def test_dollar_after_digits_inside_identifier_is_not_a_quote(name: str) -> None:
    assert sql(f"SELECT {name} ; SELECT 2;") == [f"SELECT {name} ;", "SELECT 2;"]


@pytest.mark.parametrize("number", ["1", "$1", "1.5", "$1$1"])
def test_dollar_quote_right_after_number_or_parameter(number: str) -> None:
    # psql reads `1$$` as the number 1 followed by a dollar quote.
    assert sql(f"SELECT {number}$$;$$; SELECT 2;") == [f"SELECT {number}$$;$$;", "SELECT 2;"]


def test_dollar_quote_right_after_a_literal() -> None:
    assert sql("SELECT 'a'$$;$$; x;") == ["SELECT 'a'$$;$$;", "x;"]


def test_non_ascii_tag() -> None:
    assert sql("SELECT $été$ ; $été$; x;") == ["SELECT $été$ ; $été$;", "x;"]


# --- psql meta-commands --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    ["\\c other_db", "\\connect db user", "\\i other.sql", "\\set ON_ERROR_STOP on", "\\echo a; b"],
)
def test_meta_command_is_its_own_statement(command: str) -> None:
    text = f"SELECT 1;\n  {command}\nSELECT 2;\n"
    statements = split_statements(text)
    assert [(s.kind, s.text, s.terminated) for s in statements] == [
        (SQL, "SELECT 1;", True),
        (PSQL_META, command, True),
        (SQL, "SELECT 2;", True),
    ]
    assert statements[1].span.start == text.index("\\")


def test_meta_command_after_a_statement_on_the_same_line() -> None:
    assert [(s.kind, s.text) for s in split_statements("SELECT 1; \\gset\n")] == [
        (SQL, "SELECT 1;"),
        (PSQL_META, "\\gset"),
    ]


def test_meta_command_at_end_of_text_is_not_terminated() -> None:
    (statement,) = split_statements("\\echo bye   ")
    assert (statement.text, statement.kind, statement.terminated) == (
        "\\echo bye",
        PSQL_META,
        False,
    )


def test_backslash_inside_a_statement_is_sql() -> None:
    assert [(s.kind, s.text) for s in split_statements("SELECT 1\n\\gset\n;")] == [
        (SQL, "SELECT 1\n\\gset\n;")
    ]


def test_copy_meta_command_includes_its_inline_data() -> None:
    text = "\\copy t (a, b) from stdin with csv\n1,'x;y\n2,\"z\n\\.\nSELECT 1;"
    statements = split_statements(text)
    assert [(s.kind, s.text, s.terminated) for s in statements] == [
        (PSQL_META, "\\copy t (a, b) from stdin with csv\n1,'x;y\n2,\"z\n\\.", True),
        (SQL, "SELECT 1;", True),
    ]


def test_copy_meta_command_data_without_terminator_runs_to_end() -> None:
    (statement,) = split_statements("\\copy t FROM STDIN\n1;2\n3\n\n")
    assert (statement.text, statement.terminated) == ("\\copy t FROM STDIN\n1;2\n3", False)


@pytest.mark.parametrize(
    "command",
    ["\\copy t to stdout", "\\copy (SELECT 'from stdin') to 'f'", "\\copy t from 'stdin.csv'"],
)
def test_copy_meta_command_without_inline_data(command: str) -> None:
    assert sql(f"{command}\nSELECT 1;") == [command, "SELECT 1;"]


def test_copy_from_stdin_data_belongs_to_no_statement() -> None:
    text = "COPY public.t (a, b) FROM stdin;\n1\t'x;\n2\t$$\n\\.\nSELECT 1;"
    statements = split_statements(text)
    assert [s.text for s in statements] == ["COPY public.t (a, b) FROM stdin;", "SELECT 1;"]
    assert statements[1].span.start == text.index("SELECT")


def test_copy_from_stdin_with_options_and_comment() -> None:
    text = "copy t from /* here */ STDIN (FORMAT csv);\r\na;b\r\n\\.\r\nSELECT 1;"
    assert sql(text) == ["copy t from /* here */ STDIN (FORMAT csv);", "SELECT 1;"]


def test_copy_data_ends_only_at_a_bare_terminator_line() -> None:
    text = "COPY t FROM stdin;\nx\n\\. \n y \\.\n\\.;\n\\.\nSELECT 1;"
    assert sql(text) == ["COPY t FROM stdin;", "SELECT 1;"]
    meta = "\\copy t from stdin\nx\n\\.\t\n\\."
    assert sql(f"{meta}\nSELECT 1;") == [meta, "SELECT 1;"]


def test_copy_from_stdin_without_terminator_swallows_the_rest() -> None:
    assert sql("COPY t FROM stdin;\n1;\nSELECT 1;\n") == ["COPY t FROM stdin;"]


@pytest.mark.parametrize(
    "text",
    ["COPY t TO stdout;", "COPY t FROM '/data/stdin';", "COPY (SELECT 1 FROM stdin) TO stdout;"],
)
def test_copy_without_inline_data(text: str) -> None:
    assert sql(f"{text}\n1;\nSELECT 1;") == [text, "1;", "SELECT 1;"]


# --- SQL-standard routine bodies -----------------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql",
        "create or replace function s.f(a int DEFAULT 1) returns int",
        "CREATE PROCEDURE p()",
        "CREATE OR REPLACE PROCEDURE p(x int)",
    ],
)
def test_begin_atomic_body_is_one_statement(head: str) -> None:
    body = (
        f"{head}\nBEGIN ATOMIC\n  INSERT INTO t VALUES (1);\n"
        "  SELECT CASE WHEN x THEN 1 ELSE (CASE y WHEN 1 THEN 2 END) END FROM t;\nEND;"
    )
    assert sql(f"{body}\nSELECT 2;") == [body, "SELECT 2;"]


def test_begin_atomic_with_comment_between_keywords() -> None:
    body = "CREATE FUNCTION f() RETURNS int BEGIN /* x */ -- y\n ATOMIC SELECT 1; END;"
    assert sql(f"{body} SELECT 2;") == [body, "SELECT 2;"]


def test_routine_named_begin_does_not_open_a_body() -> None:
    text = "CREATE FUNCTION begin() RETURNS int LANGUAGE sql RETURN 1; SELECT 2;"
    assert sql(text) == ["CREATE FUNCTION begin() RETURNS int LANGUAGE sql RETURN 1;", "SELECT 2;"]


def test_transaction_blocks_are_split() -> None:
    text = "BEGIN; CREATE TABLE t (a int); END; BEGIN ATOMIC; SELECT 1;"
    assert len(split_statements(text)) == 5


def test_unfinished_atomic_body_runs_to_end() -> None:
    (statement,) = split_statements("CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; SELECT 2;")
    assert statement.terminated is False
    assert statement.error is None


def test_create_rule_keeps_parenthesised_actions_together() -> None:
    rule = (
        "CREATE OR REPLACE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); NOTIFY t);"
    )
    assert sql(f"{rule} SELECT 1;") == [rule, "SELECT 1;"]


def test_semicolon_inside_parentheses_splits_other_statements() -> None:
    assert sql("SELECT count(*;\nSELECT 2;") == ["SELECT count(*;", "SELECT 2;"]


# --- unterminated constructs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "error"),
    [
        ("$$ body; more", UNTERMINATED_DOLLAR),
        ("$tag$ body $$; more", UNTERMINATED_DOLLAR),
        ("'open; more", UNTERMINATED_STRING),
        ("'open''", UNTERMINATED_STRING),
        ("E'open\\'; more", UNTERMINATED_STRING),
        ("E'a'\n'continued", UNTERMINATED_STRING),
        ('"open; more', UNTERMINATED_IDENTIFIER),
        ("/* open /* nested */ ; more", UNTERMINATED_COMMENT),
    ],
)
def test_unterminated_construct_runs_to_end_with_error(tail: str, error: str) -> None:
    text = f"SELECT 1;\nSELECT {tail}\n\n"
    statements = split_statements(text)
    assert len(statements) == 2
    last = statements[1]
    assert last.span == Span(text.index("SELECT", 1), len(text))
    assert (last.kind, last.terminated, last.error) == (SQL, False, error)


def test_unterminated_comment_between_statements_is_reported() -> None:
    text = "SELECT 1;\n/* forgot to close; SELECT 2;"
    statements = split_statements(text)
    assert [(s.text, s.error) for s in statements] == [
        ("SELECT 1;", None),
        ("/* forgot to close; SELECT 2;", UNTERMINATED_COMMENT),
    ]


# --- line endings and odd characters -------------------------------------------------------------


def test_crlf_line_endings() -> None:
    text = "-- c\r\nSELECT 1;\r\n\\c db\r\nSELECT 'a\r\n;';\r\nSELECT 3 -- x\r\n"
    assert [(s.kind, s.text) for s in split_statements(text)] == [
        (SQL, "SELECT 1;"),
        (PSQL_META, "\\c db"),
        (SQL, "SELECT 'a\r\n;';"),
        (SQL, "SELECT 3"),
    ]


def test_binary_like_text() -> None:
    raw = b"SELECT '\x00\xff\xfe';\x00 \xed\xa0\x80; SELECT \x80$$;$$;"
    text = raw.decode("utf-8", errors="replace")
    statements = split_statements(text)
    check_invariants(text, statements)
    # U+FFFD is an identifier character, so `$$` after it is part of a name, not a quote.
    assert [s.text for s in statements][-2:] == ["SELECT \ufffd$$;", "$$;"]


def test_lone_surrogates_and_nul() -> None:
    text = b"SELECT '\xed\xa0\x80'; \x00;".decode("utf-8", errors="surrogateescape")
    assert sql(text) == [text[: text.index(";") + 1], "\x00;"]


def test_non_ascii_letters_are_identifier_characters() -> None:
    # A non-ASCII letter before `$` makes it part of an identifier, as in PostgreSQL.
    assert sql("SELECT é$$ ; SELECT 2;") == ["SELECT é$$ ;", "SELECT 2;"]


# --- the realistic migration ---------------------------------------------------------------------


def test_realistic_migration() -> None:
    statements = split_statements(MIGRATION)
    check_invariants(MIGRATION, statements)
    summary = [(s.kind, s.text.split(None, 2)[:2], s.terminated, s.error) for s in statements]
    assert summary == [
        (SQL, ["SET", "lock_timeout"], True, None),
        (SQL, ["BEGIN;"], True, None),
        (SQL, ["CREATE", "TABLE"], True, None),
        (SQL, ["CREATE", "OR"], True, None),
        (SQL, ["CREATE", "FUNCTION"], True, None),
        (SQL, ["COMMIT;"], True, None),
        (PSQL_META, ["\\echo", "done;"], True, None),
        (SQL, ["COPY", "orders"], True, None),
        (PSQL_META, ["\\copy", "orders"], True, None),
        (SQL, ["SELECT", "$1,"], False, None),
    ]
    assert statements[-1].text.endswith("'x'")
    assert statements[-3].text == "COPY orders (note) FROM stdin;"


# --- properties ----------------------------------------------------------------------------------

SQLISH_TOKENS = [
    *("'", '"', "$", "$$", "$a$", "$1", ";", "--", "/*", "*/", "E", "e", "U&", "\\", "\\."),
    *("(", ")", "CASE", "END", "SELECT", "x", "1", "é"),
    *("\n", "\r\n", " ", "\x00", "\ufffd", "\ud800", "\ufeff", "BEGIN", "BEGIN ATOMIC"),
    *("\\copy t from stdin", "COPY t FROM stdin", "CREATE FUNCTION f()", "CREATE RULE"),
]
SQLISH = st.lists(st.sampled_from(SQLISH_TOKENS), max_size=40).map("".join)


def check_resplit(statement: RawStatement) -> None:
    """A statement split on its own is itself (psql-meta loses only its line end)."""
    if statement.text.startswith("\ufeff"):
        return
    (alone,) = split_statements(statement.text)
    assert (alone.text, alone.kind, alone.error) == (
        statement.text,
        statement.kind,
        statement.error,
    )
    if statement.kind == SQL:
        assert alone.terminated == statement.terminated


def check_gaps(text: str, statements: list[RawStatement]) -> None:
    """Without COPY data, what lies between statements is blank, comments or ';'."""
    if "copy" in text.lower():
        return
    bounds = [0] + [p for s in statements for p in (s.span.start, s.span.end)] + [len(text)]
    for start, end in zip(bounds[::2], bounds[1::2], strict=True):
        assert split_statements(text[start:end]) == []


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), SQLISH))
@example("E'\\")
@example("$a$$a$")
@example("\\copy t from stdin")
@example("COPY t FROM stdin;")
def test_properties_for_arbitrary_text(text: str) -> None:
    statements = split_statements(text)
    check_invariants(text, statements)
    check_gaps(text, statements)
    for statement in statements:
        check_resplit(statement)


@settings(max_examples=300)
@given(
    st.integers(0, len(MIGRATION)),
    st.integers(0, 3),
    st.sampled_from(["", "'", '"', "$$", "/*", "*/", "--", ";", "\n", "\\", "E'", "BEGIN ATOMIC"]),
)
def test_properties_for_mutated_migration(at: int, removed: int, inserted: str) -> None:
    text = MIGRATION[:at] + inserted + MIGRATION[at + removed :]
    statements = split_statements(text)
    check_invariants(text, statements)
    for statement in statements:
        check_resplit(statement)


def test_every_insertion_into_the_migration() -> None:
    for at in range(len(MIGRATION) + 1):
        for inserted in ("'", '"', "$$", "/*", "*/", "--", ";", "\n", "\\", "E'", "\x00"):
            text = MIGRATION[:at] + inserted + MIGRATION[at:]
            check_invariants(text, split_statements(text))


def test_every_truncation_of_the_migration() -> None:
    full = {s.span: s for s in split_statements(MIGRATION)}
    for end in range(len(MIGRATION) + 1):
        text = MIGRATION[:end]
        statements = split_statements(text)
        check_invariants(text, statements)
        # SQL statements that ended before the cut are unchanged by it.
        for statement in statements:
            if statement.terminated and statement.kind == SQL:
                assert full.get(statement.span) == statement


# --- agreement with psql ------------------------------------------------------------------------
# psql's own lexer decides what a migration run by psql sends to the server. Its --log-file shows
# each query sent; dbsense must cut the same statements. Known, deliberate differences are kept
# out of these scripts: psql also waits for parentheses to close and opens a routine body at any
# BEGIN (dbsense needs BEGIN ATOMIC), and it runs a backslash inside a statement as a command.

PSQL = PG_BIN / "psql"
LOGGED_QUERY = re.compile(r"\*{9} QUERY \*{10}\n(.*?)\n\*{26}\n\n", re.DOTALL)
BLANKS = re.compile(r"(?:\s+|--[^\n]*)*")
COMMENT_DELIMITER = re.compile(r"/\*|\*/")


def psql_queries(dsn: str, script: str, workdir: Path) -> list[str]:
    """The queries psql sends to the server while it runs ``script``."""
    if not PSQL.is_file():
        pytest.fail(f"{PSQL} not found; run `make system-deps`", pytrace=False)
    path, log = workdir / "script.sql", workdir / "psql.log"
    path.write_text(script, encoding="utf-8")
    log.unlink(missing_ok=True)
    argv = [str(PSQL), "-X", "-q", "-d", dsn, "-f", str(path), "-L", str(log)]
    env = {**os.environ, "PGCLIENTENCODING": "UTF8"}
    subprocess.run(argv, capture_output=True, env=env, timeout=60, check=False)
    return LOGGED_QUERY.findall(log.read_text(encoding="utf-8"))


def without_leading_comments(query: str) -> str:
    """psql sends the block comments before a statement; dbsense leaves them out."""
    pos = 0
    while True:
        pos = BLANKS.match(query, pos).end()
        if not query.startswith("/*", pos):
            return query[pos:]
        depth = 0
        for delimiter in COMMENT_DELIMITER.finditer(query, pos):
            depth += 1 if delimiter.group() == "/*" else -1
            if depth == 0:
                pos = delimiter.end()
                break
        else:
            return query[pos:]


def assert_same_as_psql(script: str, queries: list[str]) -> None:
    # psql drops empty lines (outside quotes) from a statement; compare with them collapsed.
    def lines(text: str) -> str:
        return re.sub(r"\n+", "\n", text)

    sent = [without_leading_comments(query) for query in queries]
    sent = [lines(query) for query in sent if query.strip() not in ("", ";")]
    ours = [s for s in split_statements(script) if s.kind == SQL]
    assert len(sent) == len(ours), (sent, [s.text for s in ours])
    for query, statement in zip(sent, ours, strict=True):
        if statement.terminated:
            assert query == lines(statement.text)
        else:  # psql also sends the blanks and comments after the last token
            text = lines(statement.text.rstrip())
            assert query.startswith(text), (query, text)
            assert without_leading_comments(query[len(text) :]).strip() == ""


def test_realistic_migration_matches_psql(postgres_database: str, tmp_path: Path) -> None:
    script = MIGRATION.replace("\\copy orders (note) from stdin\nc;d\n\\.\n", "")
    queries = psql_queries(postgres_database, script, tmp_path)
    assert "COPY orders (note) FROM stdin;" in queries
    assert_same_as_psql(script, queries)


def test_copy_data_matches_psql(postgres_database: str, tmp_path: Path) -> None:
    script = (
        "CREATE TABLE t (a text);\nCOPY t FROM stdin;\na;b\n'x\n\\. \n$$\n\\.\n"
        'SELECT count(*) FROM t;\ncopy t (a) from STDIN with (format csv);\n"c;"\n\\.\nSELECT 2'
    )
    queries = psql_queries(postgres_database, script, tmp_path)
    assert_same_as_psql(script, queries)
    assert len(queries) == 5


PSQL_TOKENS = [
    *("'", '"', "$", "$$", "$a$", "$1", "a$", "$a", ";", "--", "/*", "*/", "E", "e", "U&"),
    *("\n", "\n", " ", "CASE", "END", "SELECT", "x", "1", "é", "BEGIN ATOMIC", "f()"),
    *("CREATE FUNCTION f()", "CREATE OR REPLACE PROCEDURE p()", "create or replace function"),
]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # A fixed sequence keeps CI stable; `make fuzz`-style exploration finds new differences, e.g.
    # psql counts only identifiers when it looks for CREATE FUNCTION, so in `1CREATE FUNCTION
    # f() BEGIN ATOMIC; ...` it opens a body where the splitter (statement must start with
    # CREATE) does not.
    derandomize=True,
)
@given(st.lists(st.sampled_from(PSQL_TOKENS), max_size=30).map("".join))
@example("CREATE FUNCTION f() BEGIN ATOMIC SELECT CASE x END; SELECT 1; END; SELECT 2;")
@example("SELECT E'a'\n'$$;' $$ ; $$; 'x' CREATE FUNCTION f() BEGIN ATOMIC ; END; SELECT é$$;")
def test_random_scripts_match_psql(postgres_database: str, tmp_path: Path, script: str) -> None:
    assert_same_as_psql(script, psql_queries(postgres_database, script, tmp_path))


# --- speed ---------------------------------------------------------------------------------------


# Idle, each case takes well under a second (50,000 statements: about 0.2 s). The bounds leave
# room for a busy machine; a quadratic path would exceed them by orders of magnitude.


def best_time(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        split_statements(text)
        best = min(best, time.perf_counter() - started)
    return best


def test_one_megabyte_statement_is_fast() -> None:
    values = ",".join(f"({i}, 'it''s {i}; ok', \"c{i}\", $${i};$$)" for i in range(30_000))
    text = f"INSERT INTO t VALUES {values};"
    assert len(text) > 1_000_000
    assert len(split_statements(text)) == 1
    assert best_time(text) < 1.0


def test_one_megabyte_routine_body_is_fast() -> None:
    body = " ".join(f"SELECT CASE WHEN c{i} THEN 1 END FROM t;" for i in range(25_000))
    text = f"CREATE FUNCTION f() RETURNS int BEGIN ATOMIC {body} END;"
    assert len(text) > 1_000_000
    assert len(split_statements(text)) == 1
    assert best_time(text) < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "$" * 100_000,
        "1$" * 50_000,
        "SELECT " + "$1" * 50_000,
        "SELECT " + "a$" * 50_000,
        "/*" * 50_000,
        "'" * 100_000,
        "E'" + "\\" * 100_000,
        ("E'a'" + "\n" * 100 + "x ") * 1_000,
        "e'" * 50_000,
        "$a$" * 33_000,
        ";" * 100_000,
        "\\c x\n" * 20_000,
        "CREATE FUNCTION f() BEGIN ATOMIC " + "CASE x " * 15_000,
    ],
    ids=lambda text: repr(text[:12]),
)
def test_adversarial_input_stays_linear(text: str) -> None:
    assert best_time(text) < 1.0


def test_fifty_thousand_statements_are_fast() -> None:
    text = "INSERT INTO t VALUES (1, 'a;b'); -- note\n" * 50_000
    assert len(split_statements(text)) == 50_000
    assert best_time(text) < 2.0
