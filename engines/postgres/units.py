"""What a migration rule needs to know about its unit: statements and transaction blocks."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate, pairwise

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


def earlier(ctx: RuleContext, fact: Fact, fact_type: type | tuple[type, ...]) -> Iterator[Fact]:
    """Facts of ``fact_type`` in the unit up to the first that starts at or after ``fact``."""
    cut = bisect_left(ctx.derived("start maxima", _start_maxima), fact.span.start)
    positions, found = ctx.derived(f"facts of {fact_type!r}", lambda c: _of_type(c, fact_type))
    return iter(found[: bisect_left(positions, cut)])


def _start_maxima(ctx: RuleContext) -> list[int]:
    """The largest start offset among the unit's facts up to each position (ascending, so the
    first fact starting at or after an offset is found by bisection)."""
    return list(accumulate((fact.span.start for fact in ctx.unit_facts), max))


def _of_type(ctx: RuleContext, fact_type: type | tuple[type, ...]) -> tuple[list[int], list[Fact]]:
    """The positions and facts of ``fact_type`` in the unit."""
    pairs = [(i, fact) for i, fact in enumerate(ctx.unit_facts) if isinstance(fact, fact_type)]
    return [i for i, _ in pairs], [fact for _, fact in pairs]
