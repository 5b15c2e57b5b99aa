"""Property tests over every Python front-end (Django, SQLAlchemy, Alembic, embedded SQL,
redis-py, pymongo, elasticsearch-py, access patterns) with mutated modern Python: decorators,
walrus, ``match``, f-strings nested in SQL calls, async code, odd encodings and line endings."""

from __future__ import annotations

import ast

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.test_never_crash import FUZZ, analyse, check_properties, no_time_budget

__all__ = ["no_time_budget"]  # the module fixture that lifts the time budget applies here too

MODULE = '''\
"""orders service"""
from __future__ import annotations

import functools
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from django.db import migrations, models
import redis
from pymongo import MongoClient
from elasticsearch import Elasticsearch

r = redis.Redis(host="cache")
db = MongoClient()["shop"]
es = Elasticsearch("http://search:9200")


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    placed_at = sa.Column(sa.DateTime, index=False)
    customer_id = sa.Column(sa.ForeignKey("customers.id"))
    customer = relationship("Customer", lazy="select")


class Customer(models.Model):
    email = models.CharField(max_length=200, unique=True)
    created = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["email"], name="email_idx")]


def upgrade():
    op.add_column("orders", sa.Column("note", sa.Text(), nullable=False, server_default="x"))
    op.create_index("ix_orders_placed", "orders", ["placed_at"])
    op.execute("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id)")


class Migration(migrations.Migration):
    atomic = True
    operations = [
        migrations.AddField("order", "paid", models.BooleanField(default=False)),
        migrations.RunSQL("CREATE INDEX orders_paid ON orders (paid)"),
    ]


@functools.lru_cache(maxsize=None)
@app.route("/orders/<int:oid>")
def view(request, cursor, oid: int, *, table="orders"):
    if (n := len(request.args)) > 3:
        cursor.execute(f"SELECT * FROM {table} WHERE id = {oid} LIMIT {n}")
    cursor.execute(f"""SELECT {", ".join(f"{c!r}" for c in request.cols)}
        FROM orders WHERE note = '{request.note:>{n}}' OFFSET %s""", [request.offset])
    for order in Order.objects.filter(customer__email__icontains=request.q):
        print(order.customer.email, r.get(f"order:{order.id}"))
        db.orders.find({"note": {"$regex": f".*{request.q}"}})
    match request.method:
        case "DELETE" if oid > 0:
            r.delete(*r.keys("order:*"))
        case {"kind": kind, **rest}:
            es.search(index="orders", query={"wildcard": {"note": f"*{kind}*"}})
        case [first, *_]:
            db.orders.update_one({"_id": first}, {"$push": {"events": rest}})
        case _:
            pass
    return sa.text("SELECT 1 FROM orders WHERE id = :id").bindparams(id=oid)


async def worker(pool):
    async with pool.acquire() as conn:
        async for row in conn.cursor("SELECT * FROM orders"):
            await conn.execute("UPDATE orders SET seen = true WHERE id = $1", row["id"])
    pipe = r.pipeline()
    [pipe.incr(f"hits:{i}") for i in range(10) if (j := i * 2)]
    return lambda x=None: x or (yield)
'''

PY_FRAGMENTS = [
    "@decorator\n",
    "@d(x)\n",
    "(x := ",
    "match ",
    "case ",
    "f'",
    'f"',
    "{",
    "}",
    "'''",
    '"""',
    "cursor.execute(",
    "op.execute(",
    "r.keys(",
    "db.c.find(",
    "es.search(",
    "models.Model",
    ")",
    "(",
    "[",
    "]",
    ":",
    "\n",
    "    ",
    "\t",
    "lambda: ",
    "async ",
    "await ",
    "yield ",
    "**",
    "*",
    "SELECT * FROM t",
    "CREATE INDEX i ON t (c)",
    "\\",
    "#",
    "# noqa: PG",
    ",",
    "=",
    "class C:",
    "def f():",
    "\r\n",
    "\r",
    "\x0c",
    "é",
    "😀",
    "\ufeff",
    "\x00",
]


@FUZZ
@given(st.integers(min_value=0, max_value=len(MODULE)))
def test_every_front_end_on_truncated_modules(cut: int) -> None:
    text = MODULE[:cut]
    check_properties("svc/orders.py", text)
    try:
        ast.parse(text)
    except SyntaxError:
        codes = [v.code for v in analyse("svc/orders.py", text)]
        assert "DBS001" in codes, "a syntax error must be reported"


@FUZZ
@given(
    st.integers(min_value=0, max_value=len(MODULE)),
    st.lists(st.sampled_from(PY_FRAGMENTS), min_size=1, max_size=4).map("".join),
)
def test_every_front_end_on_mutated_modules(position: int, insert: str) -> None:
    check_properties("svc/orders.py", MODULE[:position] + insert + MODULE[position:])


@FUZZ
@given(st.lists(st.sampled_from(MODULE.splitlines(keepends=True)), max_size=40).map("".join))
def test_every_front_end_on_shuffled_lines(text: str) -> None:
    check_properties("migrations/0002_mix.py", text)


@FUZZ
@given(st.lists(st.sampled_from(PY_FRAGMENTS), max_size=50).map("".join))
def test_python_fragment_soup(text: str) -> None:
    check_properties("alembic/versions/abc_soup.py", text)


@FUZZ
@given(st.sampled_from(["\n", "\r\n", "\r"]), st.booleans(), st.sampled_from(["", "\t", "\x0c"]))
def test_line_endings_bom_and_whitespace(newline: str, bom: bool, pad: str) -> None:
    text = ("\ufeff" if bom else "") + MODULE.replace("\n", pad + newline)
    check_properties("svc/orders.py", text)
    sql = ("\ufeff" if bom else "") + "CREATE TABLE t (at timestamp);\nSELECT 1;\n"
    check_properties("m.sql", sql.replace("\n", pad + newline))


@FUZZ
@given(st.binary(max_size=400))
def test_bytes_decoded_leniently(data: bytes) -> None:
    """Mixed encodings: Latin-1, UTF-16 and broken UTF-8 decoded the lenient ways an editor
    would (the CLI skips undecodable files; the server receives whatever the editor holds)."""
    for text in (
        data.decode("latin-1"),
        data.decode("utf-8", "replace"),
        data.decode("utf-8", "surrogateescape"),
        data.decode("utf-16-le", "replace"),
    ):
        check_properties("enc.py", text)
        check_properties("enc.sql", text)
