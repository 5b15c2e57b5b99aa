"""SQLAlchemy column comparisons with numbers, and the driver of an engine URL."""

from __future__ import annotations

from dbsense.analyzers.ir import ConnectionSetupFact, OrmComparisonFact, SourceFile
from dbsense.analyzers.python import analyze_python

TEXT = """\
from decimal import Decimal

from sqlalchemy import create_engine, select

from app.models import Order

a = create_engine("postgresql+asyncpg://u@h/db")
b = create_engine("postgresql://u@h/db")
c = create_engine("sqlite:///x.db")


def queries(session, n):
    select(Order).where(Order.qty == 1.5, 3 < Order.qty, Order.qty != n)
    select(Order).where(Order.qty.in_([1, 2.0]), Order.qty.between(Decimal("1.50"), 9))
    session.query(Order).filter_by(qty=-2.5, name="x")
    select(Order).where(Order.name == "x", order.qty == 1.5, Order.flag == True)
"""


def test_comparisons_with_numbers() -> None:
    unit = analyze_python(SourceFile("app/queries.py", TEXT))
    facts = [f for f in unit.facts if isinstance(f, OrmComparisonFact)]
    assert [(f.model, f.attr, f.operator, f.value, f.value_kind) for f in facts] == [
        ("app.models.Order", "qty", "=", "1.5", "float"),
        ("app.models.Order", "qty", "<", "3", "int"),
        ("app.models.Order", "qty", "IN", "1", "int"),
        ("app.models.Order", "qty", "IN", "2.0", "float"),
        ("app.models.Order", "qty", "BETWEEN", "1.50", "decimal"),
        ("app.models.Order", "qty", "BETWEEN", "9", "int"),
        ("app.models.Order", "qty", "=", "-2.5", "float"),
    ]
    assert TEXT[facts[0].value_span.start : facts[0].value_span.end] == "1.5"


def test_engine_url_driver() -> None:
    unit = analyze_python(SourceFile("app/queries.py", TEXT))
    engines = [f for f in unit.facts if isinstance(f, ConnectionSetupFact)]
    assert [f.driver for f in engines] == ["asyncpg", "psycopg2", None]
