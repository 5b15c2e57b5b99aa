"""SARIF 2.1.0 output for code-scanning tools."""

from __future__ import annotations

import json

from dbsense import __version__, rule_url
from dbsense.engines.core import Rule, Severity, Violation, registry
from dbsense.report import Positions
from dbsense.workspace import CheckResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(result: CheckResult, positions: Positions, **_: object) -> str:
    rules = list(registry())
    index = {rule.code: number for number, rule in enumerate(rules)}
    run = {
        "tool": {
            "driver": {
                "name": "dbsense",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://github.com/dbsense/dbsense",
                "rules": [_rule(rule) for rule in rules],
            }
        },
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The analysed root."}}},
        "results": [_result(v, index, positions) for v in result.violations],
    }
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


def _rule(rule: Rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary.replace("`", "")},
        "fullDescription": {"text": _what_it_does(rule)},
        "helpUri": rule_url(rule.code),
        "help": {"text": rule.summary.replace("`", ""), "markdown": rule.doc()},
        "defaultConfiguration": {
            "level": _LEVEL[rule.severity],
            "enabled": rule.default_enabled,
        },
        "properties": {"tags": list(rule.tags)},
    }


def _what_it_does(rule: Rule) -> str:
    doc = rule.doc()
    section = doc.split("## What it does", 1)[-1].split("\n## ", 1)[0]
    return " ".join(section.split()) or rule.summary


def _region(positions: Positions, path: str, start: int, end: int) -> dict:
    (line, column), (end_line, end_column) = positions.start_end(path, start, end)
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _physical(positions: Positions, path: str, start: int, end: int) -> dict:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
            "region": _region(positions, path, start, end),
        }
    }


def _result(violation: Violation, index: dict[str, int], positions: Positions) -> dict:
    result: dict = {
        "ruleId": violation.code,
        "ruleIndex": index[violation.code],
        "level": _LEVEL[violation.severity],
        "message": {"text": violation.message},
        "locations": [
            _physical(positions, violation.path, violation.span.start, violation.span.end)
        ],
    }
    if violation.related:
        result["relatedLocations"] = [
            {
                "id": number,
                **_physical(positions, related.path, related.span.start, related.span.end),
                "message": {"text": related.message},
            }
            for number, related in enumerate(violation.related)
        ]
    if violation.fix is not None and violation.fix.edits:  # SARIF needs one change or more
        changes: dict[str, list] = {}
        for edit in violation.fix.edits:
            path = edit.path or violation.path
            changes.setdefault(path, []).append(
                {
                    "deletedRegion": _region(positions, path, edit.span.start, edit.span.end),
                    "insertedContent": {"text": edit.new_text},
                }
            )
        result["fixes"] = [
            {
                "description": {"text": violation.fix.title},
                "artifactChanges": [
                    {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}, "replacements": r}
                    for path, r in changes.items()
                ],
            }
        ]
    return result
