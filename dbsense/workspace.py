"""The one entry point the CLI and the server share: documents + settings -> violations.

A :class:`Workspace` holds the documents of one root. Per-document facts are cached by content
hash, the catalog is replayed from the ordered units, file rules run on each document's facts,
workspace rules on the catalog, then suppressions and per-file ignores are applied. Given a
:class:`RunCache`, a full check first tries to reuse the last one's result (:mod:`dbsense.reuse`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pathspec

from dbsense import __version__
from dbsense.analyzers.catalog import Catalog, paused_gc
from dbsense.analyzers.frontends import document_facts
from dbsense.analyzers.incremental import IncrementalCatalog, ReplayObserver
from dbsense.analyzers.ir import SourceFile, UnitFacts
from dbsense.analyzers.sql.memo import StatementMemo
from dbsense.config import Settings
from dbsense.engines.core import Rule, RuleContext, Runner, Violation
from dbsense.reuse import (
    RunFindings,
    RunRecord,
    changed_documents,
    make_record,
    record_name,
    updated,
)
from dbsense.selection import enabled_rules, severity_overrides
from dbsense.suppress import apply_suppressions, config_violations

ANALYSED_SUFFIXES = (".sql", ".py")
MAX_DOCUMENT_BYTES = 5_000_000
PARALLEL_MIN_DOCUMENTS = 64  # fewer cache misses than this are parsed in-process (startup cost)
# With fewer CPUs a pool costs more than it saves (measured on 2 CPUs: forked workers check
# 10,000 statements 12% faster than one process; a fork server, which must import dbsense
# first, indexes 500 files in the language server 9% slower).
PARALLEL_MIN_CPUS = {"fork": 2, "forkserver": 3}
# A reused record is written again once this many documents differ from it: comparing one
# costs about a millisecond, writing the record of 10,000 statements about 30.
REWRITE_RECORD_AFTER = 8


class CheckInterrupted(Exception):
    """A check given up on because its result would be out of date."""


@dataclass(slots=True)
class CheckResult:
    violations: list[Violation]
    documents: int
    statements: int
    analysed_statements: int
    skipped: list[str] = field(default_factory=list)  # (path: reason) notices

    def by_path(self) -> dict[str, list[Violation]]:
        grouped: dict[str, list[Violation]] = {}
        for violation in self.violations:
            grouped.setdefault(violation.path, []).append(violation)
        return grouped


class FactCache:
    """Facts per document, keyed by dbsense version, path and content hash (in memory).

    ``workers`` caps the processes :meth:`get_many` parses cache misses with (``None``: one
    per available CPU); ``last_workers`` tells how many the last call used. Documents listed
    in ``editing`` (open in an editor) are parsed in-process with a statement memo, so the
    next version re-parses only the statements an edit changed.
    """

    def __init__(self, workers: int | None = None) -> None:
        self._entries: dict[str, UnitFacts] = {}
        self.workers = workers
        self.last_workers = 1
        self.editing: frozenset[str] = frozenset()
        self._memos: dict[str, StatementMemo] = {}
        self._used: set[str] = set()  # the keys the last get_many answered
        self._keys: dict[str, tuple[SourceFile, str]] = {}  # path -> its last source and key

    @staticmethod
    def key(source: SourceFile) -> str:
        digest = hashlib.blake2b(digest_size=20)
        for part in (__version__, source.path, source.text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()

    def key_of(self, source: SourceFile) -> str:
        """:meth:`key`, hashed once per source object (documents are re-checked unchanged)."""
        known = self._keys.get(source.path)
        if known is not None and known[0] is source:
            return known[1]
        key = self.key(source)
        self._keys[source.path] = (source, key)
        return key

    def get(self, source: SourceFile) -> UnitFacts:
        key = self.key_of(source)
        facts = self._entries.get(key)
        if facts is None:
            facts = self.load(key) or self._compute(source)
            self.store(key, facts)
            self._entries[key] = facts
        return facts

    def get_many(self, sources: Sequence[SourceFile]) -> dict[str, UnitFacts]:
        """Facts of every source by path; many cache misses are parsed in a process pool."""
        found: dict[str, UnitFacts] = {}
        missing: list[tuple[str, SourceFile]] = []
        self._used = set()
        for source in sources:
            key = self.key_of(source)
            self._used.add(key)
            facts = self._entries.get(key)
            if facts is None and source.path not in self.editing:
                facts = self.load(key)  # an edited document is re-read from its memo instead
            if facts is None:
                missing.append((key, source))
                continue
            self._entries[key] = facts
            found[source.path] = facts
        edited = [item for item in missing if item[1].path in self.editing]
        pooled = [item for item in missing if item[1].path not in self.editing]
        workers = parallel_workers(len(pooled), self.workers)
        computed = compute_facts([source for _, source in pooled], workers)
        self.last_workers = workers if computed is not None else 1
        if computed is None:
            computed = [document_facts(source) for _, source in pooled]
        computed.extend(self._compute(source) for _, source in edited)
        for (key, source), facts in zip([*pooled, *edited], computed, strict=True):
            self.store(key, facts)
            self._entries[key] = facts
            found[source.path] = facts
        return {source.path: found[source.path] for source in sources}

    def prepare(self, source: SourceFile) -> None:
        """Fill the statement memo of a document being edited, if it has none yet (its facts
        came from disk or a worker process): its next version then re-parses only what
        changed."""
        if source.path in self.editing and source.path not in self._memos:
            self._compute(source)

    def _compute(self, source: SourceFile) -> UnitFacts:
        if source.path not in self.editing:
            return document_facts(source)
        memo = self._memos.setdefault(source.path, StatementMemo())
        return document_facts(source, memo)

    def load(self, key: str) -> UnitFacts | None:
        return None

    def store(self, key: str, facts: UnitFacts) -> None:
        return None

    def same_facts(self, key: str, source: SourceFile) -> bool:
        """Whether ``source`` has the facts stored under ``key`` (``False`` when unknown)."""
        return False

    def retain(self) -> None:
        """Forget the entries the last :meth:`get_many` did not answer: documents that are
        gone or changed (bounded memory)."""
        for key in list(self._entries):
            if key not in self._used:
                del self._entries[key]
        for path in [path for path, (_, key) in self._keys.items() if key not in self._used]:
            del self._keys[path]
        for path in list(self._memos):
            if path not in self.editing:
                del self._memos[path]


class RunCache(Protocol):
    """Where the record of the last full check is kept (see :mod:`dbsense.reuse`)."""

    def load(self, name: str) -> RunRecord | None: ...

    def load_findings(self, name: str, record: RunRecord) -> RunFindings | None: ...

    def store(self, name: str, record: RunRecord, findings: RunFindings) -> None: ...


class Workspace:
    """The documents of one root and the settings that apply to them. With ``runs``, a full
    check reuses what the last one found where it still holds."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        cache: FactCache | None = None,
        runs: RunCache | None = None,
    ) -> None:
        self.root = root
        self.settings = settings
        self.cache = cache or FactCache()
        self.runs = runs
        self._resolved_root = root.resolve()
        self.documents: dict[str, SourceFile] = {}
        self.skipped: dict[str, str] = {}
        self._catalog = IncrementalCatalog()

    # --- documents ---------------------------------------------------------------------

    def set_document(self, path: str, text: str) -> None:
        self.documents[path] = SourceFile(path, text)
        self.skipped.pop(path, None)

    def remove_document(self, path: str) -> None:
        self.documents.pop(path, None)
        self.skipped.pop(path, None)

    def load_files(self, files: Iterable[Path]) -> None:
        """Read files from disk; binary, undecodable or huge files are skipped with a notice."""
        for file in files:
            path = self.relative(file)
            try:
                data = file.read_bytes()
            except OSError as error:
                self.skipped[path] = f"cannot read: {error.strerror or error}"
                continue
            reason = unreadable_reason(data)
            if reason:
                self.skipped[path] = reason
                continue
            self.set_document(path, data.decode("utf-8"))

    def relative(self, file: Path) -> str:
        return _relative(file, self._resolved_root)

    # --- analysis ------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        """The catalog of the last check (empty before the first)."""
        return self._catalog.catalog

    def check(
        self,
        focus: Collection[str] | None = None,
        interrupted: Callable[[], bool] | None = None,
    ) -> CheckResult:
        """Analyse every document and return the violations after suppressions. With
        ``focus`` (the documents open in an editor), only the violations located in those
        documents: the catalog still covers the whole workspace, but file rules and workspace
        rules run for the focused documents alone. ``interrupted`` is asked between documents;
        when it says yes, :class:`CheckInterrupted` is raised (an editor typing again)."""
        with paused_gc():
            return self._check(None if focus is None else frozenset(focus), interrupted)

    def _check(
        self, focus: frozenset[str] | None, interrupted: Callable[[], bool] | None
    ) -> CheckResult:
        sources = sorted(self.documents.values(), key=lambda source: source.path)
        rules = enabled_rules(self.settings)
        configuration = config_violations(self.settings, self.root)
        # A record keeps no configuration findings: only a check with none in a document uses one.
        recorded = focus is None and not any(v.path in self.documents for v in configuration)
        runs = self.runs if recorded else None
        if runs is not None:
            reused = self._reuse(runs, sources, rules, configuration)
            if reused is not None:
                return reused
        units = self.cache.get_many(sources)
        self.cache.retain()
        runner = Runner(rules, severity_overrides(self.settings))
        self._replay(units.values(), rules)
        checked = sources if focus is None else [s for s in sources if s.path in focus]
        found, reads = self._findings(checked, units, runner, focus, interrupted)
        raw = [*found, *configuration]
        if focus is not None:
            raw = [violation for violation in raw if violation.path in focus]
        violations = apply_suppressions(raw, checked, units, self.settings, rules)
        violations.sort(key=lambda v: (v.path, v.span.start, v.code))
        if runs is not None and not runner.failures:
            keys = {source.path: self.cache.key_of(source) for source in sources}
            record, findings = make_record(sources, keys, units, reads, found, violations)
            runs.store(record_name(self.settings), record, findings)
        return CheckResult(
            violations=violations,
            documents=len(sources),
            statements=sum(unit.statements for unit in units.values()),
            analysed_statements=sum(unit.analysed_statements for unit in units.values()),
            skipped=[*self._notices(), *runner.failures],
        )

    def _notices(self) -> list[str]:
        return [f"{path}: {reason}" for path, reason in sorted(self.skipped.items())]

    def _findings(
        self,
        checked: list[SourceFile],
        units: dict[str, UnitFacts],
        runner: Runner,
        focus: frozenset[str] | None,
        interrupted: Callable[[], bool] | None,
    ) -> tuple[list[Violation], dict[str, list[tuple[int, int]]]]:
        """The rules' violations: the file rules' of each checked document, then the
        workspace rules'; and the text ranges the file rules read, per document."""
        options = self.settings.engine_values()
        found: list[Violation] = []
        reads: dict[str, list[tuple[int, int]]] = {}
        for source in checked:
            if interrupted is not None and interrupted():
                raise CheckInterrupted
            facts = units[source.path].facts
            ctx = RuleContext(source, options, self.catalog, facts)
            found.extend(runner.run_file(source, facts, ctx))
            reads[source.path] = ctx.reads
        found.extend(runner.run_workspace(RuleContext(None, options, self.catalog, focus=focus)))
        return found, reads

    def _reuse(
        self,
        runs: RunCache,
        sources: list[SourceFile],
        rules: list[Rule],
        configuration: list[Violation],
    ) -> CheckResult | None:
        """The last full check's result brought up to date, when no rule can find anything
        new (see :mod:`dbsense.reuse`); ``None`` otherwise. The catalog is not replayed."""
        name = record_name(self.settings)
        record = runs.load(name)
        if record is None:
            return None
        cache = self.cache
        changed = changed_documents(record, sources, cache.key_of, cache.same_facts)
        if changed is None:
            return None
        findings = runs.load_findings(name, record)
        if findings is None:
            return None
        units = {source.path: cache.get(source) for source in changed}
        found = [violation for source in changed for violation in findings.found[source.path]]
        again: dict[str, list[Violation]] = {source.path: [] for source in changed}
        for violation in apply_suppressions(found, changed, units, self.settings, rules):
            again[violation.path].append(violation)
        kept = {**findings.kept, **{path: tuple(kept_in) for path, kept_in in again.items()}}
        if len(changed) > REWRITE_RECORD_AFTER:  # else the next check compares them again
            keys = {source.path: cache.key_of(source) for source in changed}
            runs.store(name, *updated(record, findings, keys, kept))
        violations = [*findings.elsewhere, *configuration]
        for violations_in in kept.values():
            violations.extend(violations_in)
        violations.sort(key=lambda v: (v.path, v.span.start, v.code))
        documents = record.documents.values()
        return CheckResult(
            violations=violations,
            documents=len(sources),
            statements=sum(document.statements for document in documents),
            analysed_statements=sum(document.analysed_statements for document in documents),
            skipped=self._notices(),
        )

    def _replay(self, units: Iterable[UnitFacts], rules: list[Rule]) -> None:
        """Bring the catalog up to date with ``units``, replaying from the first unit that
        changed since the last check; the rules that observe the replay record what they need
        on the way."""
        ordered, history_end = self._catalog.planner.plan(units)
        observing = [rule for rule in rules if type(rule).observe_replay is not Rule.observe_replay]

        def observe(catalog: Catalog) -> dict[str, ReplayObserver]:
            made = {rule.code: rule.observe_replay(catalog) for rule in observing}
            return {code: observer for code, observer in made.items() if observer is not None}

        self._catalog.update(
            ordered,
            history_end,
            tuple(rule.code for rule in observing),
            observe,
        )


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def start_method() -> str:
    """How a pool starts its workers: a single-threaded process forks them (cheap: modules
    are already imported); a threaded one, such as the language server, uses a fork server
    so no lock is inherited."""
    return "fork" if threading.active_count() == 1 else "forkserver"


def parallel_workers(misses: int, cap: int | None = None) -> int:
    """How many processes should parse ``misses`` documents: 1 unless there are many."""
    if misses <= PARALLEL_MIN_DOCUMENTS:
        return 1
    if cap is None:
        cap = available_cpus()
        if cap < PARALLEL_MIN_CPUS[start_method()]:
            return 1
    return max(1, min(cap, misses // (PARALLEL_MIN_DOCUMENTS // 2)))


def compute_facts(sources: Sequence[SourceFile], workers: int) -> list[UnitFacts] | None:
    """Facts of ``sources`` (in order) from ``workers`` processes, or ``None`` when a pool is
    not worth it or cannot run here (the caller then parses in-process: same results)."""
    if workers <= 1:
        return None
    import multiprocessing  # imported here: a check that needs no pool starts faster
    from concurrent.futures import ProcessPoolExecutor

    method = start_method()
    if method not in multiprocessing.get_all_start_methods():
        return None
    chunk = max(1, len(sources) // (workers * 8))
    try:
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            pickled = list(pool.map(_pickled_facts, sources, chunksize=chunk))
        from dbsense.cache import loads

        return [loads(data) for data in pickled]
    except Exception:  # a broken pool, an unpicklable result, no semaphores: parse in-process
        return None


def _pickled_facts(source: SourceFile) -> bytes:
    """A worker's facts in the fact cache's pickle format (cheaper to load than the default)."""
    from dbsense.cache import dumps

    return dumps(document_facts(source))


def unreadable_reason(data: bytes) -> str | None:
    """Why a file's bytes are not analysed, or ``None`` when they are fine."""
    if len(data) > MAX_DOCUMENT_BYTES:
        return f"skipped: larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB"
    if b"\0" in data[:8192]:
        return "skipped: binary file"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"skipped: not valid UTF-8 (byte {error.start})"
    return None


def discover(paths: Iterable[Path], root: Path, settings: Settings) -> list[Path]:
    """The analysable files under ``paths``, honouring excludes and ``.gitignore``. An
    excluded or ignored directory (``.git``, ``node_modules``, ``build/``...) is never entered,
    nor a link to a directory."""
    leave_out = _LeftOut(root, settings)
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        else:
            found.extend(sorted(leave_out.files_under(path.resolve())))
    return found


class _LeftOut:
    """What discovery leaves out: excluded names and patterns, and ``.gitignore``d paths."""

    def __init__(self, root: Path, settings: Settings) -> None:
        patterns = [*settings.exclude, *settings.extend_exclude]
        self.names = set(patterns)
        self.spec = pathspec.PathSpec.from_lines("gitignore", patterns)
        self.ignore = _gitignore(root) if settings.respect_gitignore else None
        self.root = root.resolve()

    def skipped(self, relative: str) -> bool:
        """Whether the root-relative path ``relative`` (a directory's ends in ``/``) is left
        out."""
        parts = Path(relative).parts
        if any(part in self.names for part in parts[:-1]) or self.spec.match_file(relative):
            return True
        return self.ignore is not None and self.ignore.match_file(relative)

    def files_under(self, base: Path) -> list[Path]:
        """The files under the resolved directory ``base`` that are not left out."""
        prefix = _relative(base, self.root)
        if Path(prefix).is_absolute():  # outside the root: each file by its resolved path
            files = _files(base, lambda folder: folder.name not in self.names)
            return [file for file, _ in files if not self.skipped(_relative(file, self.root))]

        def named(file: Path) -> str:
            return _below(prefix, file, base)

        kept = []
        for file, linked in _files(base, lambda folder: not self.skipped(named(folder) + "/")):
            # A linked file is where its target is; any other lies where it was found.
            if not self.skipped(_relative(file, self.root) if linked else named(file)):
                kept.append(file)
        return kept


def _files(directory: Path, entered: Callable[[Path], bool]) -> Iterator[tuple[Path, bool]]:
    """Each analysable file below ``directory`` and whether it is a link. Directories that
    are links, or that ``entered`` refuses, are not entered."""
    try:
        with os.scandir(directory) as listing:
            entries = list(listing)
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            folder = Path(entry.path)
            if entered(folder):
                yield from _files(folder, entered)
        elif entry.name.endswith(ANALYSED_SUFFIXES) and entry.is_file():
            yield Path(entry.path), entry.is_symlink()


def _below(prefix: str, file: Path, base: Path) -> str:
    """The root-relative path of ``file`` found under ``base`` (``prefix`` relative)."""
    inner = file.relative_to(base).as_posix()
    return inner if prefix == "." else f"{prefix}/{inner}"


def _relative(file: Path, resolved_root: Path) -> str:
    try:
        return file.resolve().relative_to(resolved_root).as_posix()
    except ValueError:
        return file.as_posix()


def _gitignore(root: Path) -> pathspec.PathSpec | None:
    gitignore = root / ".gitignore"
    if not gitignore.is_file():
        return None
    try:
        lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.PathSpec.from_lines("gitignore", lines)
