"""Django and SQLAlchemy models become the same DDL facts as SQL, with Python spans."""

from dbsense.analyzers.ir import (
    CreateIndexFact,
    CreateTableFact,
    ModelFact,
    QualifiedName,
    SourceFile,
)
from dbsense.analyzers.python import analyze_python

DJANGO = """\
from django.conf import settings
from django.db import models as m


class Stamped(m.Model):
    created = m.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Customer(Stamped):
    name = m.CharField(max_length=100)


class Order(Stamped):
    customer = m.ForeignKey(Customer, on_delete=m.CASCADE, related_name="orders")
    owner = m.ForeignKey(settings.AUTH_USER_MODEL, on_delete=m.CASCADE, db_index=False)
    total = m.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        db_table = "orders"
        unique_together = ("customer", "total")
"""

SQLALCHEMY = """\
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (sa.Index("accounts_email_idx", "email"), {"schema": "app"})
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[Optional[str]] = mapped_column(sa.String(320))
    seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    projects: Mapped[list["Project"]] = relationship(lazy="selectin")


class Project(Base):
    __tablename__ = "projects"
    id = sa.Column(sa.BigInteger, sa.Identity(), primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("app.accounts.id"))
"""


def _facts(path: str, text: str) -> list:
    return list(analyze_python(SourceFile(path, text)).facts)


def test_django_models_types_inheritance_and_indexes() -> None:
    facts = _facts("shop/models.py", DJANGO)
    tables = {f.table.name: f for f in facts if isinstance(f, CreateTableFact)}
    assert set(tables) == {"shop_customer", "orders"}
    orders = tables["orders"]
    columns = {c.name: c for c in orders.columns}
    assert list(columns) == ["id", "created", "customer_id", "owner_id", "total"]
    assert columns["created"].type.name == "timestamp with time zone"
    assert columns["total"].type.args == ("10", "2")
    assert columns["customer_id"].references.ref_table == QualifiedName("shop_customer")
    assert columns["owner_id"].references.ref_table == QualifiedName("auth_user")
    assert orders.constraints[0].columns == ("customer_id", "total")
    indexed = [f.keys[0].column for f in facts if isinstance(f, CreateIndexFact)]
    assert indexed == ["customer_id"]  # db_index=False drops the owner index
    assert all(f.table_created_in_unit for f in facts if isinstance(f, CreateIndexFact))
    name_type = next(c for c in tables["shop_customer"].columns if c.name == "name").type
    assert DJANGO[name_type.span.start : name_type.span.end] == "m.CharField"
    model = next(f for f in facts if isinstance(f, ModelFact) and f.qualified.endswith("Order"))
    assert [(r.attr, r.reverse_name) for r in model.relations] == [
        ("customer", "orders"),
        ("owner", "order_set"),
    ]


def test_sqlalchemy_declarative_types_schema_and_serial() -> None:
    facts = _facts("svc/models.py", SQLALCHEMY)
    tables = {f.table: f for f in facts if isinstance(f, CreateTableFact)}
    accounts = tables[QualifiedName("accounts", "app")]
    columns = {c.name: c for c in accounts.columns}
    assert columns["id"].type.name == "serial"  # autoincrement integer key
    assert columns["email"].nullable and columns["email"].type.args == ("320",)
    assert columns["seen_at"].type.name == "timestamp with time zone"
    projects = {c.name: c for c in tables[QualifiedName("projects")].columns}
    assert projects["id"].type.name == "bigint" and projects["id"].identity
    assert projects["owner_id"].references.ref_table == QualifiedName("accounts", "app")
    assert not projects["owner_id"].nullable
    index = next(f for f in facts if isinstance(f, CreateIndexFact))
    assert index.name == "accounts_email_idx" and index.table_created_in_unit
    model = next(f for f in facts if isinstance(f, ModelFact) and f.qualified.endswith("Account"))
    assert model.relations[0].lazy == "selectin" and model.relations[0].many


def test_bad_input_never_raises() -> None:
    for text in (
        "class X(models.Model:\n",
        "from django.db import models\nclass A(models.Model):\n    x = models.ForeignKey()\n",
    ):
        analyze_python(SourceFile("shop/models.py", text))
