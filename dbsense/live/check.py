"""Run the live rules: connect, read a snapshot, dispatch its facts to the enabled rules.

With the workspace, the snapshot is also compared with the catalog (PG507, schema drift) and
the workspace's queries get verified index advice (PG207, reported on the query itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dbsense.analyzers.ir import Fact, SourceFile, UnitFacts
from dbsense.config import Settings
from dbsense.engines.core import RuleContext, Runner, Violation
from dbsense.live import LiveError
from dbsense.live.postgres import Snapshot, connect, read_snapshot, redact, unavailable_fact
from dbsense.selection import enabled_rules, severity_overrides
from dbsense.suppress import apply_suppressions


@dataclass(slots=True)
class LiveResult:
    """Violations of the live rules (their path is the redacted DSN, or the workspace file
    of a query for index advice) and what was read."""

    target: str
    violations: list[Violation] = field(default_factory=list)
    snapshot: Snapshot | None = None
    error: str | None = None  # the connection problem, when there was one


def run_live(dsn: str, settings: Settings, workspace=None) -> LiveResult:
    """Live violations for ``dsn``; a failed connection becomes one DBS006 violation.
    ``workspace`` (a checked :class:`dbsense.workspace.Workspace`) adds drift and advice."""
    target = redact(dsn)
    result = LiveResult(target)
    advice: list[tuple[str, Fact]] = []
    units: dict[str, UnitFacts] = {}
    try:
        with connect(dsn) as conn:
            result.snapshot = read_snapshot(conn, target)
            facts: list[Fact] = result.snapshot.facts()
            if workspace is not None:
                from dbsense.live.advice import advice_context, advice_facts
                from dbsense.live.drift import drift_facts

                if workspace.catalog.tables:
                    facts.extend(drift_facts(workspace.catalog, result.snapshot))
                units = _units(workspace)
                context = advice_context(
                    workspace.root,
                    workspace.catalog,
                    {path: source.text for path, source in workspace.documents.items()},
                    {path: unit.facts for path, unit in units.items()},
                )
                advice = list(advice_facts(conn, result.snapshot, context))
    except LiveError as error:
        result.error = str(error)
        facts = [unavailable_fact(target, str(error))]
    result.violations = violations_for(facts, target, settings)
    if advice:
        result.violations += file_violations(advice, settings, workspace.documents, units)
    return result


def _units(workspace) -> dict[str, UnitFacts]:
    return {path: workspace.cache.get(source) for path, source in workspace.documents.items()}


def violations_for(facts: list, target: str, settings: Settings) -> list[Violation]:
    """Dispatch live ``facts`` to the rules ``settings`` enable."""
    runner = Runner(enabled_rules(settings), severity_overrides(settings))
    source = SourceFile(target, "")
    ctx = RuleContext(source, settings.engine_values(), None, tuple(facts))
    return runner.run_file(source, facts, ctx)


def file_violations(
    facts: Iterable[tuple[str, Fact]],
    settings: Settings,
    sources: Mapping[str, SourceFile],
    units: Mapping[str, UnitFacts],
) -> list[Violation]:
    """Dispatch live facts located in workspace files; the files' suppression comments and
    per-file ignores apply."""
    rules = enabled_rules(settings)
    runner = Runner(rules, severity_overrides(settings))
    by_path: dict[str, list[Fact]] = {}
    for path, fact in facts:
        by_path.setdefault(path, []).append(fact)
    raw: list[Violation] = []
    for path, path_facts in sorted(by_path.items()):
        source = sources.get(path) or SourceFile(path, "")
        ctx = RuleContext(source, settings.engine_values(), None, tuple(path_facts))
        raw.extend(runner.run_file(source, path_facts, ctx))
    involved = [sources[path] for path in by_path if path in sources]
    live_rules = [rule for rule in rules if "live" in rule.tags]
    return apply_suppressions(raw, involved, units, settings, live_rules)
