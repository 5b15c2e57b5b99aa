"""The on-disk fact cache gives back exactly the facts it stored, and ignores broken files."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

from dbsense.analyzers.frontends import document_facts
from dbsense.analyzers.ir import SourceFile, Span
from dbsense.cache import DiskFactCache, _builder

SQL = """CREATE TABLE orders (id bigint PRIMARY KEY, note varchar(20) DEFAULT 'x');
CREATE INDEX orders_note_idx ON orders (lower(note)) WHERE note IS NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_id_check CHECK (id > 0);
SELEC broken;
"""


def test_round_trip_is_exact(tmp_path: Path) -> None:
    source = SourceFile("migrations/0001.sql", SQL)
    facts = document_facts(source)
    writer = DiskFactCache(tmp_path)
    key = writer.key(source)
    writer.store(key, facts)
    loaded = DiskFactCache(tmp_path).load(key)
    assert loaded == facts
    assert loaded is not facts
    assert [type(fact) for fact in loaded.facts] == [type(fact) for fact in facts.facts]


def stored(tmp_path: Path, source: SourceFile) -> tuple[str, Path]:
    """The cache key of ``source`` and the file its facts were stored in."""
    cache = DiskFactCache(tmp_path)
    key = cache.key(source)
    cache.store(key, document_facts(source))
    return key, cache.directory / f"{key}.pickle"


def test_truncated_entry_is_a_miss(tmp_path: Path) -> None:
    source = SourceFile("a.sql", SQL)
    key, entry = stored(tmp_path, source)
    entry.write_bytes(entry.read_bytes()[:40])
    assert DiskFactCache(tmp_path).load(key) is None
    assert DiskFactCache(tmp_path).get(source) == document_facts(source)


class Forged:
    """Pickles as a call of the cache's own rebuild function of spans with the given field
    values."""

    def __init__(self, values: object) -> None:
        self.values = values

    def __reduce__(self):
        return _builder(Span), (self.values,)


def test_an_entry_with_the_wrong_fields_is_a_miss(tmp_path: Path) -> None:
    key, entry = stored(tmp_path, SourceFile("a.sql", SQL))
    for values in [(1,), (1, 2, 3), [1, 2], {0: 1, 5: 2}, None]:
        entry.write_bytes(pickle.dumps(Forged(values)))
        assert DiskFactCache(tmp_path).load(key) is None, values
    entry.write_bytes(pickle.dumps(Forged((1, 2))))  # a well-formed fact, but not a document's
    assert DiskFactCache(tmp_path).load(key) is None


def test_same_facts_compares_what_was_stored(tmp_path: Path) -> None:
    cache = DiskFactCache(tmp_path)
    first = SourceFile("a.sql", SQL)
    key = cache.key(first)
    cache.get(first)
    assert cache.same_facts(key, SourceFile("a.sql", SQL + "-- a comment after the last\n"))
    assert not cache.same_facts(key, SourceFile("a.sql", "\n" + SQL))  # every statement moved
    assert not cache.same_facts(key, SourceFile("a.sql", SQL.replace("20", "30")))
    assert not cache.same_facts("0" * 40, first)  # nothing stored under that key


def age(path: Path, days: float) -> None:
    then = time.time() - days * 24 * 3600
    os.utime(path, (then, then))


def test_prune_removes_what_a_week_left_unwritten(tmp_path: Path) -> None:
    cache = DiskFactCache(tmp_path)
    current, earlier, recent = (SourceFile("a.sql", SQL + "-- " * n) for n in range(3))
    for source in (current, earlier, recent):
        cache.get(source)
    entry = {
        source: cache.directory / f"{cache.key(source)}.pickle"
        for source in (current, earlier, recent)
    }
    age(entry[current], 30)
    age(entry[earlier], 8)
    age(entry[recent], 2)
    other, fresh_other = (
        tmp_path / ".dbsense_cache" / "0.0.1-old",
        tmp_path / ".dbsense_cache" / "9",
    )
    for folder in (other, fresh_other):
        (folder / "runs").mkdir(parents=True)
    age(other, 8)

    cache.prune({cache.key(current)})

    assert entry[current].exists()  # old, but the facts of a document as it is
    assert not entry[earlier].exists()
    assert entry[recent].exists()
    assert not other.exists() and fresh_other.exists()
    assert (tmp_path / ".dbsense_cache" / ".gitignore").exists()
    age(entry[recent], 8)
    cache.prune({cache.key(current)})
    assert entry[recent].exists(), "pruned at most once a day"
