"""ORM models laid over the migrated schema: replay order, catalog state, findings once."""

from pathlib import Path

from dbsense.analyzers.ir import QualifiedName
from dbsense.config import Settings
from dbsense.workspace import Workspace

MODELS = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)
    nickname: Mapped[str] = mapped_column(sa.Text())
    locale: Mapped[str] = mapped_column(sa.Text())
"""

REVISION = """\
import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None


def upgrade():
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("email", sa.String(320)),
        sa.Column("nickname", sa.String(40)),
        sa.Column("legacy", sa.Text()),
    )
    op.create_index("ix_accounts_email", "accounts", ["email"])
"""


def _workspace(tmp_path: Path, documents: dict[str, str]) -> Workspace:
    workspace = Workspace(tmp_path, Settings())
    for path, text in documents.items():
        workspace.set_document(path, text)
    return workspace


def test_model_is_laid_over_the_migrated_table(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, {"app/models.py": MODELS, "alembic/versions/a1.py": REVISION})
    workspace.check()
    table = workspace.catalog.table(QualifiedName("accounts"))
    assert table is not None
    # the migration created the table and its columns; the model is remembered on top
    assert table.location.path == "alembic/versions/a1.py"
    assert table.model is not None and table.model.path == "app/models.py"
    assert table.columns["nickname"].type is not None
    assert table.columns["nickname"].type.name == "character varying"
    assert table.columns["email"].location.path == "alembic/versions/a1.py"
    # a column only the model declares is added; one only the migration has stays
    assert table.columns["locale"].location.path == "app/models.py"
    assert "legacy" in table.columns and "legacy" not in table.declared
    assert set(table.declared) == {"id", "email", "nickname", "locale"}
    # the model's index=True mirrors the migration's index: one index, not two
    email_indexes = [i for i in table.indexes if i.columns == ("email",)]
    assert [i.name for i in email_indexes] == ["ix_accounts_email"]


def test_findings_once_on_the_model(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path, Settings())
    workspace.set_document("app/models.py", MODELS)
    workspace.set_document("alembic/versions/a1.py", REVISION)
    found = [(v.path, v.code) for v in workspace.check().violations if v.code == "PG303"]
    # email: on the model only; nickname: the model made it text; legacy is text
    assert found == [("app/models.py", "PG303")]
    duplicates = [v for v in workspace.check().violations if v.code in ("PG202", "PG203")]
    assert duplicates == []


def test_model_only_table_is_a_baseline_for_sql_files(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path, Settings())
    workspace.set_document("app/models.py", MODELS.replace('"accounts"', '"members"'))
    workspace.set_document("sql/0001.sql", "CREATE INDEX members_locale_idx ON members (locale);")
    workspace.check()
    table = workspace.catalog.table(QualifiedName("members"))
    assert table is not None and table.location.path == "app/models.py"
    assert "members_locale_idx" in {index.name for index in table.indexes}


def test_sql_migration_does_not_defer_to_a_model(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path, Settings())
    workspace.set_document("app/models.py", MODELS)
    workspace.set_document(
        "sql/0001.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(320));"
    )
    found = sorted(v.path for v in workspace.check().violations if v.code == "PG303")
    # a SQL file's finding carries a working SQL fix: it is kept next to the model's
    assert found == ["app/models.py", "sql/0001.sql"]
