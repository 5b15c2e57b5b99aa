"""Statement-level reuse when a document is analysed again after an edit.

An edit changes one statement; the others keep their text and only move. A
:class:`StatementMemo` keeps the facts of each statement of the document's previous analysis,
keyed by the statement's text (with the comment that ends its line) and lexical error, together
with what the statement asked about the unit's tables ("was ``orders`` created earlier in this
file?"). A statement found again whose questions get the same answers has its facts moved to
where it now starts instead of being tokenized and parsed again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from dbsense.analyzers.ir import Fact, Span
from dbsense.analyzers.shift import Unmovable, shift_facts


class UnitTables(set):
    """The tables created so far in a unit, logging each add or discard (effective or not: a
    statement replayed later may find the set without what was there before) and each
    membership test."""

    __slots__ = ("asked", "log")

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[bool, Hashable]] = []  # (added?, table)
        self.asked: list[tuple[Hashable, bool]] = []  # (table, was it there?)

    def __contains__(self, item: object) -> bool:
        found = super().__contains__(item)
        self.asked.append((item, found))  # type: ignore[arg-type]
        return found

    def add(self, item: Hashable) -> None:
        super().add(item)
        self.log.append((True, item))

    def discard(self, item: Hashable) -> None:
        super().discard(item)
        self.log.append((False, item))

    def answers(self, asked: tuple[tuple[Hashable, bool], ...]) -> bool:
        """Whether every question in ``asked`` gets the same answer now."""
        return all(set.__contains__(self, item) == found for item, found in asked)

    def redo(self, changes: tuple[tuple[bool, Hashable], ...]) -> None:
        for added, item in changes:
            if added:
                self.add(item)
            else:
                self.discard(item)


@dataclass(frozen=True, slots=True)
class _Entry:
    start: int  # where the statement started when these facts were computed
    facts: list[Fact]
    asked: tuple[tuple[Hashable, bool], ...]  # what it asked about the unit's tables
    changes: tuple[tuple[bool, Hashable], ...]  # what it did to them


@dataclass(slots=True)
class StatementMemo:
    """Facts per statement of one document's last analysis; ``hits`` counts reuses."""

    previous: dict[tuple, _Entry] = field(default_factory=dict)
    current: dict[tuple, _Entry] = field(default_factory=dict)
    hits: int = 0

    def begin(self) -> None:
        """Start an analysis: what the last one found becomes what can be reused."""
        if self.current:
            self.previous, self.current = self.current, {}

    def facts(
        self,
        key: tuple,
        span: Span,
        created: UnitTables,
        compute: Callable[[], list[Fact]],
    ) -> list[Fact]:
        """The facts of the statement at ``span``: reused when ``key`` (its text and context)
        matches an earlier analysis whose questions about the unit's tables get the same
        answers, else ``compute()``d."""
        entry = self.previous.get(key)
        if entry is not None and created.answers(entry.asked):
            try:
                facts = shift_facts(entry.facts, span.start - entry.start)
            except Unmovable:
                pass
            else:
                created.redo(entry.changes)
                self.current[key] = _Entry(span.start, facts, entry.asked, entry.changes)
                self.hits += 1
                return facts
        changed, asked = len(created.log), len(created.asked)
        facts = compute()
        self.current[key] = _Entry(
            span.start, facts, tuple(created.asked[asked:]), tuple(created.log[changed:])
        )
        del created.asked[asked:]
        return facts
