"""The workspace catalog, kept up to date by replaying only from the first changed unit.

Each :meth:`IncrementalCatalog.update` compares the ordered units with those of the last
update. Nothing changed: the catalog stands. Otherwise the catalog goes back to its
:class:`~dbsense.analyzers.journal.Checkpoint` (taken before the unit that changed last time)
and the units from there on are replayed; a change further back replays everything. Editing
the newest migration, or application code after the history, replays one unit.

Observers (rules that judge a statement against the schema of its own time) see the history
units' facts during replay and forget what they recorded for units that are replayed again.
Application units (``history_end`` on) come after the history: they change no schema and are
not observed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Protocol

from dbsense.analyzers.catalog import Catalog, Unit, changes_schema
from dbsense.analyzers.ir import Fact, ParseErrorFact, SettingFact, UnitFacts, is_python
from dbsense.analyzers.journal import Checkpoint
from dbsense.analyzers.migrations import Memo as OrderMemo
from dbsense.analyzers.migrations import order_units, replayed, summary


class ReplayObserver(Protocol):
    def before(self, catalog: Catalog, path: str, fact: Fact) -> None:
        """Called with the catalog as it is just before ``fact`` of unit ``path``."""

    def forget(self, paths: Collection[str]) -> None:
        """Drop what was recorded for the units at ``paths``: they are replayed again."""


Observe = Callable[[Catalog], dict[str, ReplayObserver]]


class IncrementalCatalog:
    def __init__(self) -> None:
        self.catalog = Catalog()
        self.replayed = 0  # units the last update replayed
        self._units: list[Unit] = []
        self._history_end = 0
        self._checkpoint: Checkpoint | None = None
        self._observed: tuple[str, ...] | None = None
        self.planner = ReplayPlanner()  # the replay order of the next versions

    def update(
        self,
        units: Sequence[Unit],
        history_end: int,
        observers: tuple[str, ...],
        observe: Observe,
    ) -> Catalog:
        """The catalog of ``units`` (history units, then application units from
        ``history_end``); ``observe`` makes the observers named ``observers`` for a new
        catalog."""
        units = list(units)
        # The first replay has nothing to compare with: its checkpoint goes before the newest
        # history unit, the one most likely to be edited next.
        first = _first_change(self._units, units) if self._units else max(0, history_end - 1)
        if self._units and history_end != self._history_end:
            first = min(first, history_end, self._history_end)
        unchanged = first == len(units) == len(self._units) and observers == self._observed
        checkpoint = self._checkpoint
        if unchanged:
            self.replayed = 0
        elif checkpoint is None or first < checkpoint.position or observers != self._observed:
            self._replay_all(units, history_end, first, observers, observe)
        else:
            self._replay_from(checkpoint, units, history_end, first)
        self._units, self._history_end = units, history_end
        self.catalog.checkpoint = self._checkpoint
        self.catalog.application_paths = frozenset(unit.path for unit in units[history_end:])
        return self.catalog

    def _replay_all(
        self,
        units: list[Unit],
        history_end: int,
        first: int,
        observers: tuple[str, ...],
        observe: Observe,
    ) -> None:
        catalog = Catalog()
        catalog.observations = observe(catalog)
        self.catalog, self._observed = catalog, observers
        self._apply(units, 0, first, history_end, None)
        self._checkpoint = Checkpoint(catalog, first)
        self._apply(units, first, len(units), history_end, self._checkpoint)
        self.replayed = len(units)

    def _replay_from(
        self, checkpoint: Checkpoint, units: list[Unit], history_end: int, first: int
    ) -> None:
        catalog = self.catalog
        checkpoint.restore(catalog)
        again = {unit.path for unit in self._units[checkpoint.position :]}
        for observer in catalog.observations.values():
            observer.forget(again)
        start = checkpoint.position
        if first > start:  # move the checkpoint up to the unit that changed
            self._apply(units, start, first, history_end, None)
            checkpoint = self._checkpoint = Checkpoint(catalog, first)
        self._apply(units, first, len(units), history_end, checkpoint)
        self.replayed = len(units) - start

    def _apply(
        self,
        units: list[Unit],
        start: int,
        end: int,
        history_end: int,
        checkpoint: Checkpoint | None,
    ) -> None:
        catalog = self.catalog
        observers = list(catalog.observations.values())
        split = max(start, min(end, history_end))
        catalog.replay(units[start:split], _before(observers, checkpoint))
        catalog.replay(units[split:end], _before([], checkpoint))


def _before(
    observers: list[ReplayObserver], checkpoint: Checkpoint | None
) -> Callable[[Catalog, str, Fact], None] | None:
    hooks = [observer.before for observer in observers]
    if checkpoint is not None:
        hooks.insert(0, checkpoint.guard)
    if not hooks:
        return None
    if len(hooks) == 1:
        return hooks[0]

    def before(catalog: Catalog, path: str, fact: Fact) -> None:
        for hook in hooks:
            hook(catalog, path, fact)

    return before


def _first_change(old: Sequence[Unit], new: Sequence[Unit]) -> int:
    """The position of the first unit that differs (by path, or by the identity of its facts:
    observers remember facts by identity, so equal copies count as changed)."""
    for position, (before, after) in enumerate(zip(old, new, strict=False)):
        if before.path != after.path or not _same(before.facts, after.facts):
            return position
    return min(len(old), len(new))


def _same(before: tuple[Fact, ...], after: tuple[Fact, ...]) -> bool:
    return before is after or (len(before) == len(after) and all(map(operator.is_, before, after)))


def replay_plan(
    units: Iterable[UnitFacts], memo: OrderMemo | None = None
) -> tuple[list[UnitFacts], int]:
    """The units in replay order, application units last, and where those start (``memo`` as
    for :func:`~dbsense.analyzers.migrations.order_units`)."""
    ordered = order_units(units, memo)
    history = [unit for unit in ordered if not is_application(unit)]
    application = [unit for unit in ordered if is_application(unit)]
    return [*history, *application], len(history)


class ReplayPlanner:
    """:func:`replay_plan` for successive versions of one workspace, as catalog units. An edit
    usually changes facts that ordering does not read (what the unit creates stays the same):
    then the last plan stands, with the edited units put in their places."""

    def __init__(self) -> None:
        self.memo: OrderMemo = {}
        self._inputs: list[UnitFacts] = []
        self._plan: list[Unit] = []
        self._history_end = 0
        self._where: dict[str, int] = {}  # path -> its place in the plan (units not split)
        self._models = False  # whether any unit has ORM models (their place needs `migrated`)

    def plan(self, units: Iterable[UnitFacts]) -> tuple[list[Unit], int]:
        units = list(units)
        if not self._reuse(units):
            ordered, self._history_end = replay_plan(units, self.memo)
            given = {id(unit) for unit in units}
            self._plan = [Unit(unit.path, unit.facts) for unit in ordered]
            self._where = {unit.path: at for at, unit in enumerate(ordered) if id(unit) in given}
            self._models = any(summary(unit, self.memo).models for unit in units)
        self._inputs = units
        return self._plan, self._history_end

    def _reuse(self, units: list[UnitFacts]) -> bool:
        """Put ``units`` into the last plan in place, if they order exactly as the last ones."""
        if len(units) != len(self._inputs):
            return False
        changed = [
            (old, new) for old, new in zip(self._inputs, units, strict=True) if old is not new
        ]
        if not all(_orders_alike(old, new, self.memo, self._models) for old, new in changed):
            return False
        plan = list(self._plan)
        for _, new in changed:
            at = self._where.get(new.path)
            if at is not None:
                plan[at] = Unit(new.path, new.facts)
            elif replayed(new.path):  # split into baseline and models: order it again
                return False
        self._plan = plan
        return True


def _orders_alike(old: UnitFacts, new: UnitFacts, memo: OrderMemo, models: bool) -> bool:
    """Whether ``new``, the next version of ``old``, takes the same place in the replay order
    and leaves every other unit's place as it was (what units create places the ORM models,
    when there are any)."""
    if _ordering_fields(old) != _ordering_fields(new):
        return False
    before, after = summary(old, memo), summary(new, memo)
    return (
        (before.migrated == after.migrated or not models)
        and not before.models
        and not after.models
        and is_application(old) == is_application(new)
    )


def _ordering_fields(unit: UnitFacts) -> tuple[object, ...]:
    return (unit.path, unit.unit_id, unit.depends_on, unit.dump, unit.replaces, unit.run_before)


def is_application(unit: UnitFacts) -> bool:
    """Python outside the migration history that changes no schema (views, services,
    settings): it runs against the final schema, so it is replayed after the history."""
    return (
        is_python(unit.path)
        and unit.unit_id is None
        and not unit.dump
        and not any(changes_schema(fact) and type(fact) not in _LOCAL for fact in unit.facts)
    )


_LOCAL = (ParseErrorFact, SettingFact)  # replayed, but they change nothing after the unit
