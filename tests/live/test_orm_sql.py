"""ORM queries rendered as SQL for index advice are the SQL the real ORMs send: Django and
SQLAlchemy run each query against a real PostgreSQL and the statement they execute is captured,
then compared with what dbsense wrote from the source text alone (table qualifiers, quotes,
select-list aliases, parentheses and the psycopg driver's parameter casts aside)."""

from __future__ import annotations

import sys
import textwrap
import types
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from dbsense.config import Settings
from dbsense.query_sources import normalise, workspace_queries
from dbsense.workspace import Workspace
from tests.support.services import PostgresServer

DJANGO_MODELS = """
from django.db import models


class Account(models.Model):
    name = models.TextField()

    class Meta:
        app_label = "shop"


class Stamped(models.Model):
    created_at = models.DateTimeField()

    class Meta:
        abstract = True
        ordering = ["-created_at"]


class Event(Stamped):
    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    kind = models.TextField()
    deleted_at = models.DateTimeField(null=True)

    class Meta:
        app_label = "shop"
        ordering = ["-created_at"]
"""
DJANGO_QUERIES = [  # `n` is a number, `when` a datetime, `word` a string
    "list(Event.objects.filter(account=n, kind='click').order_by('-created_at')[:20])",
    "Event.objects.filter(created_at__gte=when).count()",
    "Event.objects.filter(pk=n).first()",
    "Event.objects.filter(account__id=n).first()",
    "Event.objects.filter(deleted_at__isnull=True).exists()",
    "list(Event.objects.values('id', 'kind').filter(kind=None))",
    "list(Event.objects.filter(account=n))",
    "Account.objects.order_by().first()",
    "list(Event.objects.values_list('account', flat=True)[5:10])",
    "Event.objects.filter(kind__lt=word, kind__gt=word).get(account_id=n)",
    "Account.objects.all().first()",
    "[event.id for event in Event.objects.filter(created_at__lt=when).order_by('kind', '-id')]",
]
SQLALCHEMY_MODELS = """
from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)
    score: Mapped[int] = mapped_column(BigInteger)
    created_at = mapped_column(DateTime(timezone=True))
    deleted_at = mapped_column(DateTime(timezone=True), nullable=True)
"""
SQLALCHEMY_QUERIES = [  # `n` is a number, `word` a string
    "session.scalars(select(User).where(User.email == word, User.deleted_at.is_(None))"
    ".order_by(User.created_at.desc()).limit(10)).all()",
    "session.execute(select(User).where(and_(User.score > n, User.kind == 'k')))",
    "session.query(User).filter_by(email=word).first()",
    "session.query(User).filter(User.score >= n).order_by(desc(User.score)).all()",
    "session.scalar(select(User).filter(User.deleted_at != None).order_by(User.id))",
    "session.query(User).filter(User.kind == word).filter_by(score=n).limit(n).one_or_none()",
]


def canonical(sql: str) -> str:
    """The statement without what does not change its meaning or plan."""

    def strip(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column):
            return exp.column(node.name.lower())
        if isinstance(node, exp.Table):
            return exp.table_(node.name.lower())
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Parameter):
            return node.this
        return node

    def unwrap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Paren) or (
            isinstance(node, exp.Alias) and isinstance(node.parent, exp.Select)
        ):
            return node.this
        return node

    tree = sqlglot.parse_one(normalise(sql), read="postgres")
    return tree.transform(unwrap).transform(strip).sql(dialect="postgres")


def rendered(root: Path, files: dict[str, str]) -> dict[int, str]:
    """dbsense's SQL for the ORM queries of the workspace ``files``, by line of the queries
    file (the last file)."""
    workspace = Workspace(root, Settings())
    for path, text in files.items():
        workspace.set_document(path, text)
    workspace.check()
    texts = {path: source.text for path, source in workspace.documents.items()}
    facts = {
        path: workspace.cache.get(source).facts for path, source in workspace.documents.items()
    }
    queries_path = list(files)[-1]
    return {
        query.line: query.sql
        for query in workspace_queries(texts, facts, workspace.catalog)
        if query.path == queries_path
    }


def queries_module(imports: str, queries: list[str]) -> str:
    body = [imports, ""]
    for number, query in enumerate(queries):
        body += ["", f"def case_{number}(session, a):", f"    return {query}", ""]
    return "\n".join(body)


def line_of(module: str, number: int) -> int:
    return module.splitlines().index(f"def case_{number}(session, a):") + 2


@pytest.fixture(scope="module")
def django_models(postgres_server: PostgresServer) -> Iterator[types.SimpleNamespace]:
    import django
    from django.conf import settings

    name = "dbsense_orm_django"
    postgres_server.create_database(name)
    if not settings.configured:
        settings.configure(
            DATABASES={
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": name,
                    "USER": "postgres",
                    "HOST": postgres_server.host,
                    "PORT": postgres_server.port,
                }
            },
            INSTALLED_APPS=[],
            USE_TZ=True,
        )
        django.setup()
    from django.db import connection

    namespace: dict = {"__name__": "shop.models"}
    exec(DJANGO_MODELS, namespace)
    with connection.schema_editor() as editor:
        editor.create_model(namespace["Account"])
        editor.create_model(namespace["Event"])
    yield types.SimpleNamespace(**namespace)
    connection.close()
    postgres_server.drop_database(name)


def captured_django(models: types.SimpleNamespace, query: str) -> str:
    from django.core.exceptions import ObjectDoesNotExist
    from django.db import connection

    seen: list[str] = []

    def capture(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        try:
            values = {"n": 1, "word": "w", "when": datetime(2026, 1, 1, tzinfo=timezone.utc)}
            eval(query, {**vars(models), **values})
        except ObjectDoesNotExist:
            pass
    (sql,) = seen
    return sql.replace('SELECT %s AS "a"', 'SELECT 1 AS "a"')  # see the note on exists()


def test_django_queries_render_as_django_sends_them(
    django_models: types.SimpleNamespace, tmp_path: Path
) -> None:
    views = queries_module("from shop.models import Account, Event", DJANGO_QUERIES)
    found = rendered(tmp_path, {"shop/models.py": DJANGO_MODELS, "shop/views.py": views})
    for number, query in enumerate(DJANGO_QUERIES):
        ours = found.get(line_of(views, number))
        assert ours is not None, f"not rendered: {query}"
        assert canonical(ours) == canonical(captured_django(django_models, query)), query
    assert len(found) == len(DJANGO_QUERIES)


@pytest.fixture(scope="module")
def sqlalchemy_session(postgres_server: PostgresServer) -> Iterator[tuple]:
    from sqlalchemy import create_engine, event
    from sqlalchemy.orm import Session

    name = "dbsense_orm_sqlalchemy"
    postgres_server.create_database(name)
    module = types.ModuleType("app.models")  # annotations resolve through sys.modules
    sys.modules[module.__name__] = module
    exec(SQLALCHEMY_MODELS, module.__dict__)
    namespace = module.__dict__
    engine = create_engine(
        f"postgresql+psycopg://postgres@{postgres_server.host}:{postgres_server.port}/{name}"
    )
    namespace["Base"].metadata.create_all(engine)
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    with Session(engine) as session:
        yield session, namespace, seen
    engine.dispose()
    del sys.modules[module.__name__]
    postgres_server.drop_database(name)


def test_sqlalchemy_queries_render_as_sqlalchemy_sends_them(
    sqlalchemy_session: tuple, tmp_path: Path
) -> None:
    from sqlalchemy import and_, desc, select

    session, models, seen = sqlalchemy_session
    imports = "from sqlalchemy import and_, desc, select\nfrom app.models import User"
    api = queries_module(imports, SQLALCHEMY_QUERIES)
    found = rendered(tmp_path, {"app/models.py": SQLALCHEMY_MODELS, "app/api.py": api})
    names = {**models, "select": select, "and_": and_, "desc": desc, "n": 1, "word": "w"}
    for number, query in enumerate(SQLALCHEMY_QUERIES):
        seen.clear()
        eval(query, {**names, "session": session})
        ours = found.get(line_of(api, number))
        assert ours is not None, f"not rendered: {query}"
        assert canonical(ours) == canonical(seen[-1]), query
    assert len(found) == len(SQLALCHEMY_QUERIES)


def test_a_named_statement_is_followed_to_its_assignment(tmp_path: Path) -> None:
    api = textwrap.dedent(
        """\
        from sqlalchemy import select
        from app.models import User


        def find(session, email):
            statement = select(User).where(User.email == email)
            return session.scalars(statement).first()
        """
    )
    found = rendered(tmp_path, {"app/models.py": SQLALCHEMY_MODELS, "app/api.py": api})
    assert found == {
        6: "SELECT id, email, kind, score, created_at, deleted_at FROM users WHERE email = $1"
    }
