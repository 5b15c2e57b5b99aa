"""The workspace's read queries for index advice: SQL files, SQL embedded in Python (exactly as
the driver receives it), and where a new migration for a table goes."""

from __future__ import annotations

from pathlib import Path

from dbsense.config import Settings
from dbsense.migration_target import MigrationTarget, migration_targets
from dbsense.query_sources import WorkspaceQuery, normalise, workspace_queries
from dbsense.workspace import Workspace

RAW = '''\
def orders(cursor, account, kind):
    cursor.execute(
        "SELECT id FROM orders "
        "WHERE account_id = %(account)s AND note = 'it''s \\\\ fine' AND kind = %(kind)s",
        {"account": account, "kind": kind},
    )
    cursor.execute("UPDATE orders SET kind = %s", (kind,))
    cursor.execute("""
        SELECT count(*)
          FROM orders
         WHERE placed_at > %s""", (kind,))
'''


def checked(files: dict[str, str], root: Path) -> Workspace:
    workspace = Workspace(root, Settings())
    for path, text in files.items():
        workspace.set_document(path, text)
    workspace.check()
    return workspace


def queries(workspace: Workspace) -> list[WorkspaceQuery]:
    texts = {path: source.text for path, source in workspace.documents.items()}
    facts = {path: workspace.cache.get(s).facts for path, s in workspace.documents.items()}
    return workspace_queries(texts, facts, workspace.catalog)


def test_sql_files_and_embedded_sql(tmp_path: Path) -> None:
    workspace = checked(
        {
            "app/db.py": RAW,
            "queries/report.sql": "SELECT 1;\nCREATE VIEW v AS SELECT 2;\n"
            "SELECT id FROM orders WHERE kind = :kind;\n",
        },
        tmp_path,
    )
    found = queries(workspace)
    assert [(q.path, q.line, q.origin, q.sql) for q in found] == [
        (
            "app/db.py",
            3,
            "raw-sql",
            "SELECT id FROM orders WHERE account_id = $1 AND note = 'it''s \\ fine' AND kind = $2",
        ),
        (
            "app/db.py",
            9,
            "raw-sql",
            "SELECT count(*)\n          FROM orders\n         WHERE placed_at > $1",
        ),
        ("queries/report.sql", 1, "sql-file", "SELECT 1"),
        ("queries/report.sql", 3, "sql-file", "SELECT id FROM orders WHERE kind = $1"),
    ]
    first = found[0]
    assert RAW[first.span.start : first.span.end].startswith("SELECT id FROM orders ")


def test_placeholders_become_numbered_parameters() -> None:
    assert normalise("SELECT * FROM t WHERE a = %s AND b = %s;") == (
        "SELECT * FROM t WHERE a = $1 AND b = $2"
    )
    assert normalise("SELECT 1 FROM t WHERE a = %(x)s OR b = %(x)s AND c = :y") == (
        "SELECT 1 FROM t WHERE a = $1 OR b = $1 AND c = $2"
    )
    assert normalise("SELECT ':x', a::text, '%s' FROM t WHERE d ? 'k'") == (
        "SELECT ':x', a::text, '%s' FROM t WHERE d ? 'k'"
    )


DJANGO_MODELS = """\
from django.db import models


class Customer(models.Model):
    name = models.TextField()


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
"""
DJANGO_MIGRATION = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[("id", models.BigAutoField(primary_key=True)), ("name", models.TextField())],
        ),
    ]
"""
ALEMBIC = """\
from alembic import op
import sqlalchemy as sa

revision = "a1"
down_revision = None


def upgrade():
    op.create_table("invoices", sa.Column("id", sa.BigInteger(), primary_key=True))
"""


def test_a_new_migration_follows_the_tables_own_migrations(tmp_path: Path) -> None:
    workspace = checked(
        {
            "db/migrations/0001_events.sql": "CREATE TABLE events (id bigint PRIMARY KEY);\n",
            "db/migrations/0002_kind.sql": "ALTER TABLE events ADD COLUMN kind text;\n",
            "flyway/V1__accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
            "shop/models.py": DJANGO_MODELS,
            "shop/migrations/0001_initial.py": DJANGO_MIGRATION,
            "alembic/versions/a1_invoices.py": ALEMBIC,
        },
        tmp_path,
    )
    targets, default = migration_targets(workspace.catalog)
    assert targets[("public", "events")] == MigrationTarget("sql", "db/migrations")
    assert targets[("public", "accounts")] == MigrationTarget("flyway", "flyway")
    assert targets[("public", "invoices")] == MigrationTarget("alembic", "alembic/versions")
    assert targets[("public", "shop_customer")] == MigrationTarget(
        "django", "shop/migrations", "shop", "customer"
    )
    # a model no migration creates yet goes to its app's migrations
    assert targets[("public", "shop_order")] == MigrationTarget(
        "django", "shop/migrations", "shop", "order"
    )
    # other tables follow the latest migration replayed (graph-ordered units come last)
    assert default == MigrationTarget("django", "shop/migrations", "shop")


def test_without_migrations_the_target_is_plain_sql(tmp_path: Path) -> None:
    targets, default = migration_targets(checked({"q.sql": "SELECT 1;\n"}, tmp_path).catalog)
    assert (targets, default) == ({}, MigrationTarget("sql", "migrations"))
