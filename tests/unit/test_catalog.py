"""The catalog replayed from SQL migrations: objects, names Postgres would choose, history."""

from __future__ import annotations

from dbsense.analyzers.catalog import Catalog, Unit
from dbsense.analyzers.ir import QualifiedName
from dbsense.analyzers.sql.frontend import analyze_sql


def replay(*files: tuple[str, str]) -> Catalog:
    return Catalog().replay(Unit(path, tuple(analyze_sql(text).facts)) for path, text in files)


def q(name: str, schema: str = "public") -> QualifiedName:
    return QualifiedName(name, schema)


def test_search_path_places_and_finds_unqualified_names():
    catalog = replay(
        (
            "001.sql",
            "CREATE SCHEMA billing;\n"
            "SET search_path TO billing, public;\n"
            "CREATE TABLE invoices (id bigint PRIMARY KEY);\n"
            "CREATE INDEX ON invoices (id);\n",
        ),
        ("002.sql", "CREATE TABLE invoices (id int);\n"),
    )
    assert set(catalog.tables) == {q("invoices", "billing"), q("invoices")}
    assert [i.name for i in catalog.tables[q("invoices", "billing")].indexes] == [
        "invoices_pkey",
        "invoices_id_idx",
    ]
    # Each unit starts with the default search path again.
    assert catalog.table(QualifiedName("invoices")) is catalog.tables[q("invoices")]


def test_nested_create_schema_elements_live_in_that_schema():
    catalog = replay(
        ("001.sql", "CREATE SCHEMA crm CREATE TABLE contacts (id int) CREATE VIEW v AS SELECT 1;")
    )
    assert set(catalog.tables) == {q("contacts", "crm")}
    assert set(catalog.views) == {q("v", "crm")}
    assert "crm" in catalog.schemas


def test_default_names_follow_postgres():
    long_table = "a_table_with_a_really_quite_extraordinarily_long_name_for_tests"
    catalog = replay(
        (
            "001.sql",
            "CREATE TABLE customers (id bigint PRIMARY KEY, email text UNIQUE);\n"
            "CREATE TABLE orders (id bigint PRIMARY KEY,"
            " customer_id bigint REFERENCES customers, total int CHECK (total > 0));\n"
            "CREATE INDEX ON orders (customer_id);\n"
            "CREATE INDEX ON orders (customer_id);\n"
            "CREATE INDEX ON orders (lower(customer_id::text), (total + 1));\n"
            f"CREATE TABLE {long_table} (the_first_column_has_a_long_name_as_well int);\n"
            f"CREATE INDEX ON {long_table} (the_first_column_has_a_long_name_as_well);\n",
        )
    )
    orders = catalog.tables[q("orders")]
    assert sorted(orders.constraints) == [
        "orders_customer_id_fkey",
        "orders_pkey",
        "orders_total_check",
    ]
    assert [i.name for i in orders.indexes] == [
        "orders_pkey",
        "orders_customer_id_idx",
        "orders_customer_id_idx1",
        "orders_lower_expr_idx",
    ]
    assert [i.name for i in catalog.tables[q("customers")].indexes] == [
        "customers_pkey",
        "customers_email_key",
    ]
    (index,) = catalog.tables[q(long_table)].indexes
    assert index.name == "a_table_with_a_really_quite_e_the_first_column_has_a_long_n_idx"
    assert len(index.name) == 63
    # A foreign key without a column list points at the primary key.
    (fk,) = orders.foreign_keys
    assert fk.definition.ref_columns == ("id",)


def test_renames_drops_and_validation_follow_the_history():
    catalog = replay(
        (
            "001.sql",
            "CREATE TABLE customers (id bigint PRIMARY KEY);\n"
            "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, note text);\n"
            "CREATE INDEX orders_customer_idx ON orders (customer_id);\n"
            "CREATE UNIQUE INDEX orders_note_key ON orders (note);\n",
        ),
        (
            "002.sql",
            "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)"
            " REFERENCES customers (id) NOT VALID;\n"
            "ALTER TABLE orders RENAME COLUMN customer_id TO client_id;\n"
            "ALTER TABLE customers RENAME COLUMN id TO customer_no;\n"
            "DROP INDEX orders_customer_idx;\n"
            "ALTER TABLE orders ADD CONSTRAINT orders_note_uq UNIQUE USING INDEX orders_note_key;\n"
            "ALTER TABLE customers RENAME TO clients;\n",
        ),
        ("003.sql", "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;"),
    )
    orders = catalog.tables[q("orders")]
    assert list(orders.columns) == ["id", "client_id", "note"]
    (fk,) = orders.foreign_keys
    assert fk.columns == ("client_id",)
    assert fk.ref_table == q("clients")
    assert fk.definition.ref_columns == ("customer_no",)
    assert fk.validated and orders.constraints["orders_customer_fk"].validated
    assert [d.index.name for d in orders.dropped_indexes] == ["orders_customer_idx"]
    assert orders.dropped_indexes[0].dropped_at.path == "002.sql"
    unique = orders.constraints["orders_note_uq"]
    assert unique.index is not None and unique.index.name == "orders_note_uq"
    assert catalog.index(QualifiedName("orders_note_uq")) is unique.index
    assert catalog.index(QualifiedName("orders_note_key")) is None
    # Each object keeps the statements that changed it.
    assert [c.path for c in orders.columns["client_id"].changes] == ["002.sql"]
    assert {c.path for c in orders.changes} == {"001.sql", "002.sql", "003.sql"}


def test_existed_before_is_the_pre_existing_table_notion():
    catalog = replay(
        ("001.sql", "CREATE TABLE a (id int);"),
        ("002.sql", "ALTER TABLE a RENAME TO b;\nCREATE TABLE c (id int);"),
        ("003.sql", "DROP TABLE c;"),
        ("004.sql", "CREATE TABLE c (id int);"),
    )
    name = QualifiedName
    assert not catalog.existed_before(name("a"), "001.sql")
    assert catalog.existed_before(name("a"), "002.sql")
    # A rename keeps the table's age: `b` is pre-existing in the unit that renamed it.
    assert catalog.existed_before(name("b"), "002.sql")
    assert catalog.existed_before(name("b"), "004.sql")
    assert not catalog.existed_before(name("c"), "002.sql")
    assert catalog.existed_before(name("c"), "003.sql")
    assert not catalog.existed_before(name("c"), "004.sql")
    assert not catalog.existed_before(name("missing"), "004.sql")


def test_partitions_inherit_columns_and_column_changes():
    catalog = replay(
        (
            "001.sql",
            "CREATE TABLE events (id bigint NOT NULL, on_day date NOT NULL)"
            " PARTITION BY RANGE (on_day);\n"
            "CREATE TABLE events_2024 PARTITION OF events"
            " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
            "CREATE TABLE events_2025 (LIKE events);\n"
            "ALTER TABLE events ATTACH PARTITION events_2025"
            " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n"
            "ALTER TABLE events ADD COLUMN source text;\n"
            "ALTER TABLE events RENAME COLUMN id TO event_id;\n",
        )
    )
    parent = catalog.tables[q("events")]
    assert parent.partitioned
    for child in ("events_2024", "events_2025"):
        table = catalog.tables[q(child)]
        assert table.partition_of == q("events")
        assert list(table.columns) == ["event_id", "on_day", "source"]
        assert not table.columns["event_id"].nullable
    assert parent.partitions == [catalog.tables[q("events_2024")], catalog.tables[q("events_2025")]]


def test_types_enums_domains_functions_and_identity():
    catalog = replay(
        (
            "001.sql",
            "CREATE TYPE mood AS ENUM ('happy', 'sad');\n"
            "ALTER TYPE mood ADD VALUE 'meh';\n"
            "CREATE DOMAIN positive AS integer NOT NULL CHECK (VALUE > 0);\n"
            "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql STABLE AS $$ SELECT x $$;\n"
            "CREATE TABLE t (id bigint NOT NULL, code serial, m mood);\n"
            "ALTER TABLE ONLY t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY"
            " (SEQUENCE NAME t_id_seq);\n",
        )
    )
    assert catalog.enums[q("mood")].labels == ["happy", "sad", "meh"]
    assert catalog.domains[q("positive")].not_null
    assert catalog.function(QualifiedName("f")).volatility == "stable"
    columns = catalog.tables[q("t")].columns
    assert columns["id"].identity and not columns["id"].nullable
    assert not columns["code"].nullable  # serial implies NOT NULL
    assert columns["m"].type is not None and columns["m"].type.name == "mood"


def test_statements_on_unknown_objects_are_ignored():
    catalog = replay(
        (
            "001.sql",
            "ALTER TABLE ghost ADD COLUMN a int;\nDROP INDEX ghost_idx;\n"
            "CREATE INDEX ON ghost (a);\nALTER TABLE ghost VALIDATE CONSTRAINT c;\n"
            "ALTER TABLE ghost RENAME TO spirit;\nDROP TABLE ghost;\n",
        )
    )
    assert catalog.tables == {}
