"""Alembic and Django migration graphs: unit ids, parents, and the replay order they give."""

from dataclasses import replace
from pathlib import Path

from dbsense.analyzers.ir import (
    AlterColumnDefaultFact,
    AlterColumnNullFact,
    QualifiedName,
    SourceFile,
    UnitFacts,
)
from dbsense.analyzers.migrations import order_units
from dbsense.analyzers.python import analyze_python
from dbsense.config import Settings
from dbsense.workspace import Workspace


def _revision(revision: str, down: str, body: str) -> str:
    return f'''\
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "{revision}"
down_revision: Union[str, Sequence[str], None] = {down}
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}
'''


# File names sort against the graph: natural path order would replay the merge first.
ALEMBIC = {
    "alembic/versions/1_merge.py": _revision(
        "m3", '("b1", "c2")', '    op.create_index("t_a_b_idx", "t", ["a", "b"])'
    ),
    "alembic/versions/2_last.py": _revision("z9", '"m3"', '    op.drop_column("t", "a")'),
    "alembic/versions/3_branch_b.py": _revision(
        "b1", '"a0"', '    op.add_column("t", sa.Column("a", sa.Text()))'
    ),
    "alembic/versions/4_branch_c.py": _revision(
        "c2", '"a0"', '    op.add_column("t", sa.Column("b", sa.Text()))'
    ),
    "alembic/versions/5_base.py": _revision(
        "a0", "None", '    op.create_table("t", sa.Column("id", sa.BigInteger, primary_key=True))'
    ),
}


def test_alembic_ids_and_parents() -> None:
    units = {path: analyze_python(SourceFile(path, text)) for path, text in ALEMBIC.items()}
    merge = units["alembic/versions/1_merge.py"]
    assert (merge.unit_id, merge.depends_on) == ("m3", ("b1", "c2"))
    base = units["alembic/versions/5_base.py"]
    assert (base.unit_id, base.depends_on) == ("a0", ())


def test_branchy_alembic_graph_replays_in_dependency_order(tmp_path: Path) -> None:
    units = [analyze_python(SourceFile(path, text)) for path, text in ALEMBIC.items()]
    ids = [unit.unit_id for unit in order_units(units)]
    assert ids == ["a0", "b1", "c2", "m3", "z9"]
    workspace = Workspace(tmp_path, Settings())
    for path, text in ALEMBIC.items():
        workspace.set_document(path, text)
    workspace.check()
    table = workspace.catalog.table(QualifiedName("t"))
    assert table is not None and set(table.columns) == {"id", "b"}  # a added, then dropped
    assert "t_a_b_idx" not in {index.name for index in table.indexes}  # dropped with a


def _django(dependencies: str, operations: str) -> str:
    return f"""\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = {dependencies}

    operations = [
{operations}
    ]
"""


DJANGO = {
    "billing/migrations/0001_initial.py": _django(
        '[("shop", "0003_merge"), ("auth", "__first__")]',
        '        migrations.CreateModel(name="Invoice", fields=[("id", models.BigAutoField('
        'primary_key=True)), ("order", models.ForeignKey(on_delete=models.CASCADE, '
        'to="shop.order"))]),',
    ),
    "shop/migrations/0001_initial.py": _django(
        "[]",
        '        migrations.CreateModel(name="Order", fields=[("id", models.BigAutoField('
        "primary_key=True))]),",
    ),
    "shop/migrations/0002_note.py": _django(
        '[("shop", "0001_initial")]',
        '        migrations.AddField(model_name="order", name="note", field=models.TextField()),',
    ),
    "shop/migrations/0002_total.py": _django(
        '[("shop", "0001_initial")]',
        '        migrations.AddField(model_name="order", name="total", '
        "field=models.BigIntegerField()),",
    ),
    "shop/migrations/0003_merge.py": _django('[("shop", "0002_note"), ("shop", "0002_total")]', ""),
}


def test_django_ids_and_parents() -> None:
    units = {path: analyze_python(SourceFile(path, text)) for path, text in DJANGO.items()}
    merge = units["shop/migrations/0003_merge.py"]
    assert merge.unit_id == "shop.0003_merge"
    assert merge.depends_on == ("shop.0002_note", "shop.0002_total")
    billing = units["billing/migrations/0001_initial.py"]
    assert billing.depends_on == ("shop.0003_merge",)  # __first__ of another app: no edge


def test_django_graph_across_apps_replays_in_dependency_order(tmp_path: Path) -> None:
    units = [analyze_python(SourceFile(path, text)) for path, text in DJANGO.items()]
    ids = [unit.unit_id for unit in order_units(units)]
    assert ids == [
        "shop.0001_initial",
        "shop.0002_note",
        "shop.0002_total",
        "shop.0003_merge",
        "billing.0001_initial",
    ]
    workspace = Workspace(tmp_path, Settings())
    for path, text in DJANGO.items():
        workspace.set_document(path, text)
    workspace.check()
    invoice = workspace.catalog.table(QualifiedName("billing_invoice"))
    assert invoice is not None and invoice.foreign_keys
    assert invoice.foreign_keys[0].target is not None  # shop_order existed when it ran


def test_alter_field_type_before_comes_from_the_replayed_history(tmp_path: Path) -> None:
    later = _django(
        '[("shop", "0003_merge")]',
        '        migrations.AlterField(model_name="order", name="total", '
        "field=models.IntegerField()),\n"
        '        migrations.AlterField(model_name="order", name="ghost", '
        "field=models.IntegerField()),",
    )
    path = "shop/migrations/0004_total.py"
    workspace = Workspace(tmp_path, Settings())
    for name, text in {**DJANGO, path: later}.items():
        workspace.set_document(name, text)
    codes = [(v.path, v.code) for v in workspace.check().violations if v.code == "PG109"]
    assert codes == [(path, "PG109")]  # bigint -> integer; the unknown column stays silent
    facts = [f for f in analyze_python(SourceFile(path, later)).facts if f.origin]
    types = [f for f in facts if type(f).__name__ == "AlterColumnTypeFact"]
    assert [f.column for f in types] == ["total", "ghost"]
    before = workspace.catalog.type_before(path, types[0])
    assert before is not None and before.name == "bigint"
    assert workspace.catalog.type_before(path, types[1]) is None


SQUASHED = {
    "shop/migrations/0001_initial.py": _django(
        "[]",
        '        migrations.CreateModel(name="Order", fields=[("id", models.BigAutoField('
        "primary_key=True))]),",
    ),
    "shop/migrations/0002_note.py": _django(
        '[("shop", "0001_initial")]',
        '        migrations.AddField(model_name="order", name="note", field=models.TextField()),',
    ),
    "shop/migrations/0001_squashed_0002_note.py": _django(
        "[]",
        '        migrations.CreateModel(name="Order", fields=[("id", models.BigAutoField('
        'primary_key=True)), ("note", models.TextField())]),',
    ).replace(
        "    dependencies = []",
        '    replaces = [("shop", "0001_initial"), ("shop", "0002_note")]\n\n    dependencies = []',
    ),
    "shop/migrations/0003_total.py": _django(
        '[("shop", "0002_note")]',
        '        migrations.AddField(model_name="order", name="total", '
        "field=models.BigIntegerField()),",
    ),
    "billing/migrations/0001_initial.py": _django(
        '[("shop", "0001_initial")]',
        '        migrations.CreateModel(name="Invoice", fields=[("id", models.BigAutoField('
        "primary_key=True))]),",
    ),
}


def test_squashed_migration_is_replayed_instead_of_the_migrations_it_replaces(
    tmp_path: Path,
) -> None:
    units = [analyze_python(SourceFile(path, text)) for path, text in SQUASHED.items()]
    squash = next(u for u in units if u.path.endswith("squashed_0002_note.py"))
    assert squash.replaces == ("shop.0001_initial", "shop.0002_note")
    ordered = order_units(units)
    assert [unit.unit_id for unit in ordered] == [
        "shop.0001_squashed_0002_note",
        "billing.0001_initial",  # its dependency on a replaced migration leads to the squash
        "shop.0003_total",
    ]
    assert ordered[1].depends_on == ("shop.0001_squashed_0002_note",)
    workspace = Workspace(tmp_path, Settings())
    for path, text in SQUASHED.items():
        workspace.set_document(path, text)
    workspace.check()
    table = workspace.catalog.table(QualifiedName("shop_order"))
    assert table is not None and list(table.columns) == ["id", "note", "total"]
    assert table.location.path == "shop/migrations/0001_squashed_0002_note.py"  # created once


def test_squash_of_a_squash_and_a_squash_replacing_missing_files() -> None:
    units = [
        UnitFacts("a/migrations/0001_squashed_0004.py", unit_id="a.s1", replaces=("a.1", "a.2")),
        UnitFacts("a/migrations/0005_squashed.py", unit_id="a.s2", replaces=("a.s1", "a.3")),
        UnitFacts("a/migrations/0003.py", unit_id="a.3", depends_on=("a.2",)),
        UnitFacts("a/migrations/0006.py", unit_id="a.6", depends_on=("a.3", "a.1")),
    ]
    ordered = order_units(units)
    assert [unit.unit_id for unit in ordered] == ["a.s2", "a.6"]
    assert ordered[1].depends_on == ("a.s2",)


def test_run_before_orders_another_apps_migration_after_this_one() -> None:
    early = _django("[]", "").replace(
        "    dependencies = []",
        '    run_before = [("accounts", "0001_initial")]\n\n    dependencies = []',
    )
    sources = {
        "accounts/migrations/0001_initial.py": _django("[]", ""),
        "zz_profiles/migrations/0001_initial.py": early,
    }
    units = [analyze_python(SourceFile(path, text)) for path, text in sources.items()]
    assert units[1].run_before == ("accounts.0001_initial",)
    ordered = [unit.unit_id for unit in order_units(units)]
    assert ordered == ["zz_profiles.0001_initial", "accounts.0001_initial"]
    # without run_before the natural path order would put accounts first
    plain = [replace(unit, run_before=()) for unit in units]
    assert [unit.unit_id for unit in order_units(plain)] == [
        "accounts.0001_initial",
        "zz_profiles.0001_initial",
    ]


def test_alter_field_null_and_default_reach_the_catalog(tmp_path: Path) -> None:
    later = _django(
        '[("shop", "0003_merge")]',
        '        migrations.AlterField(model_name="order", name="note", '
        'field=models.TextField(null=True, db_default="n/a")),\n'
        '        migrations.AlterField(model_name="order", name="total", '
        "field=models.BigIntegerField(default=0)),",
    )
    path = "shop/migrations/0004_defaults.py"
    facts = analyze_python(SourceFile(path, later)).facts
    nulls = [f for f in facts if isinstance(f, AlterColumnNullFact)]
    defaults = [f for f in facts if isinstance(f, AlterColumnDefaultFact)]
    assert [(f.column, f.not_null, f.restated) for f in nulls] == [
        ("note", False, True),
        ("total", True, True),
    ]
    assert [(f.column, f.default) for f in defaults] == [("note", "'n/a'"), ("total", "0")]
    assert later[nulls[0].action_span.start : nulls[0].action_span.end] == "True"
    workspace = Workspace(tmp_path, Settings())
    for name, text in {**DJANGO, path: later}.items():
        workspace.set_document(name, text)
    violations = workspace.check().violations
    table = workspace.catalog.table(QualifiedName("shop_order"))
    assert table is not None
    note, total = table.columns["note"], table.columns["total"]
    assert (note.nullable, note.default) == (True, "'n/a'")
    assert (total.nullable, total.default) == (False, "0")
    # total was added NOT NULL in 0002: restating it is no SET NOT NULL
    assert [v for v in violations if v.code == "PG108"] == []
