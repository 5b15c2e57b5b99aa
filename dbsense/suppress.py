"""Apply suppression comments and per-file ignores; report unused and unknown codes.

Also turns configuration problems into ``DBS004``/``DBS003`` violations on the config file.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from pathlib import Path

import pathspec

from dbsense.analyzers.ir import SourceFile, Span, SuppressedCode, Suppression, UnitFacts
from dbsense.config import Settings, locate_key
from dbsense.engines.core import (
    Applicability,
    Edit,
    Fix,
    Rule,
    Severity,
    Violation,
    looks_like_code,
    registry,
)

UNUSED = "DBS002"
UNKNOWN = "DBS003"
INVALID_CONFIG = "DBS004"
_NEWLINE = re.compile("\n")


def apply_suppressions(
    violations: list[Violation],
    sources: Iterable[SourceFile],
    units: Mapping[str, UnitFacts],
    settings: Settings,
    rules: list[Rule],
) -> list[Violation]:
    """Violations that survive suppressions, plus unused/unknown-suppression findings. Live
    rules never count as having run for unused suppressions: they need a database."""
    enabled = {rule.code for rule in rules if "live" not in rule.tags}
    texts = {source.path: source.text for source in sources}
    ignored_by_path = _per_file_ignores(settings, texts)
    by_path: dict[str, list[Violation]] = {}
    for violation in violations:
        by_path.setdefault(violation.path, []).append(violation)
    kept: list[Violation] = []
    for path, file_violations in by_path.items():
        if path not in texts:
            kept.extend(file_violations)
    for path, text in texts.items():
        ignored = ignored_by_path.get(path, set())
        file_violations = [v for v in by_path.get(path, ()) if v.code not in ignored]
        suppressions = units[path].suppressions if path in units else ()
        kept.extend(_FileSuppressions(path, text, suppressions, enabled).apply(file_violations))
    return kept


def _per_file_ignores(settings: Settings, texts: Mapping[str, str]) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for pattern, selectors in settings.per_file_ignores.items():
        spec = pathspec.PathSpec.from_lines("gitignore", [pattern])
        codes = set()
        for selector in selectors:
            codes |= registry().select(selector) or set()
        for path in texts:
            if spec.match_file(path):
                result.setdefault(path, set()).update(codes)
    return result


class _FileSuppressions:
    def __init__(
        self, path: str, text: str, suppressions: Iterable[Suppression], enabled: set[str]
    ) -> None:
        self.path = path
        self.text = text
        self.enabled = enabled
        self.suppressions = list(suppressions)
        self.used: set[tuple[int, int]] = set()  # (comment start, code start)
        self.line_starts = [0, *(match.end() for match in _NEWLINE.finditer(text))]

    def apply(self, violations: list[Violation]) -> list[Violation]:
        by_line: dict[int, list[Suppression]] = {}
        file_level: list[Suppression] = []
        for suppression in self.suppressions:
            target = (
                file_level if suppression.file_level else by_line.setdefault(suppression.line, [])
            )
            target.append(suppression)
        kept = []
        for violation in violations:
            line = bisect_right(self.line_starts, violation.span.start) - 1
            candidates = file_level + by_line.get(line, [])
            if not any(self._suppresses(s, violation.code) for s in candidates):
                kept.append(violation)
        kept.extend(self._meta_findings())
        return kept

    def _suppresses(self, suppression: Suppression, code: str) -> bool:
        if not suppression.codes:
            return True  # blanket noqa
        hit = False
        for item in suppression.codes:
            if code in (registry().select(item.selector) or ()):
                self.used.add((suppression.span.start, item.span.start))
                hit = True
        return hit

    def _meta_findings(self) -> list[Violation]:
        findings: list[Violation] = []
        seen: set[int] = set()
        for suppression in self.suppressions:
            if suppression.span.start in seen or not suppression.codes:
                continue
            seen.add(suppression.span.start)
            unused: list[SuppressedCode] = []
            for item in suppression.codes:
                codes = registry().select(item.selector)
                if codes is None:
                    if looks_like_code(item.selector) or self._is_directive(suppression):
                        findings.append(self._unknown(item))
                    continue
                ran = codes & self.enabled
                if ran and (suppression.span.start, item.span.start) not in self.used:
                    unused.append(item)
            for item in unused:
                findings.append(self._unused(suppression, item, unused))
        return [f for f in findings if f.code in self.enabled]

    def _is_directive(self, suppression: Suppression) -> bool:
        return "dbsense" in self.text[suppression.span.start : suppression.span.end]

    def _unknown(self, item: SuppressedCode) -> Violation:
        return Violation(
            UNKNOWN,
            "unknown-code",
            f"`{item.selector}` matches no dbsense rule{_suggestion(item.selector)}",
            self.path,
            item.span,
            Severity.WARNING,
        )

    def _unused(
        self, suppression: Suppression, item: SuppressedCode, unused: list[SuppressedCode]
    ) -> Violation:
        if len(unused) == len(suppression.codes):
            edit = Edit(self._comment_removal(suppression.span), "")
            title = "Remove the unused suppression comment"
        else:
            edit = Edit(_code_removal(suppression.codes, item), "")
            title = f"Remove `{item.selector}` from the suppression"
        return Violation(
            UNUSED,
            "unused-suppression",
            f"unused suppression of `{item.selector}`: nothing to suppress on this line",
            self.path,
            item.span,
            Severity.WARNING,
            Fix(title, (edit,), Applicability.SAFE),
            unnecessary=True,
        )

    def _comment_removal(self, span: Span) -> Span:
        """The comment plus the blanks before it, or its whole line when it stands alone."""
        line_start = self.text.rfind("\n", 0, span.start) + 1
        line_end = self.text.find("\n", span.end)
        line_end = len(self.text) if line_end == -1 else line_end
        if (
            not self.text[line_start : span.start].strip()
            and not self.text[span.end : line_end].strip()
        ):
            return Span(line_start, min(line_end + 1, len(self.text)))
        start = span.start
        while start > line_start and self.text[start - 1] in " \t":
            start -= 1
        return Span(start, span.end)


def _code_removal(codes: tuple[SuppressedCode, ...], item: SuppressedCode) -> Span:
    index = codes.index(item)
    if index + 1 < len(codes):
        return Span(item.span.start, codes[index + 1].span.start)
    return Span(codes[index - 1].span.end, item.span.end)


def _suggestion(selector: str) -> str:
    candidates = [rule.code for rule in registry()] + registry().names()
    close = difflib.get_close_matches(selector, candidates, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def config_violations(settings: Settings, root: Path) -> list[Violation]:
    """DBS004 for invalid keys and values, DBS003 for unknown selectors, on the config file."""
    if settings.source is None:
        return []
    try:
        path = settings.source.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        path = settings.source.as_posix()
    violations = [
        Violation(
            INVALID_CONFIG,
            "invalid-configuration",
            f"`{problem.key}` {problem.message}",
            path,
            problem.span or Span(0, 0),
            Severity.ERROR if problem.error else Severity.WARNING,
        )
        for problem in settings.problems
    ]
    try:
        text = settings.source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return violations
    for selector in _configured_selectors(settings):
        if registry().select(selector) is None and (looks_like_code(selector) or "-" in selector):
            violations.append(
                Violation(
                    UNKNOWN,
                    "unknown-code",
                    f"`{selector}` matches no dbsense rule{_suggestion(selector)}",
                    path,
                    _selector_span(text, selector),
                    Severity.WARNING,
                )
            )
    return violations


def _configured_selectors(settings: Settings) -> list[str]:
    selectors = [*(settings.select or ()), *settings.ignore, *settings.extend_select]
    for codes in settings.per_file_ignores.values():
        selectors.extend(codes)
    selectors.extend(settings.severities)
    return list(dict.fromkeys(selectors))


def _selector_span(text: str, selector: str) -> Span:
    for quoted in (f'"{selector}"', f"'{selector}'"):
        index = text.find(quoted)
        if index != -1:
            return Span(index + 1, index + 1 + len(selector))
    located = locate_key(text, "", selector)
    return located or Span(0, 0)
