"""Odd but valid Python must not make any Python front-end fail (failures are logged and
swallowed, so this test reads the log)."""

import pytest

from dbsense.analyzers.ir import INTERNAL_ERROR, ParseErrorFact, SourceFile
from dbsense.analyzers.python import analyze_python

SNIPPETS = {
    "empty": "",
    "walrus and match": (
        "def f(rows):\n"
        "    while (row := next(rows, None)) is not None:\n"
        "        match row:\n"
        "            case {'id': i}: print(i)\n"
    ),
    "async loops": (
        "async def f(session, select, Order):\n"
        "    async for o in await session.stream_scalars(select(Order)):\n"
        "        print(o.customer)\n"
        "    return [x async for x in session.stream(select(Order))]\n"
    ),
    "starred and keywords": (
        "def f(cursor, *args, **kw):\n"
        "    for a in args:\n"
        "        cursor.execute(*a, **kw)\n"
        "        cursor.execute(sql=a)\n"
    ),
    "nested comprehensions": (
        "x = [[a.b for a in c.items.all()] for c in Customer.objects.all() if c]\n"
    ),
    "lambda loops": "list(map(lambda o: o.customer.name, Order.objects.all()))\n",
    "weird models": (
        "from django.db import models\n"
        "class A(models.Model):\n"
        "    x = models.ForeignKey(to=None, on_delete=None)\n"
        "    y = models.CharField(max_length='n')\n"
        "    z: int = models.IntegerField\n"
        "    class Meta:\n"
        "        indexes = [models.Index(fields=None)]\n"
        "        unique_together = 'a'\n"
    ),
    "weird sqlalchemy": (
        "import sqlalchemy as sa\n"
        "from sqlalchemy.orm import relationship\n"
        "class B:\n"
        "    __tablename__ = 'b'\n"
        "    __table_args__ = {'schema': 1}\n"
        "    r = relationship()\n"
        "    c = sa.Column(sa.ForeignKey(None))\n"
        "t = sa.Table(1, 2, sa.Column())\n"
    ),
    "weird migrations": (
        "from alembic import op\n"
        "revision = 'x'\n"
        "down_revision = 1\n"
        "def upgrade():\n"
        "    op.create_table()\n"
        "    op.create_index(None, None, None)\n"
        "    op.alter_column('t')\n"
        "    op.create_foreign_key('a', 'b', 'c', 'd', 'e')\n"
        "    op.execute(f'{1}')\n"
    ),
    "f-string sql": (
        "def f(c, t):\n    c.execute(f'{t!r:>10}' 'x')\n    c.execute('%(a)s' % {'a': 1})\n"
    ),
}


@pytest.mark.parametrize("name", list(SNIPPETS))
def test_front_ends_do_not_fail(name: str) -> None:
    path = "shop/migrations/0001_x.py" if "migration" in name else "shop/models.py"
    facts = analyze_python(SourceFile(path, SNIPPETS[name])).facts
    failures = [
        f.message for f in facts if isinstance(f, ParseErrorFact) and INTERNAL_ERROR in f.message
    ]
    assert failures == []


def test_a_failing_front_end_becomes_a_notice_and_the_others_still_run(monkeypatch) -> None:
    from dbsense.analyzers.python import django

    def broken(self):
        raise AttributeError("boom")

    monkeypatch.setattr(django.DjangoModels, "facts", broken)
    text = "import redis\nredis.Redis().keys('*')\n"
    facts = analyze_python(SourceFile("app.py", text)).facts
    notices = [f.message for f in facts if isinstance(f, ParseErrorFact)]
    assert notices == [
        f"{INTERNAL_ERROR} completely (DjangoModels: AttributeError: boom); please report it"
    ]
    assert any(type(f).__name__ == "RedisCommandFact" for f in facts)
