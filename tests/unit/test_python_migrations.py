"""Alembic and Django migrations: graph ids and operations as DDL facts."""

import re

from dbsense.analyzers.ir import (
    ALEMBIC,
    DJANGO_MIGRATION,
    AddColumnFact,
    AddConstraintFact,
    AlterColumnNullFact,
    CreateIndexFact,
    CreateTableFact,
    DropColumnFact,
    FrameworkFixFact,
    FunctionFact,
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


def _revision(body: str) -> str:
    return (
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        'revision = "b3"\ndown_revision = "b2"\n\n\ndef upgrade():\n' + body
    )


BATCH = """\
    with op.batch_alter_table("orders", schema="shop") as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=False))
        batch_op.alter_column("total", nullable=False, type_=sa.BigInteger())
        batch_op.alter_column("code", new_column_name="sku", server_default="x")
        batch_op.drop_column("legacy")
        batch_op.create_index("orders_note_idx", ["note"], unique=True)
        batch_op.drop_index("orders_old_idx")
        batch_op.create_foreign_key("orders_customer_fk", "customers", ["customer_id"], ["id"])
        batch_op.create_unique_constraint("orders_sku_key", ["sku"])
        batch_op.create_check_constraint("orders_total_check", "total > 0")
        batch_op.drop_constraint("orders_old_key", type_="unique")
"""
PLAIN = """\
    op.add_column("orders", sa.Column("note", sa.Text(), nullable=False), schema="shop")
    op.alter_column("orders", "total", nullable=False, type_=sa.BigInteger(), schema="shop")
    op.alter_column("orders", "code", new_column_name="sku", server_default="x", schema="shop")
    op.drop_column("orders", "legacy", schema="shop")
    op.create_index("orders_note_idx", "orders", ["note"], unique=True, schema="shop")
    op.drop_index("orders_old_idx", "orders", schema="shop")
    op.create_foreign_key(
        "orders_customer_fk", "orders", "customers", ["customer_id"], ["id"], schema="shop"
    )
    op.create_unique_constraint("orders_sku_key", "orders", ["sku"], schema="shop")
    op.create_check_constraint("orders_total_check", "orders", "total > 0", schema="shop")
    op.drop_constraint("orders_old_key", "orders", type_="unique", schema="shop")
"""


def _shapes(text: str) -> list[str]:
    """Each DDL fact without its positions (spans differ between the two spellings)."""
    unit = analyze_python(SourceFile("alembic/versions/b3_x.py", text))
    return [
        re.sub(r"Span\(start=\d+, end=\d+\)", "Span", repr(fact))
        for fact in unit.facts
        if not isinstance(fact, (FunctionFact, FrameworkFixFact))
    ]


def test_batch_operations_give_the_facts_of_the_op_forms() -> None:
    batch = _shapes(_revision(BATCH))
    assert len(batch) == 12  # alter_column gives null + type, and default + rename
    assert batch == _shapes(_revision(PLAIN))


def test_batch_fixes_that_wrap_the_call_are_not_offered() -> None:
    body = (
        '    with op.batch_alter_table("orders") as batch_op:\n'
        '        batch_op.create_index("orders_note_idx", ["note"])\n'
        '        batch_op.create_foreign_key("fk", "customers", ["customer_id"], ["id"])\n'
        '    with op.batch_alter_table("items", recreate="always") as batch_op:\n'
        '        batch_op.create_foreign_key("fk2", "customers", ["customer_id"], ["id"])\n'
    )
    unit = analyze_python(SourceFile("alembic/versions/b3_x.py", _revision(body)))
    fixes = [f.purpose for f in unit.facts if isinstance(f, FrameworkFixFact)]
    assert fixes == ["not-valid"]  # no autocommit_block() wrap; nothing for a recreated table
    tables = [
        str(f.table) for f in unit.facts if isinstance(f, (CreateIndexFact, AddConstraintFact))
    ]
    assert tables == ["orders", "orders", "items"]


def test_batch_names_are_scoped_to_their_block() -> None:
    body = (
        '    with op.batch_alter_table("orders") as batch_op:\n'
        '        batch_op.drop_column("a")\n'
        '    with op.batch_alter_table("items") as batch_op:\n'
        '        batch_op.drop_column("b")\n'
        '    batch_op.drop_column("c")  # outside any block: not an operation\n'
    )
    unit = analyze_python(SourceFile("alembic/versions/b3_x.py", _revision(body)))
    drops = [(str(f.table), f.column) for f in unit.facts if isinstance(f, DropColumnFact)]
    assert drops == [("orders", "a"), ("items", "b")]
