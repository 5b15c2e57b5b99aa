"""Human-readable output: ``path:line:col: CODE [name] message`` plus a summary."""

from __future__ import annotations

from collections import Counter

from dbsense.engines.core import Applicability
from dbsense.report import Positions
from dbsense.workspace import CheckResult


def render_text(
    result: CheckResult, positions: Positions, statistics: bool = False, **_: object
) -> str:
    lines = []
    if statistics:
        lines.extend(_statistics(result))
    else:
        for violation in result.violations:
            line, column = positions.location(violation.path, violation.span.start)
            marker = " [*]" if _fixable(violation) else ""
            lines.append(
                f"{violation.path}:{line}:{column}: {violation.code}{marker} "
                f"[{violation.name}] {violation.message}"
            )
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def _fixable(violation) -> bool:
    return violation.fix is not None and violation.fix.applicability is Applicability.SAFE


def _statistics(result: CheckResult) -> list[str]:
    counts = Counter((v.code, v.name) for v in result.violations)
    return [f"{count:>5}  {code:<7} {name}" for (code, name), count in counts.most_common()]


def summary(result: CheckResult) -> str:
    total = len(result.violations)
    safe = sum(1 for v in result.violations if _fixable(v))
    unsafe = sum(
        1
        for v in result.violations
        if v.fix is not None and v.fix.applicability is Applicability.UNSAFE
    )
    parts = []
    if total == 0:
        parts.append("No findings.")
    else:
        noun = "finding" if total == 1 else "findings"
        parts.append(f"Found {total:,} {noun}.")
        if safe:
            parts.append(f"{safe:,} fixable with `--fix`.")
        if unsafe:
            parts.append(f"{unsafe:,} fixable with `--fix --unsafe-fixes`.")
    coverage = (
        f"Checked {result.documents:,} file{'' if result.documents == 1 else 's'}; "
        f"analysed {result.analysed_statements:,} of {result.statements:,} statements."
    )
    return " ".join(parts) + "\n" + coverage
