"""Reusing the last full check's result when a re-run would find the same.

A check's findings depend on the settings, on every document's facts (the catalog is replayed
from them), on the parts of each document's text its file rules read (noted by
:class:`~dbsense.engines.core.RuleContext`) and on the document's suppressions. When every
document's facts are what the last check saw, and each changed document's rules would read the
same text (a file touched, a comment edited or added outside the text rules read), no rule can
find anything new: the unchanged documents' findings stand, and only the changed documents'
suppressions are applied again. No catalog is replayed. Any other change (facts, settings,
dbsense's code, the set of documents) checks everything.

A record comes in two parts, so a check that cannot reuse it reads only the small one: what
was seen of each document (:class:`RunRecord`), and what was found (:class:`RunFindings`).
Both carry the same token, so parts written by two concurrent checks are never mixed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from dbsense.analyzers.ir import SourceFile, UnitFacts
from dbsense.config import Settings
from dbsense.engines.core import Violation


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """What the last check saw of one document."""

    key: str  # the fact cache's key of its text
    statements: int
    analysed_statements: int
    reads: tuple[tuple[int, int], ...]  # the text ranges its file rules read
    read: str  # a digest of the text in those ranges

    def same_read(self, text: str) -> bool:
        return read_digest(text, self.reads) == self.read


@dataclass(frozen=True, slots=True)
class RunRecord:
    token: str
    documents: dict[str, DocumentRecord]  # by path


@dataclass(frozen=True, slots=True)
class RunFindings:
    token: str
    found: dict[str, tuple[Violation, ...]]  # the rules' violations per document located in
    kept: dict[str, tuple[Violation, ...]]  # what was left of them after suppressions
    elsewhere: tuple[Violation, ...]  # the rules' violations located in no document


def record_name(settings: Settings) -> str:
    """The name a check's record is kept under: one per set of settings."""
    return hashlib.blake2b(repr(settings).encode("utf-8"), digest_size=16).hexdigest()


def read_digest(text: str, reads: Iterable[tuple[int, int]]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for start, end in reads:
        digest.update(f"{start}:{end}:".encode())
        digest.update(text[start:end].encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def make_record(
    sources: Iterable[SourceFile],
    keys: Mapping[str, str],
    units: Mapping[str, UnitFacts],
    reads: Mapping[str, list[tuple[int, int]]],
    found: Iterable[Violation],
    kept: Iterable[Violation],
) -> tuple[RunRecord, RunFindings]:
    """The record of a full check: ``found`` are the rules' violations, ``kept`` what was
    left of them (and of the configuration's) after suppressions."""
    token = _token()
    found_in, elsewhere = _by_path(found, keys)
    kept_in, _ = _by_path(kept, keys)
    documents = {}
    for source in sources:
        path, unit = source.path, units[source.path]
        ranges = tuple(reads.get(path, ()))
        documents[path] = DocumentRecord(
            key=keys[path],
            statements=unit.statements,
            analysed_statements=unit.analysed_statements,
            reads=ranges,
            read=read_digest(source.text, ranges),
        )
    findings = RunFindings(
        token,
        {path: tuple(found_in.get(path, ())) for path in documents},
        {path: tuple(kept_in.get(path, ())) for path in documents},
        tuple(elsewhere),
    )
    return RunRecord(token, documents), findings


def updated(
    record: RunRecord,
    findings: RunFindings,
    keys: Mapping[str, str],
    kept: dict[str, tuple[Violation, ...]],
) -> tuple[RunRecord, RunFindings]:
    """The record with the documents' new ``keys`` (their facts and what their rules read
    unchanged) and the violations ``kept`` after suppressions."""
    token = _token()
    documents = {
        path: replace(document, key=keys[path]) if path in keys else document
        for path, document in record.documents.items()
    }
    return RunRecord(token, documents), RunFindings(token, findings.found, kept, findings.elsewhere)


def changed_documents(
    record: RunRecord,
    sources: list[SourceFile],
    key_of: Callable[[SourceFile], str],
    same_facts: Callable[[str, SourceFile], bool],
) -> list[SourceFile] | None:
    """The documents whose text changed since ``record``, when nothing else did: the same
    documents, each changed one with the same text where its rules read and the facts it
    had (``same_facts(recorded key, document)``). ``None`` when the record does not hold."""
    documents = record.documents
    if documents.keys() != {source.path for source in sources}:
        return None
    changed = [source for source in sources if key_of(source) != documents[source.path].key]
    if not all(documents[source.path].same_read(source.text) for source in changed):
        return None
    if not all(same_facts(documents[source.path].key, source) for source in changed):
        return None
    return changed


def well_formed(record: object) -> bool:
    """A record read from disk holds what a check stored (a forged one is not used)."""
    if not isinstance(record, RunRecord) or type(record.documents) is not dict:
        return False
    return all(
        type(document) is DocumentRecord
        and type(document.key) is str
        and type(document.read) is str
        and type(document.statements) is int
        and type(document.analysed_statements) is int
        and type(document.reads) is tuple
        and all(_is_range(item) for item in document.reads)
        for document in record.documents.values()
    )


def findings_well_formed(findings: object, record: RunRecord) -> bool:
    """``findings`` were stored with ``record`` and hold what a check stored."""
    if not isinstance(findings, RunFindings) or findings.token != record.token:
        return False
    if not (type(findings.found) is dict and type(findings.kept) is dict):
        return False
    if not findings.found.keys() == record.documents.keys() == findings.kept.keys():
        return False
    groups = [findings.elsewhere, *findings.found.values(), *findings.kept.values()]
    return all(
        type(group) is tuple and all(type(item) is Violation for item in group) for group in groups
    )


def _token() -> str:
    return secrets.token_hex(8)


def _is_range(item: object) -> bool:
    return type(item) is tuple and len(item) == 2 and all(type(end) is int for end in item)


def _by_path(
    violations: Iterable[Violation], documents: Mapping[str, str]
) -> tuple[dict[str, list[Violation]], list[Violation]]:
    grouped: dict[str, list[Violation]] = {}
    outside: list[Violation] = []
    for violation in violations:
        if violation.path in documents:
            grouped.setdefault(violation.path, []).append(violation)
        else:
            outside.append(violation)
    return grouped, outside
