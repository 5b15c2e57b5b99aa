"""Editor settings (``dbsense.*``) and how they combine with ``[tool.dbsense]``.

The client sends the same object as ``initializationOptions`` and as the answer to
``workspace/configuration`` for the section ``dbsense``::

    {"lint": {"run": "onType"}, "select": [], "ignore": [], "rules": {"PG101": "error"},
     "unsafeFixes": false, "configurationPreference": "editorFirst",
     "postgres": {"version": 15},
     "live": {"databaseUrl": "postgresql://...", "redisUrl": null, "mongoUrl": null}}

Empty lists and ``null`` mean "not set in the editor". Invalid values are reported and ignored.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from dbsense.config import SEVERITY_VALUES, Settings

LINT_RUNS = ("onType", "onSave")
PREFERENCES = ("editorFirst", "filesystemFirst", "editorOnly")


@dataclass(slots=True)
class EditorSettings:
    lint_run: str = "onType"
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)
    unsafe_fixes: bool = False
    configuration_preference: str = "editorFirst"
    postgres_version: int | None = None
    # Live connections (credentials: never in a repr, a log line or a message).
    database_url: str | None = field(default=None, repr=False)  # PostgreSQL: hover, advice
    redis_url: str | None = field(default=None, repr=False)  # run on demand (runLiveChecks)
    mongo_url: str | None = field(default=None, repr=False)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, value: Any) -> EditorSettings:
        """Settings from a client payload; anything malformed is reported and skipped."""
        settings = cls()
        if value is None:
            return settings
        if not isinstance(value, dict):
            settings.problems.append("dbsense settings must be an object; using defaults")
            return settings
        lint = value.get("lint")
        run = lint.get("run") if isinstance(lint, dict) else value.get("lint.run")
        settings.lint_run = settings._choice("lint.run", run, LINT_RUNS, settings.lint_run)
        settings.select = settings._strings("select", value.get("select"))
        settings.ignore = settings._strings("ignore", value.get("ignore"))
        settings.rules = settings._severities(value.get("rules"))
        unsafe = value.get("unsafeFixes")
        if isinstance(unsafe, bool):
            settings.unsafe_fixes = unsafe
        elif unsafe is not None:
            settings.problems.append("dbsense.unsafeFixes must be true or false")
        settings.configuration_preference = settings._choice(
            "configurationPreference",
            value.get("configurationPreference"),
            PREFERENCES,
            settings.configuration_preference,
        )
        postgres = value.get("postgres")
        version = postgres.get("version") if isinstance(postgres, dict) else None
        if isinstance(version, int) and not isinstance(version, bool) and version >= 9:
            settings.postgres_version = version
        elif version is not None:
            settings.problems.append("dbsense.postgres.version must be a major version (>= 9)")
        live = value.get("live")
        if isinstance(live, dict):
            settings.database_url = settings._url("live.databaseUrl", live.get("databaseUrl"))
            settings.redis_url = settings._url("live.redisUrl", live.get("redisUrl"))
            settings.mongo_url = settings._url("live.mongoUrl", live.get("mongoUrl"))
        elif live is not None:
            settings.problems.append("dbsense.live must be an object")
        return settings

    def _url(self, key: str, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return value
        self.problems.append(f"dbsense.{key} must be a connection URL string")
        return None

    def _choice(self, key: str, value: Any, allowed: tuple[str, ...], default: str) -> str:
        if value is None:
            return default
        if value in allowed:
            return value
        self.problems.append(f"dbsense.{key} must be one of {', '.join(allowed)}")
        return default

    def _strings(self, key: str, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return [item.strip() for item in value if item.strip()]
        self.problems.append(f"dbsense.{key} must be a list of strings")
        return []

    def _severities(self, value: Any) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problems.append("dbsense.rules must map rule selectors to severities")
            return {}
        rules = {}
        for selector, severity in value.items():
            if isinstance(severity, str) and severity.lower() in SEVERITY_VALUES:
                rules[selector] = severity.lower()
            else:
                self.problems.append(
                    f"dbsense.rules.{selector} must be one of error, warning, info, off"
                )
        return rules

    def combine(self, file_settings: Settings) -> Settings:
        """The settings that apply: ``file_settings`` and these, per the preference."""
        if self.configuration_preference == "editorOnly":
            base = Settings()
            self._overlay(base, file_settings=None)
            return base
        combined = copy.deepcopy(file_settings)
        if self.configuration_preference == "editorFirst":
            self._overlay(combined, file_settings=None)
        else:
            self._overlay(combined, file_settings=file_settings)
        return combined

    def _overlay(self, target: Settings, file_settings: Settings | None) -> None:
        """Write the editor's values into ``target``; with ``file_settings``, only where the
        file leaves a value unset (filesystemFirst)."""
        file_sets = file_settings is not None
        if self.select and not (file_sets and file_settings.select is not None):
            target.select = list(self.select)
        if self.ignore and not (file_sets and file_settings.ignore):
            target.ignore = list(self.ignore)
        if file_sets:
            target.severities = {**self.rules, **file_settings.severities}
        else:
            target.severities = {**target.severities, **self.rules}
        if self.postgres_version is not None:
            postgres = target.engines.setdefault("postgres", {})
            if not (file_sets and "version" in file_settings.engines.get("postgres", {})):
                postgres["version"] = self.postgres_version
