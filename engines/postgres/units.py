"""What a migration rule needs to know about its unit: statements and transaction blocks."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from dbsense.analyzers.ir import Fact, Span, StatementFact
from dbsense.engines.core import RuleContext

_BEGIN = ("BEGIN", "START TRANSACTION")
_END = ("COMMIT", "ROLLBACK", "END", "ABORT")


@dataclass(frozen=True, slots=True)
class Statement:
    fact: StatementFact
    transaction: int | None  # block number when inside BEGIN ... COMMIT, else None

    @property
    def span(self) -> Span:
        return self.fact.span


def statements(ctx: RuleContext) -> list[Statement]:
    """The unit's statements with their transaction block. With
    ``postgres.assume-in-transaction`` a file without ``BEGIN`` runs as one block."""
    return ctx.derived("statements", _statements)


def _statements(ctx: RuleContext) -> list[Statement]:
    assume = bool(ctx.option("postgres", "assume-in-transaction"))
    result: list[Statement] = []
    block = 0
    for fact in ctx.unit_facts:
        if not isinstance(fact, StatementFact):
            continue
        if fact.kind in _BEGIN:
            block += 1
        if fact.in_transaction:
            result.append(Statement(fact, block))
        else:
            result.append(Statement(fact, 0 if assume else None))
    return result


def statement_of(ctx: RuleContext, span: Span) -> Statement | None:
    """The first statement whose span contains ``span``."""
    found = statements(ctx)
    starts = ctx.derived("statement-starts", _disjoint_starts)
    if starts is None:  # out of order or nested (embedded SQL): look at each
        return next((s for s in found if _contains(s.span, span)), None)
    position = bisect_right(starts, span.start) - 1
    if position >= 0 and _contains(found[position].span, span):
        return found[position]
    return None


def _disjoint_starts(ctx: RuleContext) -> list[int] | None:
    """The statements' start offsets when they are in order and never overlap, else ``None``."""
    found = statements(ctx)
    for before, after in pairwise(found):
        if before.span.end > after.span.start:
            return None
    return [statement.span.start for statement in found]


def _contains(outer: Span, inner: Span) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def same_transaction(ctx: RuleContext, first: Span, second: Span) -> bool:
    a, b = statement_of(ctx, first), statement_of(ctx, second)
    return (
        a is not None
        and b is not None
        and a.transaction is not None
        and (a.transaction == b.transaction)
    )


def transaction_end(ctx: RuleContext, span: Span) -> Span | None:
    """The ``COMMIT``/``END`` closing the explicit block that contains ``span``."""
    current = statement_of(ctx, span)
    if current is None or not current.fact.in_transaction:
        return None
    seen = False
    for statement in statements(ctx):
        if statement.span == current.span:
            seen = True
        elif seen and statement.fact.kind in _END:
            return statement.span
    return None


def earlier(ctx: RuleContext, fact: Fact, fact_type: type) -> Iterator[Fact]:
    """Facts of ``fact_type`` before ``fact`` in the unit."""
    for other in ctx.unit_facts:
        if other.span.start >= fact.span.start:
            return
        if isinstance(other, fact_type):
            yield other


def line_indent(text: str, offset: int) -> str:
    """The whitespace between the start of the line and ``offset``, if only whitespace."""
    start = text.rfind("\n", 0, offset) + 1
    prefix = text[start:offset]
    return prefix if not prefix.strip() else ""
