"""The server writes diagnostics with its own hook; the JSON must be lsprotocol's."""

import json

import pytest
from lsprotocol import converters, types

from dbsense.server.convert import diagnostic_json
from dbsense.server.server import create_server


def _range(line: int) -> types.Range:
    return types.Range(types.Position(line, 2), types.Position(line + 1, 0))


DIAGNOSTICS = [
    types.Diagnostic(range=_range(0), message="plain"),
    types.Diagnostic(
        range=_range(3),
        message="every field: `placed_at` → timestamptz 🙂",
        severity=types.DiagnosticSeverity.Information,
        code="PG301",
        code_description=types.CodeDescription(href="https://example.org/rules/PG301"),
        source="dbsense",
        tags=[types.DiagnosticTag.Unnecessary, types.DiagnosticTag.Deprecated],
        related_information=[
            types.DiagnosticRelatedInformation(
                types.Location("file:///w/a.sql", _range(7)), "table defined here"
            )
        ],
        data={"version": 4, "fix": {"title": "t", "edits": [{"newText": "x"}]}},
    ),
    types.Diagnostic(range=_range(1), message="numeric code", code=7, tags=[], data={}),
]


@pytest.mark.parametrize("item", DIAGNOSTICS, ids=["plain", "full", "numeric-code"])
def test_diagnostic_json_matches_lsprotocol(item: types.Diagnostic) -> None:
    assert diagnostic_json(item) == converters.get_converter().unstructure(item)


def test_server_publishes_with_the_hook() -> None:
    server = create_server()
    assert server.protocol._converter.get_unstructure_hook(types.Diagnostic) is diagnostic_json
    params = types.PublishDiagnosticsParams("file:///w/a.sql", DIAGNOSTICS, 3)
    written = json.loads(json.dumps(server.protocol._converter.unstructure(params)))
    expected = json.loads(json.dumps(converters.get_converter().unstructure(params)))
    assert written == expected
    server.stop_worker()
