"""The VS Code extension is safe in restricted mode: it declares limited support for untrusted
workspaces, and every setting that chooses a program, a path, a command or a live connection
is restricted (a workspace cannot set it until the user trusts the folder)."""

from __future__ import annotations

import json
import re
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[2] / "vscode-client" / "package.json"
# Names of settings that decide what runs or what is connected to.
DANGEROUS = re.compile(
    r"interpreter|importstrategy|path|command|executable|args|env|url|dsn|database|live|server\.",
    re.IGNORECASE,
)


def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def test_untrusted_workspaces_are_declared_limited():
    untrusted = manifest()["capabilities"]["untrustedWorkspaces"]
    assert untrusted["supported"] in ("limited", False)
    if untrusted["supported"] == "limited":
        assert untrusted["description"].strip()


def test_every_setting_that_runs_or_connects_is_restricted():
    data = manifest()
    properties = data["contributes"]["configuration"]["properties"]
    restricted = set(
        data["capabilities"]["untrustedWorkspaces"].get("restrictedConfigurations", [])
    )
    dangerous = {
        name
        for name, schema in properties.items()
        if DANGEROUS.search(name.removeprefix("dbsense.")) and schema.get("scope") != "window"
    }
    assert {"dbsense.interpreter", "dbsense.importStrategy"} <= dangerous
    assert dangerous <= restricted, sorted(dangerous - restricted)
    assert restricted <= set(properties), sorted(restricted - set(properties))
