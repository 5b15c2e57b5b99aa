"""ORM read queries whose SQL is known statically: what is recognised, and what is left out
because its SQL cannot be written down exactly (tests/live/test_orm_sql.py compares the SQL
with what the real ORMs send)."""

from __future__ import annotations

import textwrap

import pytest

from dbsense.analyzers.ir import DJANGO, SQLALCHEMY
from dbsense.analyzers.python.orm_queries import (
    ORDER_DEFAULT,
    ORDER_EXPLICIT,
    ORDER_FIRST,
    DjangoModelOptions,
    OrmCondition,
    OrmQuery,
    django_model_options,
    orm_queries,
)

DJANGO_HEADER = "from shop.models import Event\n\n\ndef view(request, n):\n"
SQLALCHEMY_HEADER = (
    "from sqlalchemy import select, or_\nfrom app.models import User\n\n\ndef api(session, n):\n"
)


def found(header: str, body: str) -> list[OrmQuery]:
    text = header + textwrap.indent(textwrap.dedent(body), "    ")
    return orm_queries("app/views.py", text)


def test_a_django_queryset_iterated_in_a_loop() -> None:
    body = "for event in Event.objects.filter(kind='click', account=n).order_by('-id')[:5]:\n"
    text = DJANGO_HEADER + "    " + body + "        pass\n"
    (query,) = orm_queries("app/views.py", text)
    assert text[query.span.start : query.span.end] == (
        "Event.objects.filter(kind='click', account=n).order_by('-id')[:5]"
    )
    assert query == OrmQuery(
        query.span,
        DJANGO,
        "shop.models.Event",
        (OrmCondition("account", "="), OrmCondition("kind", "=")),
        ORDER_EXPLICIT,
        (("id", True),),
        limit=5,
    )


def test_django_terminal_methods_shape_the_query() -> None:
    queries = found(
        DJANGO_HEADER,
        """\
        a = Event.objects.filter(created_at__gte=n).count()
        b = Event.objects.filter(deleted_at__isnull=False).exists()
        c = Event.objects.filter(account__id=n).first()
        d = list(Event.objects.values("id", "kind"))
        """,
    )
    assert [(q.shape, q.ordering, q.limit) for q in queries] == [
        ("count", ORDER_EXPLICIT, None),
        ("exists", ORDER_EXPLICIT, 1),
        ("rows", ORDER_FIRST, 1),
        ("values", ORDER_DEFAULT, None),
    ]
    assert queries[1].conditions == (OrmCondition("deleted_at", "IS NOT NULL"),)
    assert queries[2].conditions == (OrmCondition("account__id", "="),)
    assert queries[3].fields == ("id", "kind")


@pytest.mark.parametrize(
    "statement",
    [
        "x = Event.objects.filter(Q(kind=n)).count()",  # a Q object
        "x = Event.objects.exclude(kind=n).count()",  # NOT (...) with Django's NULL handling
        "x = Event.objects.filter(account__name=n).count()",  # a join
        "x = Event.objects.filter(kind__icontains=n).count()",  # not a plain comparison
        "x = Event.objects.filter(kind=F('other')).count()",  # a column, not a value
        "x = Event.objects.filter(**filters).count()",  # unknown keywords
        "x = Event.objects.select_related('account').first()",  # a join
        "x = Event.objects.order_by('?').first()",  # random order
        "x = Event.objects.filter(kind=n)[n:].count()",  # a slice before count: a subquery
        "qs = Event.objects.filter(kind=n)",  # built, not evaluated here
        "x = Event.objects.annotate(total=Count('id')).count()",
    ],
)
def test_django_shapes_that_are_left_out(statement: str) -> None:
    assert found(DJANGO_HEADER, statement + "\n") == []


def test_sqlalchemy_select_and_legacy_query() -> None:
    queries = found(
        SQLALCHEMY_HEADER,
        """\
        a = session.scalars(select(User).where(User.email == n).order_by(User.id.desc())).all()
        b = session.query(User).filter(User.score >= n).first()
        """,
    )
    assert queries == [
        OrmQuery(
            queries[0].span,
            SQLALCHEMY,
            "app.models.User",
            (OrmCondition("email", "="),),
            ORDER_EXPLICIT,
            (("id", True),),
        ),
        OrmQuery(
            queries[1].span,
            SQLALCHEMY,
            "app.models.User",
            (OrmCondition("score", ">="),),
            ORDER_EXPLICIT,
            (),
            limit_parameter=True,
        ),
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "session.execute(select(User).where(or_(User.a == n, User.b == n)))",
        "session.execute(select(User).where(User.a.in_(n)))",
        "session.execute(select(User).where(User.account_id == Account.id))",  # a join
        "session.execute(select(User).where(User.a == User.b))",
        "session.execute(select(User).where(User.active == True))",  # a literal, not a bind
        "session.execute(select(User.id))",  # a column select
        "session.execute(select(User).join(User.account))",
        "session.execute(select(User).offset(n))",
        "session.query(User).filter(User.a == n).count()",  # a subquery
        "stmt = select(User)\n"
        "stmt = stmt.where(User.a == n)\n"
        "session.execute(stmt)",  # reassigned: not followed
    ],
)
def test_sqlalchemy_shapes_that_are_left_out(statement: str) -> None:
    assert found(SQLALCHEMY_HEADER, statement + "\n") == []


def test_an_enum_member_is_a_bound_value() -> None:
    statement = "session.execute(select(User).where(User.kind == Kind.A))\n"
    (query,) = found(SQLALCHEMY_HEADER, statement)
    assert query.conditions == (OrmCondition("kind", "="),)


MODELS = """\
from django.db import models
from shop.base import Mixin


class Stamped(models.Model):
    class Meta:
        abstract = True
        ordering = ["-created_at"]


class Event(Stamped):
    kind = models.TextField()


class Plain(models.Model):
    objects = models.Manager()

    class Meta:
        ordering = ("name", "-id")


class Unordered(Stamped):
    class Meta:
        verbose_name = "unordered"


class Soft(models.Model):
    objects = SoftDeleteManager()


class Mixed(Mixin, models.Model):
    pass


class Child(Plain):
    pass
"""


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("Event", DjangoModelOptions((("created_at", True),), True)),  # Meta of the abstract base
        ("Plain", DjangoModelOptions((("name", False), ("id", True)), True)),
        ("Unordered", DjangoModelOptions((), True)),  # its own Meta replaces the base's
        ("Soft", DjangoModelOptions((), False)),  # a custom manager may filter
        ("Mixed", DjangoModelOptions(None, False)),  # a base from another module
        ("Child", DjangoModelOptions(None, False)),  # multi-table inheritance
    ],
)
def test_django_model_options(name: str, options: DjangoModelOptions) -> None:
    assert django_model_options("shop/models.py", MODELS, name) == options


def test_unparsable_input_gives_nothing() -> None:
    assert orm_queries("app/views.py", "def (:\n") == []
    assert django_model_options("shop/models.py", "class (:\n", "Event") is None
    assert django_model_options("shop/models.py", MODELS, "Missing") is None
