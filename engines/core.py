"""The rule framework: rules, violations, fixes, the registry and the runner.

A rule is a class with metadata as class attributes and a docstring that is its documentation
page. File rules consume facts of the types they list in ``consumes``; workspace rules read the
schema catalog. Rules never parse, resolve imports or compute positions.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

from dbsense.analyzers.ir import Fact, SourceFile, Span

ENGINE_PREFIXES = ("DBS", "PG", "RD", "MG", "ES")
PACKS = ("meta", "postgres", "redis", "mongo", "elasticsearch")


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Applicability(str, Enum):
    """How far a fix can be trusted (Ruff's meanings)."""

    SAFE = "safe"  # keeps behaviour; may be bulk-applied
    UNSAFE = "unsafe"  # may change behaviour; the user confirms it
    DISPLAY_ONLY = "display-only"  # a recipe, never applied automatically


class FixAvailability(str, Enum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``span`` of the document at ``path`` (the violation's file when ``None``)."""

    span: Span
    new_text: str
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability


@dataclass(frozen=True, slots=True)
class Related:
    """A secondary location (LSP ``relatedInformation``)."""

    path: str
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports; the runner turns it into a :class:`Violation`."""

    span: Span
    message: str
    fix: Fix | None = None
    related: tuple[Related, ...] = ()
    path: str | None = None  # required for workspace rules
    severity: Severity | None = None  # overrides the rule default (e.g. "not analysed" infos)
    unnecessary: bool = False


@dataclass(frozen=True, slots=True)
class Violation:
    code: str
    name: str
    message: str
    path: str
    span: Span
    severity: Severity
    fix: Fix | None = None
    related: tuple[Related, ...] = ()
    unnecessary: bool = False


@dataclass(frozen=True, slots=True)
class Option:
    """An engine option (``[tool.dbsense.<engine>] <name> = ...``)."""

    name: str
    kind: type | tuple[type, ...]
    default: Any
    description: str
    choices: tuple[Any, ...] = ()
    minimum: int | None = None


@dataclass(slots=True)
class RuleContext:
    """What a rule may read besides its fact: the document, engine options and the catalog.

    A rule reads the document's text only through :meth:`text` and :meth:`line_before`, never
    ``file.text``: they note the ranges read, so a re-run can tell that a document whose facts
    stayed the same gives the same findings while those ranges are unchanged."""

    file: SourceFile | None
    options: Mapping[str, Mapping[str, Any]]
    catalog: Any = None
    unit_facts: tuple[Fact, ...] = ()
    memo: dict[str, Any] = field(default_factory=dict)  # per-unit data rules derive once
    focus: frozenset[str] | None = None  # workspace rules: only findings in these documents
    reads: list[tuple[int, int]] = field(default_factory=list)  # text ranges rules read

    def text(self, start: int, end: int) -> str:
        """The document's text from ``start`` to ``end`` (empty for workspace rules)."""
        if self.file is None:
            return ""
        self.reads.append((start, end))
        return self.file.text[start:end]

    def line_before(self, offset: int) -> str:
        """The document's text from the start of ``offset``'s line to ``offset``."""
        if self.file is None:
            return ""
        text = self.file.text
        start = text.rfind("\n", 0, offset) + 1
        self.reads.append((max(0, start - 1), offset))  # the line break found counts too
        return text[start:offset]

    def tables(self) -> Iterator[Any]:
        """The catalog's tables a workspace rule looks at: all of them, or with ``focus`` only
        those defined or changed in the focused documents (where their findings can be)."""
        if self.catalog is None:
            return iter(())
        if self.focus is None:
            return self.catalog.iter_tables()
        return iter(self.derived("focused tables", _focused_tables))

    def option(self, engine: str, name: str) -> Any:
        return self.options.get(engine, {}).get(name)

    def derived(self, key: str, compute: Callable[[RuleContext], Any]) -> Any:
        """``compute(self)``, computed once per context (a unit's statement list...)."""
        if key not in self.memo:
            self.memo[key] = compute(self)
        return self.memo[key]


class Rule:
    """Base class of every rule. Subclasses set the metadata and implement ``check``."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NONE
    tags: ClassVar[tuple[str, ...]] = ()
    consumes: ClassVar[tuple[type[Fact], ...]] = ()
    workspace: ClassVar[bool] = False  # reads the catalog instead of single facts
    default_enabled: ClassVar[bool] = True
    options: ClassVar[tuple[str, ...]] = ()  # "engine.option" names the rule reads
    aliases: ClassVar[tuple[str, ...]] = ()
    peers: ClassVar[tuple[str, ...]] = ()

    def check(self, fact: Fact, ctx: RuleContext) -> Iterable[Finding]:
        return ()

    def check_workspace(self, ctx: RuleContext) -> Iterable[Finding]:
        return ()

    def observe_replay(self, catalog: Any) -> Any:
        """A replay observer (``dbsense.analyzers.incremental.ReplayObserver``) for the
        workspace's replay of ``catalog``, for rules that judge statements against the schema of
        their own time without replaying the history again; ``None`` (most rules) for none.
        What it records is found in ``catalog.observations[code]``."""
        return None

    @classmethod
    def engine(cls) -> str:
        module = cls.__module__.split(".")
        return module[module.index("engines") + 1]

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")


class Registry:
    """Every rule of every pack, addressable by code, name, alias, prefix or tag."""

    def __init__(self, rules: Iterable[type[Rule]]) -> None:
        self.rules: dict[str, Rule] = {}
        self._names: dict[str, str] = {}
        for rule_class in rules:
            rule = rule_class()
            if rule.code in self.rules:
                raise ValueError(f"duplicate rule code {rule.code}")
            self.rules[rule.code] = rule
            for name in (rule.name, *rule.aliases):
                self._names[name] = rule.code

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self.rules.values(), key=lambda rule: rule.code))

    def get(self, code_or_name: str) -> Rule | None:
        key = code_or_name.strip()
        code = self._names.get(key.lower(), key.upper())
        return self.rules.get(code)

    def select(self, selector: str) -> set[str] | None:
        """Codes matched by a selector, or ``None`` when it matches nothing we know."""
        key = selector.strip()
        if key.lower() == "all":
            return set(self.rules)
        rule = self.get(key)
        if rule is not None:
            return {rule.code}
        upper = key.upper()
        by_prefix = {code for code in self.rules if code.startswith(upper)}
        if by_prefix and looks_like_code(upper):
            return by_prefix
        by_tag = {rule.code for rule in self.rules.values() if key.lower() in rule.tags}
        return by_tag or None

    def names(self) -> list[str]:
        return sorted(self._names)


def looks_like_code(text: str) -> bool:
    """True for our code-shaped selectors: an engine prefix followed by up to three digits."""
    upper = text.upper()
    for prefix in ENGINE_PREFIXES:
        if upper.startswith(prefix):
            rest = upper[len(prefix) :]
            return (len(rest) <= 3 and rest.isdigit()) or rest == ""
    return False


def discover_rules(package: str) -> list[type[Rule]]:
    """Import every module of ``<package>.rules`` and collect the Rule subclasses defined there."""
    rules_package = importlib.import_module(f"{package}.rules")
    found: list[type[Rule]] = []
    for info in sorted(pkgutil.iter_modules(rules_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{rules_package.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


_REGISTRY: list[Registry] = []


def registry() -> Registry:
    """The registry of all packs, built once per process."""
    if not _REGISTRY:
        rules: list[type[Rule]] = []
        for pack in PACKS:
            module = importlib.import_module(f"dbsense.engines.{pack}")
            rules.extend(module.RULES)
        _REGISTRY.append(Registry(rules))
    return _REGISTRY[0]


def engine_options() -> dict[str, dict[str, Option]]:
    """Every pack's options, keyed by engine section name (``postgres``, ``redis``...)."""
    options: dict[str, dict[str, Option]] = {}
    for pack in PACKS:
        module = importlib.import_module(f"dbsense.engines.{pack}")
        section = getattr(module, "OPTIONS_SECTION", None)
        if section:
            options[section] = {option.name: option for option in module.OPTIONS}
    return options


@dataclass(slots=True)
class Runner:
    """Dispatches facts to the enabled rules that consume them."""

    rules: list[Rule]
    severities: Mapping[str, Severity] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # rules that raised, as notices
    _by_fact: dict[type, list[Rule]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for rule in self.rules:
            if rule.workspace:
                continue
            for fact_type in rule.consumes:
                self._by_fact.setdefault(fact_type, []).append(rule)

    def run_file(
        self, source: SourceFile, facts: Iterable[Fact], ctx: RuleContext
    ) -> list[Violation]:
        violations: list[Violation] = []
        for fact in facts:
            for fact_type in type(fact).__mro__:
                for rule in self._by_fact.get(fact_type, ()):
                    try:
                        findings = list(rule.check(fact, ctx))
                    except Exception as error:  # one rule never stops the rest
                        self._failed(rule, source.path, error)
                        continue
                    violations.extend(self._violation(rule, f, source.path) for f in findings)
        return violations

    def run_workspace(self, ctx: RuleContext) -> list[Violation]:
        violations: list[Violation] = []
        for rule in self.rules:
            if not rule.workspace:
                continue
            try:
                findings = list(rule.check_workspace(ctx))
            except Exception as error:  # one rule never stops the rest
                self._failed(rule, "workspace", error)
                continue
            for finding in findings:
                if finding.path is None:
                    raise ValueError(f"{rule.code}: workspace findings need a path")
                violations.append(self._violation(rule, finding, finding.path))
        return violations

    def _failed(self, rule: Rule, where: str, error: Exception) -> None:
        self.failures.append(
            f"{where}: {rule.code} failed ({type(error).__name__}: {error}); please report it"
        )

    def _violation(self, rule: Rule, finding: Finding, path: str) -> Violation:
        severity = self.severities.get(rule.code) or finding.severity or rule.severity
        return Violation(
            code=rule.code,
            name=rule.name,
            message=finding.message,
            path=finding.path or path,
            span=finding.span,
            severity=severity,
            fix=finding.fix,
            related=finding.related,
            unnecessary=finding.unnecessary,
        )


def _focused_tables(ctx: RuleContext) -> list[Any]:
    return list(ctx.catalog.tables_in(ctx.focus))
