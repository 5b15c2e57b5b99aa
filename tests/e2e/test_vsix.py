"""The built .vsix honours the extension's contract: manifest, settings, commands, bundle."""

from __future__ import annotations

import json
import sys
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from tests.e2e.code_server import ROOT

VERSION = json.loads((ROOT / "vscode-client" / "package.json").read_text())["version"]
VSIX = ROOT / "dist" / f"dbsense-{VERSION}.vsix"

SETTINGS = {
    "dbsense.interpreter",
    "dbsense.importStrategy",
    "dbsense.lint.run",
    "dbsense.select",
    "dbsense.ignore",
    "dbsense.rules",
    "dbsense.unsafeFixes",
    "dbsense.configurationPreference",
    "dbsense.postgres.version",
    "dbsense.live.databaseUrl",
    "dbsense.live.redisUrl",
    "dbsense.live.mongoUrl",
    "dbsense.trace.server",
}
COMMAND_TITLES = {
    "dbsense: Restart Server",
    "dbsense: Show Output",
    "dbsense: Show Rule Documentation",
    "dbsense: Show Schema Catalog",
    "dbsense: Run Live Checks",
    "dbsense: Recommend Indexes",
}


@pytest.fixture(scope="module")
def vsix() -> Iterator[zipfile.ZipFile]:
    if not VSIX.is_file():
        pytest.fail(f"dist/{VSIX.name} is missing: run `make vsix`")
    with zipfile.ZipFile(VSIX) as archive:
        yield archive


@pytest.fixture(scope="module")
def manifest(vsix: zipfile.ZipFile) -> dict[str, Any]:
    return json.loads(vsix.read("extension/package.json"))


def test_version_matches_the_python_package(manifest: dict[str, Any]) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert manifest["version"] == project["version"] == VERSION


def test_activation_events(manifest: dict[str, Any]) -> None:
    assert {"onLanguage:sql", "onLanguage:python", "workspaceContains:**/*.sql"} <= set(
        manifest["activationEvents"]
    )


def test_settings_have_descriptions_and_defaults(manifest: dict[str, Any]) -> None:
    properties = manifest["contributes"]["configuration"]["properties"]
    assert set(properties) >= SETTINGS
    for name in SETTINGS:
        assert properties[name].get("description"), name
        assert "default" in properties[name], name


def test_command_titles(manifest: dict[str, Any]) -> None:
    titles = {command["title"] for command in manifest["contributes"]["commands"]}
    assert titles == COMMAND_TITLES


def test_untrusted_workspaces_declared(manifest: dict[str, Any]) -> None:
    untrusted = manifest["capabilities"]["untrustedWorkspaces"]
    assert untrusted["supported"] == "limited"
    assert {
        "dbsense.interpreter",
        "dbsense.importStrategy",
        "dbsense.live.databaseUrl",
        "dbsense.live.redisUrl",
        "dbsense.live.mongoUrl",
    } <= set(untrusted["restrictedConfigurations"])


def test_bundle_contents(vsix: zipfile.ZipFile) -> None:
    names = set(vsix.namelist())
    for required in [
        "extension/out/extension.js",
        "extension/readme.md",
        "extension/changelog.md",
        "extension/bundled/libs/dbsense/__init__.py",
        "extension/bundled/libs/dbsense/server/__init__.py",
        "extension/bundled/libs/pygls/__init__.py",
        "extension/bundled/libs/lsprotocol/__init__.py",
        "extension/bundled/libs/sqlglot/__init__.py",
        "extension/bundled/libs/tomli/__init__.py",  # for Python 3.10
    ]:
        assert required in names, required
    compiled = [name for name in names if name.endswith((".so", ".pyd", ".pyc"))]
    assert compiled == []
    assert not any(name.startswith("extension/node_modules/") for name in names)
    assert not any(name.startswith("extension/src/") for name in names)
