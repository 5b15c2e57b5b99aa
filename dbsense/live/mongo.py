"""Live MongoDB checks: indexes, their usage and collection sizes, read-only.

Only read commands run (``listCollections``, ``listIndexes``, ``aggregate`` with ``$collStats``
and ``$indexStats`` as its only stage, ``collStats`` as a fallback), each with ``maxTimeMS``, on
a client whose server selection and sockets time out. Nothing is ever written, and no query of
the application is executed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from dbsense.live import LiveError
from dbsense.live.redis import LiveNote

SYSTEM_DATABASES = ("admin", "local", "config")
WIDE_DOCUMENT_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class CodeFilter:
    """Fields a query in the workspace filters a collection on, and where (``path:line``)."""

    collection: str
    fields: tuple[str, ...]
    location: str


@dataclass(frozen=True, slots=True)
class MongoIndex:
    name: str
    keys: tuple[str, ...]
    unique: bool = False
    ttl: bool = False
    ops: int | None = None  # ``$indexStats`` accesses since ``since``; None when unknown
    since: datetime | None = None


@dataclass(slots=True)
class CollectionStats:
    database: str
    name: str
    count: int | None = None
    avg_obj_size: int | None = None
    indexes: list[MongoIndex] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return f"{self.database}.{self.name}"


@dataclass(slots=True)
class MongoReport:
    dsn: str  # redacted
    collections: list[CollectionStats] = field(default_factory=list)
    notes: list[LiveNote] = field(default_factory=list)


def inspect_mongo(
    url: str,
    filters: Sequence[CodeFilter] = (),
    timeout: float = 2.0,
    max_collections: int = 200,
    max_indexes: int = 10,
    unused_after: timedelta = timedelta(days=30),
    now: datetime | None = None,
) -> MongoReport:
    """Read the indexes and statistics of the URL's database (every user database when the
    URL names none) and compare them with the ``filters`` seen in code. Raises
    :class:`LiveError` (no secrets in the message) when the server cannot be reached."""
    from pymongo import MongoClient
    from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError

    report = MongoReport(redact(url))
    millis = max(int(timeout * 1000), 1)
    try:
        client: MongoClient = MongoClient(
            url,
            serverSelectionTimeoutMS=millis,
            connectTimeoutMS=millis,
            socketTimeoutMS=millis,
            readPreference="secondaryPreferred",
            appname="dbsense",
        )
    except (ConfigurationError, InvalidURI, ValueError) as error:
        raise LiveError(f"{report.dsn}: {type(error).__name__}") from None
    try:
        for database in _databases(client, millis):
            for name in _collections(client[database], millis, max_collections):
                report.collections.append(_read_collection(client[database], name, millis))
                if len(report.collections) >= max_collections:
                    break
    except (PyMongoError, KeyError, TypeError, ValueError) as error:  # also malformed replies
        raise LiveError(f"{report.dsn}: {type(error).__name__}") from None
    finally:
        client.close()
    report.notes = notes(
        report, filters, max_indexes, unused_after, now or datetime.now(timezone.utc)
    )
    return report


def code_filters(workspace) -> list[CodeFilter]:
    """The pymongo filters of a checked :class:`~dbsense.workspace.Workspace`, in path order."""
    from dbsense.analyzers.ir import MongoCallFact

    sources = sorted(workspace.documents.values(), key=lambda source: source.path)
    found: list[CodeFilter] = []
    for path, unit in workspace.cache.get_many(sources).items():
        text = workspace.documents[path].text
        for fact in unit.facts:
            if isinstance(fact, MongoCallFact) and fact.collection and fact.filter_fields:
                line = text.count("\n", 0, fact.span.start) + 1
                found.append(CodeFilter(fact.collection, fact.filter_fields, f"{path}:{line}"))
    return found


def redact(url: str) -> str:
    """``scheme://user@hosts/db``: the password and the options removed (several hosts kept)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return "<invalid url>"
    authority, slash, path = rest.partition("/")
    userinfo, at, hosts = authority.rpartition("@")
    user = userinfo.split(":", 1)[0] + "@" if at and userinfo else ""
    database = path.split("?", 1)[0]
    return f"{scheme}://{user}{hosts}{slash}{database}"


def _databases(client, millis: int) -> list[str]:
    from pymongo.errors import ConfigurationError

    try:
        return [client.get_default_database().name]
    except ConfigurationError:  # no database in the URL: every user database
        pass
    names = client.admin.command("listDatabases", nameOnly=True, maxTimeMS=millis)
    found = [entry.get("name") for entry in names.get("databases", [])]
    return sorted(name for name in found if isinstance(name, str) and name not in SYSTEM_DATABASES)


def _collections(database, millis: int, cap: int) -> list[str]:
    reply = database.command(
        "listCollections",
        1,
        nameOnly=True,
        filter={"type": "collection"},
        maxTimeMS=millis,
    )
    names = [entry.get("name") for entry in _first_batch(reply)]
    return sorted(
        name for name in names if isinstance(name, str) and not name.startswith("system.")
    )[:cap]


def _read_collection(database, name: str, millis: int) -> CollectionStats:
    from pymongo.errors import OperationFailure

    stats = CollectionStats(database.name, name)
    listed = _first_batch(database.command("listIndexes", name, maxTimeMS=millis))
    usage: dict[str, tuple[int | None, datetime | None]] = {}
    try:
        for entry in _aggregate(database, name, {"$indexStats": {}}, millis):
            accesses = entry.get("accesses") or {}
            ops = accesses.get("ops")
            since = accesses.get("since")
            usage[entry.get("name")] = (
                int(ops) if isinstance(ops, int) else None,
                since if isinstance(since, datetime) else None,
            )
    except OperationFailure:  # no index-stats privilege: report indexes without usage
        usage = {}
    for entry in listed:
        index_name = str(entry.get("name", "?"))
        ops, since = usage.get(index_name, (None, None))
        stats.indexes.append(
            MongoIndex(
                index_name,
                tuple(str(key) for key in (entry.get("key") or {})),
                unique=bool(entry.get("unique")),
                ttl="expireAfterSeconds" in entry,
                ops=ops,
                since=since,
            )
        )
    try:
        rows = _aggregate(database, name, {"$collStats": {"storageStats": {}}}, millis)
        storage = (rows[0].get("storageStats") or {}) if rows else {}
    except OperationFailure:  # servers without $collStats: the older command
        storage = database.command("collStats", name, maxTimeMS=millis)
    count, size = storage.get("count"), storage.get("avgObjSize")
    stats.count = int(count) if isinstance(count, (int, float)) else None
    stats.avg_obj_size = int(size) if isinstance(size, (int, float)) else None
    return stats


def _aggregate(database, name: str, stage: dict, millis: int) -> list[dict]:
    reply = database.command("aggregate", name, pipeline=[stage], cursor={}, maxTimeMS=millis)
    return _first_batch(reply)


def _first_batch(reply: Mapping) -> list[dict]:
    cursor = reply.get("cursor") or {}
    batch = cursor.get("firstBatch") or []
    return [entry for entry in batch if isinstance(entry, Mapping)]


def notes(
    report: MongoReport,
    filters: Sequence[CodeFilter],
    max_indexes: int,
    unused_after: timedelta,
    now: datetime,
) -> list[LiveNote]:
    """What the statistics say about each collection, in collection order."""
    found: list[LiveNote] = []
    for stats in report.collections:
        where = f"{report.dsn}: collection `{stats.namespace}`"
        unused = [index.name for index in stats.indexes if _unused(index, unused_after, now)]
        counted = [index for index in stats.indexes if index.name != "_id_"]
        if len(counted) > max_indexes:
            listing = ", ".join(
                f"`{index.name}`" + (" (unused)" if index.name in unused else "")
                for index in counted
            )
            found.append(
                LiveNote(
                    "MG302",
                    f"{where} has {len(counted)} indexes (more than {max_indexes}); each one "
                    f"slows every write: {listing}",
                )
            )
        elif unused:
            names = ", ".join(f"`{name}`" for name in unused)
            found.append(
                LiveNote(
                    "MG302",
                    f"{where}: index {names} served no query in {unused_after.days} days; "
                    "it still slows every write",
                )
            )
        if stats.avg_obj_size is not None and stats.avg_obj_size > WIDE_DOCUMENT_BYTES:
            found.append(
                LiveNote(
                    "MG402",
                    f"{where}: documents average {stats.avg_obj_size} bytes; read them with a "
                    "projection",
                )
            )
        found.extend(_unindexed(where, stats, filters))
    return found


def _unused(index: MongoIndex, after: timedelta, now: datetime) -> bool:
    if index.name == "_id_" or index.unique or index.ttl or index.ops != 0:
        return False
    if index.since is None:
        return False
    since = index.since if index.since.tzinfo else index.since.replace(tzinfo=timezone.utc)
    return now - since >= after


def _unindexed(where: str, stats: CollectionStats, filters: Sequence[CodeFilter]) -> list[LiveNote]:
    leading = {index.keys[0] for index in stats.indexes if index.keys}
    leading.add("_id")
    found: list[LiveNote] = []
    seen: set[tuple[str, ...]] = set()
    for code in filters:
        fields = tuple(name for name in code.fields if not name.startswith("$"))
        if code.collection != stats.name or not fields or fields in seen:
            continue
        if leading.intersection(fields):
            continue
        seen.add(fields)
        rows = f" of {stats.count} documents" if stats.count is not None else ""
        names = ", ".join(f"`{name}`" for name in fields)
        found.append(
            LiveNote(
                "MG204",
                f"{where}: the filter on {names} at {code.location} leads no index, so it "
                f"scans the collection{rows}; index its equality fields first",
            )
        )
    return found
