"""Move facts to another place in their document: every span and offset by the same amount.

A statement whose text an edit left alone keeps its facts; only where it now starts changed.
Facts are frozen slotted dataclasses, so a moved fact is a new object built field by field
(without ``__init__``, as the fact cache does). Which fields can hold a position is read once
per class from its type hints, so names, flags and position-free parts (``QualifiedName``,
``IndexKey``...) are shared, never visited. A value of an unknown kind raises
:class:`Unmovable`: the caller analyses the statement again.
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any

from dbsense.analyzers.ir import Fact, Span, field_names

# Integer fields that are document offsets (where a fix inserts text) end with this.
_OFFSET_SUFFIX = "_at"
_LEAVES = (str, int, float, bool, bytes, type(None))


class Unmovable(TypeError):
    """A fact holds a value this module does not know how to move."""


def shift_facts(facts: list[Fact], delta: int) -> list[Fact]:
    """``facts`` with every span and offset moved by ``delta`` characters."""
    if delta == 0:
        return facts
    return [_move(fact, delta) for fact in facts]


def _move(value: Any, delta: int) -> Any:
    cls = value.__class__
    if cls is Span:
        return Span(value.start + delta, value.end + delta)
    if cls is tuple:
        return tuple([_move(item, delta) for item in value]) if value else value
    if cls in _LEAF_SET or issubclass(cls, Enum):
        return value
    plan = _PLANS.get(cls) or _plan(cls)
    if not plan.movable:
        return value
    values = list(plan.values(value)) if plan.many else [plan.values(value)]
    moved = False
    for position, is_offset in plan.movable:
        current = values[position]
        if current is None:
            continue
        new = current + delta if is_offset else _move(current, delta)
        if new is not current:
            values[position] = new
            moved = True
    if not moved:
        return value
    instance = object.__new__(cls)
    for setter, new in zip(plan.setters, values, strict=True):
        setter(instance, new)
    return instance


_LEAF_SET = frozenset(_LEAVES)


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    values: Callable[[Any], Any]  # every field value (a tuple when ``many``)
    many: bool
    setters: tuple[Any, ...]
    movable: tuple[tuple[int, bool], ...]  # (field position, is an offset) of fields to move


_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    """How to move an instance of ``cls``: which fields can hold a position, and the slot
    setters that rebuild it."""
    if not dataclasses.is_dataclass(cls):
        raise Unmovable(f"cannot move a {cls.__name__}")
    names = field_names(cls)
    setters = []
    for name in names:
        slot = getattr(cls, name, None)
        if not isinstance(slot, types.MemberDescriptorType):
            raise Unmovable(f"{cls.__name__} has no slots")
        setters.append(slot.__set__)
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable hints: visit every field
        hints = {}
    movable = []
    for position, name in enumerate(names):
        if name.endswith(_OFFSET_SUFFIX) and _is_int(hints.get(name, Any)):
            movable.append((position, True))
        elif _may_hold_position(hints.get(name, Any), set()):
            movable.append((position, False))
    plan = _Plan(operator.attrgetter(*names), len(names) > 1, tuple(setters), tuple(movable))
    _PLANS[cls] = plan
    return plan


def _is_int(hint: Any) -> bool:
    options = typing.get_args(hint) if _is_union(hint) else (hint,)
    return any(option is int for option in options) and all(
        option in (int, type(None)) for option in options
    )


def _may_hold_position(hint: Any, seen: set[type]) -> bool:
    """Whether a value of annotated type ``hint`` can contain a span."""
    if hint is Span or hint is Any:
        return True
    if hint in _LEAVES or (isinstance(hint, type) and issubclass(hint, Enum)):
        return False
    if _is_union(hint) or typing.get_origin(hint) in (tuple, frozenset):
        return any(
            arg is not Ellipsis and _may_hold_position(arg, seen) for arg in typing.get_args(hint)
        )
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if hint in seen:
            return False
        seen.add(hint)
        try:
            hints = typing.get_type_hints(hint)
        except Exception:
            return True
        return any(_may_hold_position(value, seen) for value in hints.values()) or any(
            name.endswith(_OFFSET_SUFFIX) for name in hints
        )
    return True  # anything else (a base class, a generic): look at the value itself


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)
