"""Alembic and Django migrations: graph ids and operations as DDL facts."""

from dbsense.analyzers.ir import (
    ALEMBIC,
    DJANGO_MIGRATION,
    AddColumnFact,
    AlterColumnNullFact,
    CreateIndexFact,
    CreateTableFact,
    FrameworkFixFact,
    SourceFile,
)
from dbsense.analyzers.python import analyze_python

ALEMBIC_TEXT = """\
import sqlalchemy as sa
from alembic import op

revision = "b2"
down_revision = ("a1", "a0")


def upgrade():
    op.create_table("events", sa.Column("id", sa.BigInteger, primary_key=True))
    op.create_index("events_id_idx", "events", ["id"])
    op.add_column("orders", sa.Column("note", sa.Text(), nullable=False))
    op.create_index("orders_note_idx", "orders", ["note"])
    op.alter_column("orders", "total", nullable=False)
    op.execute("CREATE INDEX orders_x_idx ON orders (x)")


def downgrade():
    op.drop_table("events")
"""

DJANGO_TEXT = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial"), ("auth", "__first__")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="coupon",
            field=models.ForeignKey(null=True, on_delete=models.SET_NULL, to="shop.coupon"),
        ),
        migrations.AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["-placed_at"], name="order_placed_idx"),
        ),
    ]
"""


def test_alembic_revision() -> None:
    unit = analyze_python(SourceFile("alembic/versions/b2_x.py", ALEMBIC_TEXT))
    assert (unit.unit_id, unit.depends_on) == ("b2", ("a1", "a0"))
    indexes = {f.name: f for f in unit.facts if isinstance(f, CreateIndexFact)}
    assert indexes["events_id_idx"].table_created_in_unit
    assert not indexes["orders_note_idx"].table_created_in_unit
    assert indexes["orders_x_idx"].origin == ALEMBIC  # op.execute SQL, same origin
    assert any(isinstance(f, CreateTableFact) for f in unit.facts)
    added = next(f for f in unit.facts if isinstance(f, AddColumnFact))
    assert added.column.name == "note" and not added.column.nullable
    assert next(f for f in unit.facts if isinstance(f, AlterColumnNullFact)).not_null
    fixes = [f for f in unit.facts if isinstance(f, FrameworkFixFact)]
    assert len(fixes) == 2  # both plain create_index calls (the new table's too)
    assert "autocommit_block" in fixes[1].edits[0][1]


def test_django_migration() -> None:
    unit = analyze_python(SourceFile("shop/migrations/0002_coupon.py", DJANGO_TEXT))
    assert (unit.unit_id, unit.depends_on) == ("shop.0002_coupon", ("shop.0001_initial",))
    added = next(f for f in unit.facts if isinstance(f, AddColumnFact))
    assert added.origin == DJANGO_MIGRATION
    assert (
        added.column.name == "coupon_id" and added.column.references.ref_table.name == "shop_coupon"
    )
    indexes = [f for f in unit.facts if isinstance(f, CreateIndexFact)]
    assert [(i.concurrently, i.keys[0].column) for i in indexes] == [
        (False, "coupon_id"),
        (True, "placed_at"),
    ]
    assert indexes[1].keys[0].descending


def test_plain_modules_are_not_units() -> None:
    unit = analyze_python(SourceFile("shop/views.py", "revision = 1\n"))
    assert unit.unit_id is None and unit.depends_on == ()
