"""Configuration: ``[tool.dbsense]`` in the nearest ``pyproject.toml``, or ``dbsense.toml``.

Unknown keys and invalid values are collected as problems (naming the file and the key) and
the valid rest applies; a file that is not valid TOML raises :class:`ConfigError`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbsense.analyzers.ir import Span
from dbsense.engines.core import Option, engine_options

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_FILES = ("dbsense.toml", "pyproject.toml")
SEVERITY_VALUES = ("error", "warning", "info", "off")
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "node_modules",
    "__pycache__",
    "site-packages",
    ".dbsense_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "build",
    "dist",
)
_LIST_KEYS = ("select", "ignore", "extend-select", "exclude", "extend-exclude")
_TOP_LEVEL_KEYS = (*_LIST_KEYS, "per-file-ignores", "rules", "respect-gitignore")


class ConfigError(Exception):
    """The configuration cannot be used at all (unreadable or not valid TOML)."""


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    path: str  # the config file
    key: str  # dotted key, e.g. "tool.dbsense.postgres.version"
    message: str
    error: bool  # invalid value (error) or unknown key (warning)
    span: Span | None = None

    def __str__(self) -> str:
        return f"{self.path}: `{self.key}`: {self.message}"


@dataclass(slots=True)
class Settings:
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    extend_exclude: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    severities: dict[str, str] = field(default_factory=dict)  # selector -> severity | "off"
    engines: dict[str, dict[str, Any]] = field(default_factory=dict)
    respect_gitignore: bool = True
    source: Path | None = None  # the file it came from
    root: Path | None = None  # the directory holding that file
    problems: list[ConfigProblem] = field(default_factory=list)

    def engine_values(self) -> dict[str, dict[str, Any]]:
        """Every engine option with its default filled in."""
        values: dict[str, dict[str, Any]] = {}
        for section, options in engine_options().items():
            given = self.engines.get(section, {})
            values[section] = {
                name: given.get(name, option.default) for name, option in options.items()
            }
        return values


def find_config(start: Path) -> Path | None:
    """The nearest ``dbsense.toml``, or ``pyproject.toml`` with a ``[tool.dbsense]`` table."""
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        for name in CONFIG_FILES:
            candidate = candidate_dir / name
            if not candidate.is_file():
                continue
            if name == "dbsense.toml" or _has_dbsense_table(candidate):
                return candidate
    return None


def _has_dbsense_table(path: Path) -> bool:
    try:
        return "[tool.dbsense" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def load_settings(path: Path | None, display: str | None = None) -> Settings:
    """Read settings from ``path`` (``None``: defaults). ``display`` names the file in messages."""
    if path is None:
        return Settings()
    name = display or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{name}: cannot read configuration: {error}") from error
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{name}: invalid TOML: {error}") from error
    if path.name == "pyproject.toml":
        table = document.get("tool", {}).get("dbsense", {})
        prefix = "tool.dbsense"
    else:
        table, prefix = document, ""
    settings = Settings(source=path, root=path.parent)
    _Reader(settings, name, text, prefix).read(table)
    return settings


@dataclass(slots=True)
class _Reader:
    settings: Settings
    path: str
    text: str
    prefix: str

    def read(self, table: Any) -> None:
        if not isinstance(table, dict):
            self._problem("", "must be a table", error=True)
            return
        options = engine_options()
        for key, value in table.items():
            if key in _LIST_KEYS:
                strings = self._string_list(key, value)
                if strings is not None:
                    setattr(self.settings, key.replace("-", "_"), strings)
            elif key == "per-file-ignores":
                self._per_file_ignores(value)
            elif key == "rules":
                self._rules(value)
            elif key == "respect-gitignore":
                if isinstance(value, bool):
                    self.settings.respect_gitignore = value
                else:
                    self._problem(key, "must be true or false", error=True)
            elif key in options:
                self._engine(key, value, options[key])
            else:
                self._problem(key, "unknown key; it is ignored", error=False)

    def _string_list(self, key: str, value: Any) -> list[str] | None:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        self._problem(key, "must be a list of strings", error=True)
        return None

    def _per_file_ignores(self, value: Any) -> None:
        if not isinstance(value, dict):
            self._problem("per-file-ignores", "must be a table of pattern = [codes]", error=True)
            return
        for pattern, codes in value.items():
            strings = self._string_list(f"per-file-ignores.{pattern}", codes)
            if strings is not None:
                self.settings.per_file_ignores[pattern] = strings

    def _rules(self, value: Any) -> None:
        if not isinstance(value, dict):
            self._problem("rules", "must be a table of CODE = severity", error=True)
            return
        for selector, severity in value.items():
            if isinstance(severity, str) and severity.lower() in SEVERITY_VALUES:
                self.settings.severities[selector] = severity.lower()
            else:
                choices = ", ".join(f'"{s}"' for s in SEVERITY_VALUES)
                self._problem(f"rules.{selector}", f"must be one of {choices}", error=True)

    def _engine(self, section: str, value: Any, options: dict[str, Option]) -> None:
        if not isinstance(value, dict):
            self._problem(section, "must be a table", error=True)
            return
        accepted = self.settings.engines.setdefault(section, {})
        for key, item in value.items():
            option = options.get(key)
            dotted = f"{section}.{key}"
            if option is None:
                self._problem(dotted, "unknown key; it is ignored", error=False)
                continue
            problem = _check_value(option, item)
            if problem:
                default = "" if option.default is None else f"; using {option.default!r}"
                self._problem(dotted, problem + default, error=True)
            else:
                accepted[key] = item

    def _problem(self, key: str, message: str, error: bool) -> None:
        dotted = ".".join(part for part in (self.prefix, key) if part)
        span = locate_key(self.text, self.prefix, key)
        self.settings.problems.append(ConfigProblem(self.path, dotted, message, error, span))


def _check_value(option: Option, value: Any) -> str | None:
    kinds = option.kind if isinstance(option.kind, tuple) else (option.kind,)
    if isinstance(value, bool) and bool not in kinds:
        return f"must be {_kind_names(kinds)}, not a boolean"
    if not isinstance(value, kinds):
        return f"must be {_kind_names(kinds)}"
    if option.choices and value not in option.choices:
        return "must be one of " + ", ".join(repr(choice) for choice in option.choices)
    if option.minimum is not None and isinstance(value, int) and value < option.minimum:
        return f"must be at least {option.minimum}"
    return None


def _kind_names(kinds: tuple[type, ...]) -> str:
    names = {int: "an integer", str: "a string", list: "a list", bool: "true or false"}
    return " or ".join(names.get(kind, kind.__name__) for kind in kinds)


def locate_key(text: str, prefix: str, key: str) -> Span | None:
    """Best-effort span of ``key`` (dotted, relative to ``prefix``) in a TOML document."""
    parts = [part for part in key.split(".") if part]
    if not parts:
        return None
    leaf = parts[-1]
    section = ".".join(part for part in (prefix, *parts[:-1]) if part)
    search_from = 0
    if section:
        header = re.search(rf"^\s*\[\s*{re.escape(section)}\s*\]", text, re.M)
        if header:
            search_from = header.end()
    quoted = rf"(?:{re.escape(leaf)}|\"{re.escape(leaf)}\"|'{re.escape(leaf)}')"
    match = re.compile(rf"^\s*({quoted})\s*=", re.M).search(text, search_from)
    if match is None:
        match = re.compile(rf"({quoted})\s*=").search(text, search_from)
    return Span(match.start(1), match.end(1)) if match else None
