"""Run the live rules: connect, read a snapshot, dispatch its facts to the enabled rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from dbsense.analyzers.ir import SourceFile
from dbsense.config import Settings
from dbsense.engines.core import RuleContext, Runner, Violation
from dbsense.live import LiveError
from dbsense.live.postgres import Snapshot, connect, read_snapshot, redact, unavailable_fact
from dbsense.selection import enabled_rules, severity_overrides


@dataclass(slots=True)
class LiveResult:
    """Violations of the live rules (their path is the redacted DSN) and what was read."""

    target: str
    violations: list[Violation] = field(default_factory=list)
    snapshot: Snapshot | None = None
    error: str | None = None  # the connection problem, when there was one


def run_live(dsn: str, settings: Settings) -> LiveResult:
    """Live violations for ``dsn``; a failed connection becomes one DBS006 violation."""
    target = redact(dsn)
    result = LiveResult(target)
    try:
        with connect(dsn) as conn:
            result.snapshot = read_snapshot(conn, target)
            facts = result.snapshot.facts()
    except LiveError as error:
        result.error = str(error)
        facts = [unavailable_fact(target, str(error))]
    result.violations = violations_for(facts, target, settings)
    return result


def violations_for(facts: list, target: str, settings: Settings) -> list[Violation]:
    """Dispatch live ``facts`` to the rules ``settings`` enable."""
    runner = Runner(enabled_rules(settings), severity_overrides(settings))
    source = SourceFile(target, "")
    ctx = RuleContext(source, settings.engine_values(), None, tuple(facts))
    return runner.run_file(source, facts, ctx)
