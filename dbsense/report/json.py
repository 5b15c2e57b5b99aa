"""Machine-readable output: one JSON array of findings with 1-based locations."""

from __future__ import annotations

import json

from dbsense import rule_url
from dbsense.engines.core import Violation
from dbsense.report import Positions
from dbsense.workspace import CheckResult


def render_json(result: CheckResult, positions: Positions, **_: object) -> str:
    return json.dumps([_finding(v, positions) for v in result.violations], indent=2) + "\n"


def _location(positions: Positions, path: str, start: int, end: int) -> dict:
    (line, column), (end_line, end_column) = positions.start_end(path, start, end)
    return {
        "location": {"row": line, "column": column},
        "end_location": {"row": end_line, "column": end_column},
    }


def _finding(violation: Violation, positions: Positions) -> dict:
    fix = None
    if violation.fix is not None:
        fix = {
            "title": violation.fix.title,
            "applicability": violation.fix.applicability.value,
            "edits": [
                {
                    "path": edit.path or violation.path,
                    "content": edit.new_text,
                    **_location(
                        positions, edit.path or violation.path, edit.span.start, edit.span.end
                    ),
                }
                for edit in violation.fix.edits
            ],
        }
    return {
        "code": violation.code,
        "name": violation.name,
        "severity": violation.severity.value,
        "message": violation.message,
        "filename": violation.path,
        **_location(positions, violation.path, violation.span.start, violation.span.end),
        "fix": fix,
        "related": [
            {
                "filename": related.path,
                "message": related.message,
                **_location(positions, related.path, related.span.start, related.span.end),
            }
            for related in violation.related
        ],
        "url": rule_url(violation.code),
    }
