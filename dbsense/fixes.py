"""Apply fixes to document text: non-overlapping edits, right to left, source text preserved."""

from __future__ import annotations

from collections.abc import Iterable

from dbsense.engines.core import Applicability, Edit, Fix, Violation


def applicable(violation: Violation, unsafe: bool) -> Fix | None:
    fix = violation.fix
    if fix is None or fix.applicability is Applicability.DISPLAY_ONLY:
        return None
    if fix.applicability is Applicability.UNSAFE and not unsafe:
        return None
    return fix


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply edits whose spans do not overlap an already accepted edit."""
    accepted: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.span.start, e.span.end)):
        if accepted and edit.span.start < accepted[-1].span.end:
            continue
        if accepted and edit.span.start == edit.span.end == accepted[-1].span.start:
            continue
        accepted.append(edit)
    for edit in reversed(accepted):
        text = text[: edit.span.start] + edit.new_text + text[edit.span.end :]
    return text


def fix_text(text: str, violations: Iterable[Violation], unsafe: bool) -> tuple[str, int]:
    """One pass: the new text and how many fixes were applied. A fix applies whole or not at all."""
    chosen: list[Edit] = []
    taken: list[tuple[int, int]] = []
    count = 0
    for violation in sorted(violations, key=lambda v: v.span.start):
        fix = applicable(violation, unsafe)
        if fix is None or any(edit.path for edit in fix.edits):
            continue
        spans = [(edit.span.start, edit.span.end) for edit in fix.edits]
        if any(_overlaps(span, other) for span in spans for other in taken):
            continue
        taken.extend(spans)
        chosen.extend(fix.edits)
        count += 1
    return apply_edits(text, chosen), count


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] == a[1] == b[0] == b[1]:
        return True
    return a[0] < b[1] and b[0] < a[1]
