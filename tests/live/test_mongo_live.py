"""Live MongoDB checks against a MongoDB wire-protocol server (mockupdb) scripted with the replies
a MongoDB 7 server gives: read-only commands, time limits, credentials redacted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from mockupdb import MockupDB

from dbsense.live import LiveError
from dbsense.live.mongo import CodeFilter, inspect_mongo, redact
from tests.support.services import free_port

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=90)
READ_COMMANDS = {"listDatabases", "listCollections", "listIndexes", "aggregate", "endSessions"}


def _index(name: str, *keys: str, **extra) -> dict:
    return {"v": 2, "key": {key: 1 for key in keys}, "name": name, **extra}


COLLECTIONS = {
    "orders": [
        _index("_id_", "_id"),
        _index("customer_1", "customer"),
        _index("legacy_sku_1", "legacy_sku"),
        _index("email_1", "email", unique=True),
        _index("expires_1", "expires", expireAfterSeconds=3600),
    ],
    "events": [_index("_id_", "_id")] + [_index(f"f{n}_1", f"f{n}") for n in range(11)],
    "sessions": [_index("_id_", "_id")],
}
USAGE = {"legacy_sku_1": 0, "email_1": 0, "expires_1": 0, "f3_1": 0}
STATS = {"orders": (120_000, 640), "events": (5_000, 300), "sessions": (40, 20_000)}


class ScriptedMongo:
    """A mockupdb server answering the commands a read-only inspection sends."""

    def __init__(self) -> None:
        self.server = MockupDB(auto_ismaster={"maxWireVersion": 21})
        self.commands: list[tuple[str, dict]] = []
        self.server.autoresponds(self._reply)

    def _reply(self, request) -> bool:
        name = request.command_name
        if name.lower() in ("hello", "ismaster"):
            return False  # the handshake: auto_ismaster answers
        self.commands.append((name, dict(request.doc)))
        if name == "saslStart":
            return request.command_err(code=18, errmsg="Authentication failed.")
        db = request.doc.get("$db")
        if name == "listDatabases":
            names = ["admin", "shop", "local"]
            return request.ok(databases=[{"name": n} for n in names])
        if name == "listCollections":
            batch = [{"name": n, "type": "collection"} for n in COLLECTIONS]
            return request.ok(cursor=_cursor(db, "$cmd.listCollections", batch))
        if name == "listIndexes":
            collection = request.doc["listIndexes"]
            return request.ok(cursor=_cursor(db, collection, COLLECTIONS[collection]))
        if name == "aggregate":
            collection = request.doc["aggregate"]
            stage = next(iter(request.doc["pipeline"][0]))
            if stage == "$indexStats":
                batch = [
                    {
                        "name": index["name"],
                        "key": index["key"],
                        "accesses": {"ops": USAGE.get(index["name"], 7), "since": OLD},
                    }
                    for index in COLLECTIONS[collection]
                ]
            else:
                count, size = STATS[collection]
                batch = [
                    {
                        "ns": f"{db}.{collection}",
                        "storageStats": {"count": count, "avgObjSize": size},
                    }
                ]
            return request.ok(cursor=_cursor(db, collection, batch))
        return request.ok()


def _cursor(db: str, collection: str, batch: list) -> dict:
    return {"id": 0, "ns": f"{db}.{collection}", "firstBatch": batch}


@pytest.fixture
def mongo() -> Iterator[ScriptedMongo]:
    scripted = ScriptedMongo()
    scripted.server.run()
    yield scripted
    scripted.server.stop()


def _url(mongo: ScriptedMongo, database: str = "shop", user: str = "") -> str:
    return f"mongodb://{user}{mongo.server.address_string}/{database}"


FILTERS = [
    CodeFilter("orders", ("status", "created_at"), "app/views.py:12"),
    CodeFilter("orders", ("customer",), "app/views.py:20"),
    CodeFilter("orders", ("$or",), "app/views.py:30"),
    CodeFilter("sessions", ("_id",), "app/auth.py:5"),
]


def test_indexes_usage_and_sizes(mongo: ScriptedMongo) -> None:
    report = inspect_mongo(_url(mongo), FILTERS, now=NOW)
    assert [stats.name for stats in report.collections] == ["events", "orders", "sessions"]
    orders = report.collections[1]
    assert (orders.count, orders.avg_obj_size) == (120_000, 640)
    assert [(index.name, index.ops) for index in orders.indexes][:3] == [
        ("_id_", 7),
        ("customer_1", 7),
        ("legacy_sku_1", 0),
    ]
    messages = [(note.code, note.message) for note in report.notes]
    codes = [code for code, _ in messages]
    assert codes == ["MG302", "MG302", "MG204", "MG402"], messages
    too_many, unused, unindexed, wide = (message for _, message in messages)
    assert "`shop.events` has 11 indexes (more than 10)" in too_many
    assert "`f3_1` (unused)" in too_many and "`f4_1`," in too_many
    # unique and TTL indexes do work without serving queries
    assert "`legacy_sku_1`" in unused and "email_1" not in unused and "expires_1" not in unused
    assert "`status`, `created_at` at app/views.py:12" in unindexed
    assert "120000 documents" in unindexed
    assert "`shop.sessions`: documents average 20000 bytes" in wide


def test_only_read_commands_with_time_limits(mongo: ScriptedMongo) -> None:
    inspect_mongo(_url(mongo), timeout=1.5, now=NOW)
    names = {name for name, _ in mongo.commands}
    assert names <= READ_COMMANDS, names
    for name, doc in mongo.commands:
        if name in READ_COMMANDS - {"endSessions"}:
            assert doc["maxTimeMS"] == 1500, (name, doc)
        if name == "aggregate":
            assert len(doc["pipeline"]) == 1
            assert next(iter(doc["pipeline"][0])) in ("$indexStats", "$collStats")


def test_every_user_database_when_the_url_names_none(mongo: ScriptedMongo) -> None:
    report = inspect_mongo(_url(mongo, database=""), now=NOW)
    assert {stats.database for stats in report.collections} == {"shop"}


def test_recent_stats_are_not_called_unused(mongo: ScriptedMongo) -> None:
    report = inspect_mongo(_url(mongo), now=OLD + timedelta(days=3))
    assert not any("served no query" in note.message for note in report.notes)


def test_unreachable_server_names_no_secret() -> None:
    url = f"mongodb://admin:s3cret@127.0.0.1:{free_port()}/shop?authSource=admin"
    with pytest.raises(LiveError) as raised:
        inspect_mongo(url, timeout=0.3)
    message = str(raised.value)
    assert "s3cret" not in message and "authSource" not in message
    assert message.startswith("mongodb://admin@127.0.0.1:") and "ServerSelectionTimeout" in message


def test_redact() -> None:
    assert (
        redact("mongodb://u:pw@h1:27017,h2:27018/db?replicaSet=rs")
        == "mongodb://u@h1:27017,h2:27018/db"
    )
    assert (
        redact("mongodb+srv://u:p%40ss@cluster.example.net/")
        == "mongodb+srv://u@cluster.example.net/"
    )
    assert redact("mongodb://h") == "mongodb://h"
    assert redact("not a url") == "<invalid url>"


VIEWS = """from pymongo import MongoClient

orders = MongoClient().shop.orders


def paid(request):
    return orders.find_one({"status": "paid"})
"""


def test_cli_prints_live_notes(mongo: ScriptedMongo, tmp_path, capsys) -> None:
    from dbsense.cli import main

    (tmp_path / "views.py").write_text(VIEWS)
    main(["check", str(tmp_path), "--no-cache", "--mongo-url", _url(mongo)])
    out = capsys.readouterr().out
    assert "live: MG204" in out and "filter on `status` at views.py:7 leads no index" in out
    assert "live: MG302" in out and "live: MG402" in out


def test_cli_failed_login_is_reported_without_the_password(
    mongo: ScriptedMongo, tmp_path, capsys
) -> None:
    from dbsense.cli import main

    (tmp_path / "views.py").write_text(VIEWS)
    main(["check", str(tmp_path), "--no-cache", "--mongo-url", _url(mongo, user="app:pw0rd@")])
    captured = capsys.readouterr()
    assert "live: " not in captured.out
    assert "live check unavailable (DBS006): mongodb://app@" in captured.err
    assert "OperationFailure" in captured.err and "pw0rd" not in captured.out + captured.err
