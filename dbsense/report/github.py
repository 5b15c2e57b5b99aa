"""GitHub Actions workflow commands: one ``::warning`` / ``::error`` / ``::notice`` per finding."""

from __future__ import annotations

from dbsense.engines.core import Severity
from dbsense.report import Positions
from dbsense.workspace import CheckResult

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(result: CheckResult, positions: Positions, **_: object) -> str:
    lines = []
    for violation in result.violations:
        (line, column), (end_line, end_column) = positions.start_end(
            violation.path, violation.span.start, violation.span.end
        )
        title = _escape(f"{violation.code} [{violation.name}]", property_value=True)
        lines.append(
            f"::{_LEVEL[violation.severity]} file={_escape(violation.path, True)},line={line},"
            f"col={column},endLine={end_line},endColumn={end_column},title={title}"
            f"::{_escape(violation.message)}"
        )
    return "".join(line + "\n" for line in lines)
