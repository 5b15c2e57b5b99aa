"""Configuration loading: lookup, validation, problems naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbsense.config import ConfigError, find_config, load_settings
from dbsense.selection import enabled_rules, severity_overrides
from dbsense.suppress import config_violations


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_nearest_config_prefers_dbsense_toml_and_needs_tool_table(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.dbsense]\nselect = ['PG']\n")
    nested = tmp_path / "pkg" / "migrations"
    nested.mkdir(parents=True)
    write(tmp_path / "pkg", "pyproject.toml", "[project]\nname = 'no-dbsense-here'\n")
    assert find_config(nested) == tmp_path / "pyproject.toml"
    write(tmp_path / "pkg", "dbsense.toml", "select = ['PG1']\n")
    assert find_config(nested) == tmp_path / "pkg" / "dbsense.toml"


def test_values_and_selection(tmp_path):
    settings = load_settings(
        write(
            tmp_path,
            "pyproject.toml",
            "[tool.dbsense]\nselect = ['PG']\nignore = ['PG101']\n"
            "[tool.dbsense.rules]\nPG3 = 'info'\nPG302 = 'error'\nPG201 = 'off'\n"
            "[tool.dbsense.postgres]\nversion = 12\n",
        )
    )
    assert settings.problems == []
    codes = {rule.code for rule in enabled_rules(settings)}
    assert "PG101" not in codes and "PG201" not in codes and "PG302" in codes
    assert severity_overrides(settings)["PG302"].value == "error"
    assert settings.engine_values()["postgres"]["version"] == 12


def test_unknown_keys_and_bad_values_are_problems_with_positions(tmp_path):
    path = write(
        tmp_path,
        "pyproject.toml",
        "[tool.dbsense]\nselekt = ['PG']\n\n[tool.dbsense.postgres]\nversion = 'x'\nverison = 3\n",
    )
    settings = load_settings(path)
    problems = {(p.key, p.error) for p in settings.problems}
    assert problems == {
        ("tool.dbsense.selekt", False),
        ("tool.dbsense.postgres.version", True),
        ("tool.dbsense.postgres.verison", False),
    }
    assert settings.engine_values()["postgres"]["version"] == 15  # falls back to the default
    violations = config_violations(settings, tmp_path)
    assert {(v.code, v.path) for v in violations} == {("DBS004", "pyproject.toml")}
    lines = sorted(path.read_text()[: v.span.start].count("\n") + 1 for v in violations)
    assert lines == [2, 5, 6]


def test_unknown_selector_in_config_is_dbs003(tmp_path):
    path = write(tmp_path, "pyproject.toml", "[tool.dbsense]\nignore = ['PG999', 'E501']\n")
    violations = config_violations(load_settings(path), tmp_path)
    assert [(v.code, v.message.split(" ")[0]) for v in violations] == [("DBS003", "`PG999`")]


@pytest.mark.parametrize("text", ["[tool.dbsense\n", "[tool.dbsense]\nselect = [\n"])
def test_malformed_toml_raises_config_error_naming_the_file(tmp_path, text):
    with pytest.raises(ConfigError, match=r"^pyproject.toml: invalid TOML"):
        load_settings(write(tmp_path, "pyproject.toml", text))
