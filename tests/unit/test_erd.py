"""ERD of the offline catalog: Mermaid parsed structurally, DOT rendered by Graphviz."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dbsense.cli import main
from dbsense.config import Settings
from dbsense.erd import Erd, from_catalog, to_dot, to_mermaid, to_svg
from dbsense.workspace import Workspace

SCHEMA = """
CREATE SCHEMA billing;
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    total numeric(10,2)
);
CREATE TABLE order_lines (
    order_id bigint REFERENCES orders (id),
    sku text NOT NULL,
    PRIMARY KEY (order_id, sku)
);
CREATE TABLE billing.invoices (
    id bigint PRIMARY KEY,
    order_id bigint REFERENCES orders (id)
);
CREATE INDEX invoices_order_id_idx ON billing.invoices (order_id);
"""
ENTITY = re.compile(r'^    (?P<id>\w+)(?:\["(?P<label>[^"]+)"\])? \{$')
ATTRIBUTE = re.compile(r"^        (?P<type>[\w()\[\]]+) (?P<name>\w+)(?: (?P<keys>PK|FK|PK,FK))?$")
RELATION = re.compile(
    r'^    (?P<parent>\w+) (?P<left>\|\||\|o)--o\{ (?P<child>\w+) : "(?P<label>[^"]+)"$'
)


def diagram() -> Erd:
    workspace = Workspace(Path("."), Settings())
    workspace.set_document("schema.sql", SCHEMA)
    workspace.check()
    return from_catalog(workspace.catalog)


def parse_mermaid(text: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, ...]]]:
    """Entities with their attributes and relationships; fails on any unexpected line."""
    lines = text.splitlines()
    assert lines[0] == "erDiagram"
    entities: dict[str, dict[str, str]] = {}
    relations: list[tuple[str, ...]] = []
    current: dict[str, str] | None = None
    for line in lines[1:]:
        if current is not None:
            if line == "    }":
                current = None
                continue
            match = ATTRIBUTE.match(line)
            assert match, f"bad attribute line {line!r}"
            current[match["name"]] = f"{match['type']} {match['keys'] or ''}".strip()
        elif match := ENTITY.match(line):
            current = entities.setdefault(match["label"] or match["id"], {})
        elif match := RELATION.match(line):
            relations.append((match["parent"], match["left"], match["child"], match["label"]))
        else:
            raise AssertionError(f"unexpected line {line!r}")
    assert current is None, "unclosed entity"
    return entities, relations


def test_mermaid_structure() -> None:
    entities, relations = parse_mermaid(to_mermaid(diagram()))
    assert set(entities) == {"customers", "orders", "order_lines", "billing.invoices"}
    assert entities["orders"] == {
        "id": "bigint PK",
        "customer_id": "bigint FK",
        "total": "numeric(10_2)",
    }
    assert entities["order_lines"]["order_id"] == "bigint PK,FK"
    assert sorted(relations) == [
        ("customers", "||", "orders", "customer_id (NOT indexed)"),
        ("orders", "|o", "billing_invoices", "order_id (indexed)"),
        ("orders", "||", "order_lines", "order_id (indexed)"),
    ]


def test_filter_by_schema_and_prefix() -> None:
    erd = diagram()
    assert [t.label for t in erd.filtered(prefix="order").tables] == ["order_lines", "orders"]
    assert len(erd.filtered(prefix="order").edges) == 1
    billing = erd.filtered(schema="billing")
    assert [t.label for t in billing.tables] == ["billing.invoices"] and billing.edges == []


def test_dot_renders_with_graphviz() -> None:
    assert shutil.which("dot"), "Graphviz `dot` is required (make system-deps)"
    source = to_dot(diagram())
    result = subprocess.run(["dot", "-Tplain"], input=source, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    nodes = {
        line.split()[1].strip('"') for line in result.stdout.splitlines() if line[:5] == "node "
    }
    assert nodes == {"public.customers", "public.orders", "public.order_lines", "billing.invoices"}
    edges = [line for line in result.stdout.splitlines() if line.startswith("edge ")]
    assert len(edges) == 3
    assert any("NOT indexed" in line and line.endswith("solid red") for line in edges)
    svg = ET.fromstring(to_svg(source))
    assert svg.tag.endswith("svg")


def test_cli_erd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "schema.sql").write_text(SCHEMA)
    assert main(["erd", str(tmp_path), "--table-prefix", "cust"]) == 0
    entities, relations = parse_mermaid(capsys.readouterr().out)
    assert list(entities) == ["customers"] and relations == []
    out = tmp_path / "erd.svg"
    assert main(["erd", str(tmp_path), "--format", "svg", "-o", str(out)]) == 0
    assert ET.parse(out).getroot().tag.endswith("svg")
