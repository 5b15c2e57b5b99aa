"""PG204 on SQLAlchemy comparisons agrees with a real PostgreSQL: the rule fires exactly when
the SQL the driver sends keeps the planner off the column's index (or fails outright)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from dbsense.config import Settings
from dbsense.workspace import Workspace

SCHEMA = """
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    quantity integer NOT NULL,
    total numeric(10, 2) NOT NULL,
    order_code varchar(20) NOT NULL
);
CREATE INDEX orders_quantity_idx ON orders (quantity);
CREATE INDEX orders_total_idx ON orders (total);
CREATE INDEX orders_code_idx ON orders (order_code);
INSERT INTO orders SELECT g, g % 1000, g % 5000 / 10.0, 'A-' || g FROM generate_series(1, 20000) g;
ANALYZE orders
"""
MODELS = """\
from decimal import Decimal

from sqlalchemy import BigInteger, Numeric, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

engine = create_engine("{url}")


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    quantity: Mapped[int]
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    code: Mapped[str] = mapped_column("order_code", String(20))
"""
# (the SQLAlchemy condition, the WHERE clause psycopg2 sends: floats inlined by repr(),
# Decimals by str(), the same text psycopg's client-side quoting writes)
CASES = [
    ("Order.quantity == 10.0", "quantity = 10.0"),
    ("Order.quantity == 10", "quantity = 10"),
    ("Order.quantity > Decimal('2.5')", "quantity > 2.5"),
    ("Order.quantity == Decimal('3')", "quantity = 3"),
    ("Order.quantity.in_([1, 2.5])", "quantity IN (1, 2.5)"),
    ("Order.total >= 10.5", "total >= 10.5"),
    ("Order.id == 10.0", "id = 10.0"),
    ("Order.id == 2**40", "id = 1099511627776"),
    ("Order.code == 42", "order_code = 42"),
]


@pytest.fixture
def orders_db(postgres_database: str) -> str:
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        for statement in filter(str.strip, SCHEMA.split(";\n")):
            conn.execute(statement)  # type: ignore[arg-type]
    return postgres_database


def _plan(dsn: str, where: str) -> str:
    """``index``, ``scan`` (the index cannot serve the filter) or ``error``."""
    with psycopg.connect(dsn) as conn:
        conn.execute("SET enable_seqscan = off")
        try:
            row = conn.execute(
                f"EXPLAIN (FORMAT JSON) SELECT * FROM orders WHERE {where}"  # type: ignore[arg-type]
            ).fetchone()
        except psycopg.errors.UndefinedFunction:
            return "error"
    nodes = json.dumps(row[0]) if row else ""
    return "index" if '"Index' in nodes or '"Bitmap Index' in nodes else "scan"


def _findings(tmp_path: Path, url: str) -> dict[int, str]:
    """PG204's verdict per case: line number -> ``error``/``scan``."""
    queries = "from decimal import Decimal\n\nfrom app.models import Order\n\nconditions = [\n"
    queries += "".join(f"    {condition},\n" for condition, _ in CASES) + "]\n"
    settings = Settings()
    settings.select = ["PG204"]
    settings.source = None
    workspace = Workspace(tmp_path, settings)
    workspace.set_document("app/models.py", MODELS.format(url=url))
    workspace.set_document("app/queries.py", queries)
    verdicts = {}
    for violation in workspace.check().violations:
        line = queries.count("\n", 0, violation.span.start) - 5
        verdicts[line] = "error" if violation.severity.value == "error" else "scan"
    return verdicts


def test_findings_match_the_planner_for_psycopg2(orders_db: str, tmp_path: Path) -> None:
    verdicts = _findings(tmp_path, "postgresql://app@db/shop")
    planned = {position: _plan(orders_db, where) for position, (_, where) in enumerate(CASES)}
    assert planned == {
        0: "scan",
        1: "index",
        2: "scan",
        3: "index",
        4: "scan",
        5: "index",
        6: "scan",
        7: "index",
        8: "error",
    }
    expected = {position: plan for position, plan in planned.items() if plan != "index"}
    assert verdicts == expected


def test_casting_dialects_keep_the_index_and_stay_silent(orders_db: str, tmp_path: Path) -> None:
    # SQLAlchemy's psycopg 3 dialect renders `quantity = %(p)s::INTEGER`
    assert _plan(orders_db, "quantity = 10.5::INTEGER") == "index"
    assert _plan(orders_db, "order_code = 42::VARCHAR") == "index"
    assert _findings(tmp_path, "postgresql+psycopg://app@db/shop") == {}
