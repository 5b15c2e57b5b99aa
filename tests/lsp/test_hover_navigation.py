"""Hover (rule, table, column, DDL lock, noqa code), symbols, definition, completion, catalog."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.lsp.conftest import SELECT, Client, diagnostics_for, open_document, start, vscode

SCHEMA = """CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    placed_at timestamp NOT NULL
);
"""
LATER = """ALTER TABLE orders ADD COLUMN note text;
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
SELECT id FROM orders;  -- noqa: PG101
"""


def position_of(text: str, needle: str, shift: int = 1) -> types.Position:
    """The position ``shift`` characters into the first ``needle`` (ASCII texts)."""
    offset = text.index(needle) + shift
    line = text.count("\n", 0, offset)
    return types.Position(line, offset - (text.rfind("\n", 0, offset) + 1))


async def open_schema(client: Client, project: Path) -> tuple[str, str]:
    first = project / "migrations" / "0001_schema.sql"
    second = project / "migrations" / "0002_later.sql"
    first.write_text(SCHEMA)
    second.write_text(LATER)
    await start(client, project)
    first_uri = open_document(client, first)
    second_uri = open_document(client, second)
    await diagnostics_for(client, first_uri, version=1)
    await diagnostics_for(client, second_uri, version=1)
    return first_uri, second_uri


async def hover_text(client: Client, uri: str, position: types.Position) -> str:
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), position)
    )
    assert result is not None
    return result.contents.value


async def test_hover_on_a_finding_explains_the_rule(client: Client, project: Path):
    uri, _ = await open_schema(client, project)
    text = await hover_text(client, uri, position_of(SCHEMA, "timestamp NOT NULL"))
    assert "PG302" in text and "timestamp-without-time-zone" in text
    assert "Fix safety" in text
    assert "orders.placed_at" in text  # the finding's message


async def test_hover_on_a_table_shows_its_catalog_entry(client: Client, project: Path):
    _, later = await open_schema(client, project)
    text = await hover_text(client, later, position_of(LATER, "orders ADD"))
    # Columns not written on that line, with types; the index from this file; FK coverage.
    assert "`customer_id` bigint NOT NULL" in text
    assert "`placed_at` timestamp without time zone NOT NULL" in text
    assert "`note` text — added in `migrations/0002_later.sql:1`" in text
    assert "orders_customer_id_idx" in text
    assert "1 of 1 FKs covered" in text
    assert "created in `migrations/0001_schema.sql:2`" in text


async def test_hover_on_a_table_in_a_flagged_statement_shows_both(client: Client, project: Path):
    _, later = await open_schema(client, project)
    text = await hover_text(client, later, position_of(LATER, "orders (customer_id)"))
    assert "**table `public.orders`**" in text
    assert "PG101" in text and "create-index-not-concurrently" in text


async def test_hover_on_a_column(client: Client, project: Path):
    first, _ = await open_schema(client, project)
    text = await hover_text(client, first, position_of(SCHEMA, "customer_id bigint"))
    assert "column `public.orders.customer_id`" in text
    assert "orders_customer_id_idx" in text
    assert "customers(id)" in text


async def test_hover_on_ddl_shows_the_lock(client: Client, project: Path):
    _, later = await open_schema(client, project)
    text = await hover_text(client, later, position_of(LATER, "CREATE INDEX"))
    assert "SHARE" in text and "writes wait" in text
    assert "CONCURRENTLY" in text
    assert "lock_timeout" in text
    text = await hover_text(client, later, position_of(LATER, "ALTER TABLE"))
    assert "ACCESS EXCLUSIVE" in text and "reads and writes wait" in text


async def test_hover_on_a_code_in_a_noqa_comment(client: Client, project: Path):
    _, later = await open_schema(client, project)
    text = await hover_text(client, later, position_of(LATER, "PG101\n"))
    assert "create-index-not-concurrently" in text


async def test_document_symbols(client: Client, project: Path):
    first, later = await open_schema(client, project)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(first))
    )
    assert [symbol.name for symbol in symbols] == ["customers", "orders"]
    assert [child.name for child in symbols[1].children] == ["id", "customer_id", "placed_at"]
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(later))
    )
    assert [symbol.name for symbol in symbols] == ["orders.note", "orders_customer_id_idx"]


async def test_definition_of_a_table_and_a_column(client: Client, project: Path):
    first, later = await open_schema(client, project)
    [location] = await client.text_document_definition_async(
        types.DefinitionParams(
            types.TextDocumentIdentifier(later), position_of(LATER, "orders (customer_id)")
        )
    )
    assert location.uri == first
    assert location.range.start == position_of(SCHEMA, "orders (", shift=0)
    [location] = await client.text_document_definition_async(
        types.DefinitionParams(
            types.TextDocumentIdentifier(later), position_of(LATER, "customer_id);")
        )
    )
    assert location.uri == first
    assert location.range.start.line == 3


async def test_completion_of_tables_and_columns(client: Client, project: Path):
    await open_schema(client, project)
    third = project / "queries.sql"
    query = "SELECT o. FROM orders o JOIN cus"
    uri = open_document(client, third, query)
    await diagnostics_for(client, uri, version=1)
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(0, len(query)))
    )
    labels = {item.label for item in result.items}
    assert {"customers", "orders"} <= labels
    result = await client.text_document_completion_async(
        types.CompletionParams(
            types.TextDocumentIdentifier(uri), types.Position(0, query.index(".") + 1)
        )
    )
    assert {item.label for item in result.items} == {"id", "customer_id", "placed_at", "note"}


async def test_show_catalog_command_returns_markdown(client: Client, project: Path):
    await open_schema(client, project)
    text = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("dbsense.showCatalog", [project.as_uri()])
    )
    assert isinstance(text, str)
    assert "**table `public.customers`**" in text and "**table `public.orders`**" in text
    assert "orders_customer_id_idx" in text


MODELS = """from django.db import models


class Order(models.Model):
    placed_at = models.DateTimeField()
    customer = models.ForeignKey("Customer", on_delete=models.CASCADE)

    class Meta:
        db_table = "orders"
"""


async def test_hover_on_a_model_and_a_model_field(client: Client, project: Path):
    (project / "shop").mkdir()
    models = project / "shop" / "models.py"
    models.write_text(MODELS)
    await start(client, project, options={"select": ["DBS001"]})
    uri = open_document(client, models)
    await diagnostics_for(client, uri, version=1)
    text = await hover_text(client, uri, position_of(MODELS, "Order("))
    assert "**table `public.orders`**" in text
    assert "`placed_at` timestamp with time zone NOT NULL" in text
    text = await hover_text(client, uri, position_of(MODELS, "customer ="))
    assert "column `public.orders.customer_id`" in text
    assert "bigint NOT NULL" in text


async def test_one_catalog_per_workspace_root(client: Client, tmp_path: Path):
    first, second = tmp_path / "billing", tmp_path / "shipping"
    for root in (first, second):
        (root / "migrations").mkdir(parents=True)
    (first / "migrations" / "0001.sql").write_text(SCHEMA)
    query = "SELECT id FROM orders;\n"
    (second / "migrations" / "0001.sql").write_text(query)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=vscode(),
            root_uri=first.as_uri(),
            workspace_folders=[
                types.WorkspaceFolder(first.as_uri(), "billing"),
                types.WorkspaceFolder(second.as_uri(), "shipping"),
            ],
            initialization_options=SELECT,
        )
    )
    billing = open_document(client, first / "migrations" / "0001.sql")
    shipping = open_document(client, second / "migrations" / "0001.sql")
    await diagnostics_for(client, billing, version=1)
    await diagnostics_for(client, shipping, version=1)
    assert "**table `public.orders`**" in await hover_text(
        client, billing, position_of(SCHEMA, "orders (")
    )
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(shipping), position_of(query, "orders"))
    )
    assert result is None  # `orders` exists only in the other root's catalog
    catalog = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("dbsense.showCatalog", [second.as_uri()])
    )
    assert "0 tables" in catalog
