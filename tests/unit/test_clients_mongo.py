"""pymongo front-end: databases and collections, cursor chains, regexes and pushes."""

from __future__ import annotations

from dbsense.analyzers.ir import (
    ClientCreationFact,
    MongoArrayPushFact,
    MongoCallFact,
    MongoRegexFact,
    SourceFile,
)
from dbsense.analyzers.python import analyze_python

TEXT = """\
import re
import pymongo
client = pymongo.MongoClient()
db = client.get_database("shop")
orders = db["orders"]
def view(request, term, uid):
    found = list(db.get_collection("items").find({"$and": [{"n": re.compile(term)}]}).limit(5))
    orders.update_one({"_id": uid}, {"$push": {"log": {"$each": [1], "$slice": -5}, "t": term}})
    db.events.create_index([("a", 1), ("b", -1)])
    return orders.find({"s": {"$regex": '''abc'''}}, {"x": 1})
"""


def facts(kind: type) -> list:
    return [f for f in analyze_python(SourceFile("app.py", TEXT)).facts if isinstance(f, kind)]


def test_collections_chains_and_materialisation() -> None:
    calls = facts(MongoCallFact)
    summary = [(c.method, c.collection, c.chain, c.materialised, c.has_projection) for c in calls]
    assert summary == [
        ("find", "items", ("limit",), True, False),
        ("update_one", "orders", (), False, True),
        ("create_index", "events", (), False, False),
        ("find", "orders", (), True, True),
    ]
    assert calls[0].place.request_kind == "django-view"
    assert calls[2].index_specs == ("[('a', 1), ('b', -1)]",)
    assert [c.constructor for c in facts(ClientCreationFact)] == ["pymongo.MongoClient"]


def test_regexes_with_anchor_offsets() -> None:
    dynamic, literal = facts(MongoRegexFact)
    assert (dynamic.pattern, dynamic.insert_at, dynamic.collection) == (None, None, "items")
    assert literal.pattern == "abc"
    assert TEXT[literal.insert_at - 3 : literal.insert_at + 3] == "'''abc"


def test_pushes() -> None:
    pushes = facts(MongoArrayPushFact)
    assert [(p.field, p.bounded, p.literal, p.value_source) for p in pushes] == [
        ("log", True, True, '{"$each": [1], "$slice": -5}'),
        ("t", False, False, "term"),
    ]
