"""Statements sqlglot leaves opaque, read by the front-end so they count as analysed."""

from __future__ import annotations

import pytest

from dbsense.analyzers.ir import (
    AddConstraintFact,
    AddEnumValueFact,
    AddIdentityFact,
    AttachPartitionFact,
    CreateDomainFact,
    CreateFunctionFact,
    CreateIndexFact,
    CreateSchemaFact,
    CreateTableFact,
    CreateViewFact,
    ParseErrorFact,
    QualifiedName,
    RenameIndexFact,
    SettingFact,
    ValidateConstraintFact,
)
from dbsense.analyzers.sql.frontend import analyze_sql


def facts_of(sql: str) -> list:
    analysis = analyze_sql(sql)
    assert analysis.analysed == analysis.statements, analysis.facts
    return [f for f in analysis.facts if type(f).__name__ != "StatementFact"]


def test_set_forms_become_settings():
    facts = facts_of(
        "SET search_path TO billing, public;\nSET LOCAL lock_timeout = '5s';\n"
        "SELECT pg_catalog.set_config('search_path', '', false);\n"
    )
    settings = [f for f in facts if isinstance(f, SettingFact)]
    assert [(s.name, s.value, s.local) for s in settings] == [
        ("search_path", "billing, public", False),
        ("lock_timeout", "5s", True),
        ("search_path", "", False),
    ]


def test_domain_function_enum_value_and_identity():
    facts = facts_of(
        "CREATE DOMAIN posint AS integer NOT NULL CHECK (VALUE > 0);\n"
        "CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$"
        " LANGUAGE plpgsql;\n"
        "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 'STABLE' $$;\n"
        "ALTER TYPE mood ADD VALUE 'meh';\n"
        "ALTER TABLE ONLY t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME s);\n"
    )
    domain = next(f for f in facts if isinstance(f, CreateDomainFact))
    assert (domain.base_type, domain.not_null, domain.check) == ("integer", True, "VALUE > 0")
    functions = [f for f in facts if isinstance(f, CreateFunctionFact)]
    assert [(f.function.name, f.volatility, f.language) for f in functions] == [
        ("touch", "volatile", "plpgsql"),
        ("f", "immutable", "sql"),
    ]
    assert any(isinstance(f, AddEnumValueFact) and f.label == "meh" for f in facts)
    assert any(isinstance(f, AddIdentityFact) and f.column == "id" for f in facts)


def test_alter_table_commands():
    sql = (
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;\n"
        "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM (1) TO (2);\n"
        "ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX t_idx;\n"
        "ALTER INDEX parent_idx ATTACH PARTITION child_idx;\n"
        "ALTER INDEX i RENAME TO j;\n"
    )
    facts = facts_of(sql)
    validate = next(f for f in facts if isinstance(f, ValidateConstraintFact))
    assert validate.name == "orders_customer_fk"
    start = sql.index("VALIDATE")
    assert (validate.action_span.start, validate.action_span.end) == (
        start,
        start + len("VALIDATE CONSTRAINT orders_customer_fk"),
    )
    attach = [f for f in facts if isinstance(f, AttachPartitionFact)]
    assert [(a.table.name, a.partition.name, a.index) for a in attach] == [
        ("events", "events_2024", False),
        ("parent_idx", "child_idx", True),
    ]
    using = next(f for f in facts if isinstance(f, AddConstraintFact))
    assert (using.constraint.kind, using.constraint.name, using.constraint.using_index) == (
        "primary-key",
        "t_pk",
        "t_idx",
    )
    assert any(isinstance(f, RenameIndexFact) and f.new_name == "j" for f in facts)


def test_nested_create_schema_is_split_and_qualified():
    sql = (
        "CREATE SCHEMA s CREATE TABLE t (id int) CREATE INDEX ON t (id) CREATE VIEW v AS SELECT 1;"
    )
    facts = facts_of(sql)
    assert isinstance(facts[0], CreateSchemaFact) and facts[0].name == "s"
    table = next(f for f in facts if isinstance(f, CreateTableFact))
    index = next(f for f in facts if isinstance(f, CreateIndexFact))
    view = next(f for f in facts if isinstance(f, CreateViewFact))
    assert table.table == index.table == QualifiedName("t", "s")
    assert view.view == QualifiedName("v", "s")
    assert sql[table.name_span.start : table.name_span.end] == "t"


@pytest.mark.parametrize(
    "sql",
    [
        "COMMENT ON TABLE t IS 'x';",
        "DO $$ BEGIN NULL; END $$;",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
        "GRANT SELECT ON t TO PUBLIC;",
        "ALTER TABLE t OWNER TO bob;",
        "CREATE UNIQUE INDEX i ON ONLY p (a);",
        "CREATE MATERIALIZED VIEW mv AS SELECT 1 WITH NO DATA;",
        "ALTER SEQUENCE s OWNED BY t.id;",
        "CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();",
    ],
)
def test_harmless_or_read_forms_count_as_analysed(sql):
    facts_of(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "IMPORT FOREIGN SCHEMA remote FROM SERVER s INTO local;",
        "ALTER TABLE t ALTER COLUMN a DROP EXPRESSION;",
        "CREATE CONVERSION c FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;",
    ],
)
def test_unknown_forms_stay_not_analysed(sql):
    analysis = analyze_sql(sql)
    assert analysis.analysed == 0
    assert any(isinstance(f, ParseErrorFact) for f in analysis.facts)
