"""The on-disk fact cache gives back exactly the facts it stored, and ignores broken files."""

from __future__ import annotations

from pathlib import Path

from dbsense.analyzers.frontends import document_facts
from dbsense.analyzers.ir import SourceFile
from dbsense.cache import DiskFactCache

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


def test_truncated_entry_is_a_miss(tmp_path: Path) -> None:
    source = SourceFile("a.sql", SQL)
    cache = DiskFactCache(tmp_path)
    key = cache.key(source)
    cache.store(key, document_facts(source))
    entry = cache.directory / f"{key}.pickle"
    entry.write_bytes(entry.read_bytes()[:40])
    assert DiskFactCache(tmp_path).load(key) is None
    assert DiskFactCache(tmp_path).get(source) == document_facts(source)
