"""What a DDL statement locks, blocks and rewrites (the lock map of the rule catalogue)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")

BLOCKS = {
    "ACCESS EXCLUSIVE": "reads and writes wait",
    "EXCLUSIVE": "writes wait; reads continue",
    "SHARE ROW EXCLUSIVE": "writes wait; reads continue",
    "SHARE": "writes wait; reads continue",
    "SHARE UPDATE EXCLUSIVE": "reads and writes continue; other DDL and `VACUUM` wait",
}
QUEUE_CAVEAT = (
    "A lock request that waits also blocks every later query on the table: "
    "set `lock_timeout` before DDL."
)


@dataclass(frozen=True, slots=True)
class LockInfo:
    statement: str  # e.g. "CREATE INDEX"
    lock: str  # e.g. "SHARE"
    target: str  # "the table", "both tables"...
    notes: tuple[str, ...] = ()
    alternative: str | None = None

    @property
    def blocks(self) -> str:
        return BLOCKS.get(self.lock, "")


def normalise(sql: str) -> str:
    """Upper-case words of ``sql`` without comments and literals, single-spaced."""
    text = _QUOTED.sub(" ", _COMMENTS.sub(" ", sql))
    return " ".join(text.upper().split())


def lock_of(sql: str, version: int | None = None) -> LockInfo | None:
    """The lock ``sql`` takes, or ``None`` when it is not DDL we know."""
    text = normalise(sql)
    version = version or 0
    words = f" {text} "
    concurrently = " CONCURRENTLY " in words
    if text.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")):
        if concurrently:
            return LockInfo(
                "CREATE INDEX CONCURRENTLY",
                "SHARE UPDATE EXCLUSIVE",
                "the table",
                (
                    "Builds in two table scans and waits for older transactions to finish.",
                    "Cannot run inside a transaction block.",
                ),
            )
        return LockInfo(
            "CREATE INDEX",
            "SHARE",
            "the table",
            ("Holds the lock for the whole build (a full table scan).",),
            "`CREATE INDEX CONCURRENTLY`",
        )
    if text.startswith("DROP INDEX"):
        if concurrently:
            return LockInfo("DROP INDEX CONCURRENTLY", "SHARE UPDATE EXCLUSIVE", "the table")
        return LockInfo(
            "DROP INDEX", "ACCESS EXCLUSIVE", "the table", (), "`DROP INDEX CONCURRENTLY`"
        )
    if text.startswith("REINDEX"):
        note = (
            "`REINDEX CONCURRENTLY` is available"
            if version >= 12
            else ("`REINDEX CONCURRENTLY` needs PostgreSQL 12")
        )
        if concurrently:
            return LockInfo("REINDEX CONCURRENTLY", "SHARE UPDATE EXCLUSIVE", "the table")
        return LockInfo(
            "REINDEX", "SHARE", "the table, plus ACCESS EXCLUSIVE on the index", (note,)
        )
    if text.startswith("CREATE TRIGGER") or text.startswith("CREATE OR REPLACE TRIGGER"):
        return LockInfo("CREATE TRIGGER", "SHARE ROW EXCLUSIVE", "the table")
    if text.startswith("REFRESH MATERIALIZED VIEW"):
        if concurrently:
            return LockInfo("REFRESH MATERIALIZED VIEW CONCURRENTLY", "EXCLUSIVE", "the view")
        return LockInfo(
            "REFRESH MATERIALIZED VIEW",
            "ACCESS EXCLUSIVE",
            "the view",
            (),
            "`REFRESH MATERIALIZED VIEW CONCURRENTLY` (needs a unique index)",
        )
    if text.startswith("ALTER TABLE"):
        return _alter_table(text, version)
    if text.startswith(("TRUNCATE", "CLUSTER")):
        keyword = text.split()[0]
        return LockInfo(keyword, "ACCESS EXCLUSIVE", "the table", ("Rewrites the table.",))
    if text.startswith("VACUUM") and " FULL" in words:
        return LockInfo("VACUUM FULL", "ACCESS EXCLUSIVE", "the table", ("Rewrites the table.",))
    if text.startswith("DROP TABLE") or text.startswith(("DROP MATERIALIZED VIEW", "DROP VIEW")):
        return LockInfo(" ".join(text.split()[:2]), "ACCESS EXCLUSIVE", "the table")
    return None


def _alter_table(text: str, version: int) -> LockInfo:
    words = f" {text} "
    if " ATTACH PARTITION " in words:
        if version and version < 12:
            return LockInfo(
                "ATTACH PARTITION",
                "ACCESS EXCLUSIVE",
                "the parent",
                ("PostgreSQL 12 and later take only SHARE UPDATE EXCLUSIVE.",),
            )
        return LockInfo(
            "ATTACH PARTITION",
            "SHARE UPDATE EXCLUSIVE",
            "the parent (PostgreSQL 12+)",
            ("Scans the partition unless a matching CHECK constraint exists.",),
        )
    if " DETACH PARTITION " in words:
        if " CONCURRENTLY" in words:
            return LockInfo(
                "DETACH PARTITION CONCURRENTLY",
                "SHARE UPDATE EXCLUSIVE",
                "the parent",
                ("Needs PostgreSQL 14.",),
            )
        return LockInfo(
            "DETACH PARTITION",
            "ACCESS EXCLUSIVE",
            "the parent",
            (),
            "`DETACH PARTITION ... CONCURRENTLY` (PostgreSQL 14+)",
        )
    if " VALIDATE CONSTRAINT " in words:
        return LockInfo(
            "VALIDATE CONSTRAINT",
            "SHARE UPDATE EXCLUSIVE",
            "the table (ROW SHARE on a referenced table)",
            ("Scans the table without blocking writes.",),
        )
    if " FOREIGN KEY " in words or " REFERENCES " in words:
        not_valid = " NOT VALID" in words
        notes = (
            ("`NOT VALID`: existing rows are not checked now.",)
            if not_valid
            else ("Scans the table to check existing rows while holding the lock.",)
        )
        return LockInfo(
            "ADD FOREIGN KEY",
            "SHARE ROW EXCLUSIVE",
            "both tables",
            notes,
            None if not_valid else "add it `NOT VALID`, then `VALIDATE CONSTRAINT`",
        )
    notes: list[str] = []
    alternative = None
    if re.search(r" ALTER \w+ TYPE ", words):
        notes.append("A type change rewrites the table and its indexes unless binary-compatible.")
    if " ADD COLUMN " in words and " DEFAULT " in words:
        if version and version < 11:
            notes.append("Before PostgreSQL 11 a default rewrites the whole table.")
        else:
            notes.append(
                "A constant default needs no rewrite (PostgreSQL 11+); a volatile one does."
            )
    if " SET NOT NULL" in words:
        notes.append("Scans the table; a validated `CHECK (col IS NOT NULL)` avoids it (PG 12+).")
        alternative = "add a `CHECK ... NOT VALID`, validate it, then `SET NOT NULL`"
    if (
        re.search(r" ADD (CONSTRAINT \S+ )?(CHECK|UNIQUE|PRIMARY KEY)", words)
        and " NOT VALID" not in words
    ):
        notes.append("Checks or indexes every existing row while holding the lock.")
    return LockInfo("ALTER TABLE", "ACCESS EXCLUSIVE", "the table", tuple(notes), alternative)


def render(info: LockInfo) -> str:
    lines = [f"**`{info.statement}`** takes **{info.lock}** on {info.target}: {info.blocks}."]
    lines.extend(f"- {note}" for note in info.notes)
    if info.alternative:
        lines.append(f"- Safer: {info.alternative}.")
    lines.append(f"- {QUEUE_CAVEAT}")
    return "\n".join(lines)
