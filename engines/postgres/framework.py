"""Migration-framework fixes: the remedy a Python front-end prepared for an operation (Alembic
``autocommit_block()``, Django ``AddIndexConcurrently``...), turned into a :class:`Fix`."""

from __future__ import annotations

from dbsense.analyzers.ir import FrameworkFixFact, Span
from dbsense.engines.core import Applicability, Edit, Fix, RuleContext


def framework_fix(
    ctx: RuleContext,
    span: Span,
    purpose: str,
    applicability: Applicability = Applicability.UNSAFE,
) -> Fix | None:
    """The fix a front-end attached to the operation at ``span`` for ``purpose``, if any."""
    for fact in ctx.unit_facts:
        if isinstance(fact, FrameworkFixFact) and fact.span == span and fact.purpose == purpose:
            edits = tuple(Edit(edit_span, text) for edit_span, text in fact.edits)
            return Fix(fact.title, edits, applicability)
    return None


def catalog_fix(
    ctx: RuleContext,
    path: str,
    span: Span,
    purpose: str,
    applicability: Applicability = Applicability.UNSAFE,
) -> Fix | None:
    """The same for workspace rules, which see the catalog instead of one file's facts; the
    edits apply to ``path``, the file the finding is reported in."""
    index = getattr(ctx.catalog, "python", None)
    fact = index.fix(path, span, purpose) if index is not None else None
    if fact is None:
        return None
    edits = tuple(Edit(edit_span, text) for edit_span, text in fact.edits)
    return Fix(fact.title, edits, applicability)
