"""Property tests: no input crashes the analysis, every span lies in its document, output is
deterministic, and unparsable input is reported as DBS001. ``make fuzz`` runs a larger budget."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbsense.analyzers import budget
from dbsense.analyzers.frontends import INTERNAL_ERROR
from dbsense.config import Settings
from dbsense.workspace import Workspace

EXAMPLES = int(os.environ.get("DBSENSE_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("DBSENSE_FUZZ_RANDOM") != "1",
)

MIGRATION = """\
BEGIN;
SET lock_timeout = '5s';
CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text UNIQUE);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    placed_at timestamp NOT NULL, -- noqa: PG302
    note varchar(20) DEFAULT E'it''s \\\\ ok'
);
CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id)
    WHERE placed_at > '2020-01-01';
ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN NEW.x := now(); RETURN NEW; END $$;
/* nested /* comment */ still comment */
\\set ON_ERROR_STOP on
COMMIT;
"""

PYTHON = '''\
from django.db import models
import sqlalchemy as sa


class Order(models.Model):
    placed_at = models.DateTimeField()
    customer = models.ForeignKey("Customer", on_delete=models.CASCADE, db_index=False)


def view(request, cursor):
    for order in Order.objects.all():
        print(order.customer.name)  # noqa: PG401
    cursor.execute(f"SELECT * FROM orders WHERE id = {request.id}")
    cursor.execute("""SELECT *
        FROM orders OFFSET %s""", [request.offset])
    return sa.text("SELECT 1")
'''

SQL_WORDS = ["CREATE ", "TABLE ", "INDEX ", "ALTER ", "ADD ", "COLUMN ", "timestamp", "$$", "$t$"]
SQL_ALPHABET = st.sampled_from([*"()[];,.'\"$-/*\\\n\t :=<>%E", *SQL_WORDS, "--", "/*"])


@pytest.fixture(autouse=True, scope="module")
def no_time_budget():
    """Determinism is asserted here; the time budget (tested in test_limits) makes output
    depend on the machine's load, so these tests lift it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(budget, "TIME_BUDGET_SECONDS", 1e9)
        yield


def analyse(path: str, text: str) -> list:
    workspace = Workspace(Path("."), Settings(select=["all"]))
    workspace.set_document(path, text)
    result = workspace.check()
    failures = [notice for notice in result.skipped if "failed" in notice]
    assert failures == [], failures
    return result.violations


def check_properties(path: str, text: str) -> None:
    first = analyse(path, text)
    crashes = [v.message for v in first if INTERNAL_ERROR in v.message]
    assert crashes == [], crashes
    assert first == analyse(path, text), "output is not deterministic"
    for violation in first:
        assert 0 <= violation.span.start <= violation.span.end <= len(text), violation
        if violation.fix is not None:
            for edit in violation.fix.edits:
                if edit.path is None:
                    assert 0 <= edit.span.start <= edit.span.end <= len(text), edit


@FUZZ
@given(st.integers(min_value=0, max_value=len(MIGRATION)))
def test_sql_truncated_at_any_offset(cut: int) -> None:
    check_properties("m.sql", MIGRATION[:cut])


@FUZZ
@given(st.integers(min_value=0, max_value=len(PYTHON)))
def test_python_truncated_at_any_offset(cut: int) -> None:
    text = PYTHON[:cut]
    violations = analyse("app.py", text)
    check_properties("app.py", text)
    try:
        compile(text, "app.py", "exec")
    except SyntaxError:
        assert any(v.code == "DBS001" for v in violations), "a syntax error must be reported"


@FUZZ
@given(st.lists(SQL_ALPHABET, max_size=60).map("".join))
def test_sql_token_soup(text: str) -> None:
    check_properties("soup.sql", text)


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text_as_sql_and_python(text: str) -> None:
    check_properties("any.sql", text)
    check_properties("any.py", text)


@FUZZ
@given(st.integers(min_value=0, max_value=len(MIGRATION) - 1), st.text(min_size=1, max_size=5))
def test_sql_mutations(position: int, insert: str) -> None:
    check_properties("m.sql", MIGRATION[:position] + insert + MIGRATION[position:])


def test_deep_nesting_and_large_inputs() -> None:
    deep = "SELECT " + "(" * 5000 + "1" + ")" * 5000 + ";\n"
    violations = analyse("deep.sql", deep)
    assert all(0 <= v.span.end <= len(deep) for v in violations)
    many = "CREATE TABLE t (id bigint PRIMARY KEY);\n" * 10_000
    check_properties("many.sql", many)
    literal = "SELECT '" + "x" * 500_000 + "';\n"
    check_properties("literal.sql", literal)
    deep_python = "x = " + "[" * 2000 + "]" * 2000 + "\n"
    check_properties("deep.py", deep_python)
