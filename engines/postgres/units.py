"""What a migration rule needs to know about its unit: statements and transaction blocks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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
    """The statement whose span contains ``span``."""
    for statement in statements(ctx):
        if statement.span.start <= span.start and span.end <= statement.span.end:
            return statement
    return None


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
