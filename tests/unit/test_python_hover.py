"""Hover data for ORM models: the consolidated catalog entry."""

from pathlib import Path

from dbsense.analyzers.python.hover import model_entry, render_entry
from dbsense.config import Settings
from dbsense.workspace import Workspace

MODELS = """\
from django.db import models


class Customer(models.Model):
    name = models.TextField()


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    placed_at = models.DateTimeField()
"""

LATER = """\
CREATE INDEX orders_placed_idx ON shop_order (placed_at, id);
"""


def _workspace(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path, Settings())
    workspace.set_document("shop/models.py", MODELS)
    workspace.set_document("sql/0001_index.sql", LATER)
    workspace.check()
    return workspace


def test_model_entry_consolidates_columns_and_indexes(tmp_path: Path) -> None:
    catalog = _workspace(tmp_path).catalog
    entry = model_entry(catalog, "Order")
    assert entry is not None and entry.table.endswith("shop_order")
    columns = {c.name: c for c in entry.columns}
    assert columns["placed_at"].type == "timestamp with time zone NOT NULL"
    assert ("orders_placed_idx", 1) in columns["placed_at"].indexes
    assert columns["customer_id"].references == "shop_customer(id)"
    assert columns["customer_id"].created.path == "shop/models.py"
    text = render_entry(entry)
    assert "orders_placed_idx" in text and len(text.splitlines()) <= 15


def test_field_entry_and_unknown_model(tmp_path: Path) -> None:
    catalog = _workspace(tmp_path).catalog
    entry = model_entry(catalog, "shop.models.Order", "customer")
    assert entry is not None and [c.name for c in entry.columns] == ["customer_id"]
    assert model_entry(catalog, "Nope") is None
