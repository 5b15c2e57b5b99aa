"""Hand-shaped realistic inputs: a ``pg_dump``-style schema and a 200-line migration.

Unlike the generated workspaces (many small migrations), these mimic what teams check in: one
``structure.sql`` with enums, sequences, wide tables, functions, triggers, views, comments,
grants and named constraints added after the tables, and one long hand-written migration.
"""

from __future__ import annotations

import random
from pathlib import Path

TYPES = (
    "bigint",
    "integer",
    "text",
    "character varying(255)",
    "boolean DEFAULT false NOT NULL",
    "timestamp with time zone DEFAULT now() NOT NULL",
    "numeric(12,2)",
    "jsonb DEFAULT '{}'::jsonb NOT NULL",
    "uuid",
    "date",
)
WORDS = ("account", "order", "invoice", "product", "user", "event", "payment", "shipment")


def _table_name(rng: random.Random, number: int) -> str:
    return f"{rng.choice(WORDS)}_{rng.choice(WORDS)}s_{number}"


def schema_statements(count: int = 2600, seed: int = 2600) -> list[str]:
    """About ``count`` statements in ``pg_dump`` order and flavour."""
    rng = random.Random(seed)
    statements = [
        "SET statement_timeout = 0;",
        "SET lock_timeout = 0;",
        "SET client_encoding = 'UTF8';",
        "SELECT pg_catalog.set_config('search_path', '', false);",
        "CREATE SCHEMA IF NOT EXISTS app;",
        "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;",
    ]
    tables: list[str] = []
    number = 0
    while len(statements) < count:
        number += 1
        table = _table_name(rng, number)
        if number % 25 == 1:
            labels = ", ".join(f"'{word}'" for word in rng.sample(WORDS, 4))
            statements.append(f"CREATE TYPE app.status_{number} AS ENUM ({labels});")
        statements.append(
            f"CREATE SEQUENCE app.{table}_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE "
            "NO MAXVALUE CACHE 1;"
        )
        columns = ["    id bigint NOT NULL"]
        for column in range(rng.randint(4, 14)):
            columns.append(f"    {rng.choice(WORDS)}_{column} {rng.choice(TYPES)}")
        if tables:
            columns.append("    parent_id bigint")
        statements.append(f"CREATE TABLE app.{table} (\n" + ",\n".join(columns) + "\n);")
        statements.append(f"ALTER TABLE app.{table} OWNER TO app_owner;")
        statements.append(f"ALTER SEQUENCE app.{table}_id_seq OWNED BY app.{table}.id;")
        statements.append(
            f"ALTER TABLE ONLY app.{table} ALTER COLUMN id SET DEFAULT "
            f"nextval('app.{table}_id_seq'::regclass);"
        )
        statements.append(
            f"ALTER TABLE ONLY app.{table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id);"
        )
        if tables and rng.random() < 0.7:
            parent = rng.choice(tables)
            statements.append(
                f"ALTER TABLE ONLY app.{table} ADD CONSTRAINT {table}_parent_id_fkey "
                f"FOREIGN KEY (parent_id) REFERENCES app.{parent}(id) ON DELETE CASCADE;"
            )
            statements.append(
                f"CREATE INDEX index_{table}_on_parent_id ON app.{table} USING btree (parent_id);"
            )
        if rng.random() < 0.4:
            statements.append(
                f"CREATE UNIQUE INDEX index_{table}_on_lower_{number} ON app.{table} "
                f"USING btree (lower((id)::text)) WHERE (id > 0);"
            )
        if rng.random() < 0.3:
            statements.append(f"COMMENT ON TABLE app.{table} IS 'Rows of {table}.';")
        if rng.random() < 0.15:
            statements.append(
                f"CREATE FUNCTION app.touch_{number}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "BEGIN\n    NEW.updated_at := now();\n    RETURN NEW;\nEND;\n$$;"
            )
            statements.append(
                f"CREATE TRIGGER touch_{number} BEFORE UPDATE ON app.{table} "
                f"FOR EACH ROW EXECUTE FUNCTION app.touch_{number}();"
            )
        if rng.random() < 0.1:
            statements.append(
                f"CREATE VIEW app.{table}_recent AS\n SELECT id, parent_id\n   FROM app.{table}\n"
                "  WHERE (id > 100);"
            )
        if rng.random() < 0.2:
            statements.append(f"GRANT SELECT ON TABLE app.{table} TO app_reader;")
        tables.append(table)
    return statements[:count]


def migration_lines(lines: int = 200, seed: int = 200) -> str:
    """One hand-written migration of about ``lines`` lines (the editor case)."""
    rng = random.Random(seed)
    parts = ["-- Migration: split billing out of orders", "BEGIN;", "SET lock_timeout = '5s';", ""]
    number = 0
    while sum(part.count("\n") + 1 for part in parts) < lines - 2:
        number += 1
        table = f"billing_{rng.choice(WORDS)}_{number}"
        parts.append(
            f"CREATE TABLE {table} (\n    id bigserial PRIMARY KEY,\n"
            f"    order_id bigint NOT NULL REFERENCES orders (id),\n"
            f"    amount numeric(12, 2) NOT NULL,\n    note varchar(80),\n"
            f"    created_at timestamp DEFAULT now()\n);"
        )
        parts.append(f"CREATE INDEX {table}_order_idx ON {table} (order_id);")
        parts.append(f"ALTER TABLE orders ADD COLUMN {table}_total integer NOT NULL DEFAULT 0;")
        parts.append(
            f"UPDATE orders SET {table}_total = 1 WHERE id IN (SELECT order_id FROM {table});"
        )
        parts.append("")
    parts.append("COMMIT;")
    return "\n".join(parts) + "\n"


def write_inputs(directory: Path) -> tuple[Path, Path]:
    """Write ``realistic/structure.sql`` and ``single/migration.sql`` under ``directory``."""
    schema = directory / "realistic" / "structure.sql"
    migration = directory / "single" / "migration.sql"
    for path in (schema, migration):
        path.parent.mkdir(parents=True, exist_ok=True)
    schema.write_text("\n\n".join(schema_statements()) + "\n", encoding="utf-8")
    migration.write_text(migration_lines(), encoding="utf-8")
    return schema.parent, migration.parent
