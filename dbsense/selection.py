"""Which rules run, and at which severity, from select/ignore/extend-select and ``[rules]``."""

from __future__ import annotations

from collections.abc import Iterable

from dbsense.config import Settings
from dbsense.engines.core import Rule, Severity, registry


def expand(selectors: Iterable[str]) -> set[str]:
    """The codes matched by ``selectors``; unknown selectors match nothing."""
    codes: set[str] = set()
    for selector in selectors:
        codes |= registry().select(selector) or set()
    return codes


def enabled_rules(settings: Settings) -> list[Rule]:
    rules = registry()
    if settings.select is None:
        chosen = {rule.code for rule in rules if rule.default_enabled}
    else:
        chosen = expand(settings.select)
    chosen |= expand(settings.extend_select)
    chosen -= expand(settings.ignore)
    chosen -= {code for code, severity in _severity_codes(settings) if severity == "off"}
    return [rule for rule in rules if rule.code in chosen]


def severity_overrides(settings: Settings) -> dict[str, Severity]:
    return {
        code: Severity(severity)
        for code, severity in _severity_codes(settings)
        if severity != "off"
    }


def _severity_codes(settings: Settings) -> list[tuple[str, str]]:
    """(code, severity) pairs; a more specific selector overrides a broader one."""
    expanded = [(expand([selector]), value) for selector, value in settings.severities.items()]
    expanded.sort(key=lambda item: -len(item[0]))
    resolved: dict[str, str] = {}
    for codes, value in expanded:
        for code in codes:
            resolved[code] = value
    return list(resolved.items())
