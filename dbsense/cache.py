"""The on-disk caches: one pickle of facts per document version, and the record of the last
full check per set of settings. Both are safe under concurrent runs."""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import functools
import hashlib
import io
import operator
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable, Collection
from enum import Enum
from pathlib import Path

import sqlglot

from dbsense import __version__, reuse
from dbsense.analyzers import ir
from dbsense.analyzers.ir import SourceFile, UnitFacts, field_names, field_setters
from dbsense.engines import core
from dbsense.reuse import RunFindings, RunRecord
from dbsense.workspace import FactCache

CACHE_DIR = ".dbsense_cache"
STALE_AFTER = 7 * 24 * 3600  # seconds an entry nothing wrote again is kept
PRUNE_EVERY = 24 * 3600  # seconds between two prunings of a cache directory


class DiskFactCache(FactCache):
    def __init__(self, root: Path, workers: int | None = None) -> None:
        super().__init__(workers)
        self.directory = root / CACHE_DIR / f"{__version__}-{ir_fingerprint()}"

    def load(self, key: str) -> UnitFacts | None:
        facts = _load(self.directory / f"{key}.pickle", _FactUnpickler)
        return facts if isinstance(facts, UnitFacts) else None

    def store(self, key: str, facts: UnitFacts) -> None:
        target = self.directory / f"{key}.pickle"
        if not target.exists():
            _store(target, facts, self.directory.parent)

    def same_facts(self, key: str, source: SourceFile) -> bool:
        """Compares the two stored pickles byte for byte, without loading them: equal bytes
        are equal facts (and equal facts parsed by the same code pickle the same, so a
        difference between equal facts could only cost a reuse, never give a wrong one)."""
        self.get(source)
        try:
            seen = (self.directory / f"{key}.pickle").read_bytes()
            now = (self.directory / f"{self.key_of(source)}.pickle").read_bytes()
        except OSError:
            return False
        return seen == now

    def prune(self, keep: Collection[str]) -> None:
        """Keep the cache bounded (at most once a day): remove what was written more than a
        week ago and is not the facts of a document version in ``keep`` (earlier versions,
        other branches' versions, other settings' records, files of interrupted writes), and
        the directories of other dbsense versions that nothing wrote to for a week. A removed
        entry is only ever a miss for whoever wanted it."""
        marker = self.directory / "pruned"
        now = time.time()
        try:
            if now - marker.stat().st_mtime < PRUNE_EVERY:
                return
        except OSError:
            pass
        cutoff = now - STALE_AFTER
        wanted = {f"{key}.pickle" for key in keep}
        for folder in (self.directory, self.directory / "runs"):
            for entry in _stale(folder, cutoff):
                if entry.is_file() and entry.name not in wanted:
                    _remove(entry.path)
        for entry in _stale(self.directory.parent, cutoff):
            if entry.is_dir() and entry.path != str(self.directory):
                shutil.rmtree(entry.path, ignore_errors=True)
        with contextlib.suppress(OSError):
            marker.touch()


def _stale(folder: Path, cutoff: float) -> list[os.DirEntry]:
    """The entries of ``folder`` last modified before ``cutoff``."""
    try:
        with os.scandir(folder) as entries:
            return [entry for entry in entries if _mtime(entry) < cutoff]
    except OSError:
        return []


def _mtime(entry: os.DirEntry) -> float:
    try:
        return entry.stat(follow_symlinks=False).st_mtime
    except OSError:
        return float("inf")


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


class DiskRunCache:
    """The record of the last full check per set of settings (see :mod:`dbsense.reuse`),
    kept beside the facts; a record made by other dbsense code is never used."""

    def __init__(self, facts: DiskFactCache) -> None:
        self.cache_root = facts.directory.parent
        self.directory = facts.directory / "runs"

    def load(self, name: str) -> RunRecord | None:
        record = self._load(f"{name}.pickle")
        return record if reuse.well_formed(record) else None

    def load_findings(self, name: str, record: RunRecord) -> RunFindings | None:
        findings = self._load(f"{name}.findings.pickle")
        return findings if reuse.findings_well_formed(findings, record) else None

    def store(self, name: str, record: RunRecord, findings: RunFindings) -> None:
        """Write both parts, the findings first: a check that reads the new record finds its
        findings (parts of two concurrent checks differ in their token, see ``reuse``)."""
        self._store(f"{name}.findings.pickle", findings)
        self._store(f"{name}.pickle", record)

    def _load(self, file: str) -> object:
        found = _load(self.directory / file, _RunUnpickler)
        if type(found) is tuple and len(found) == 2 and found[0] == code_fingerprint():
            return found[1]
        return None

    def _store(self, file: str, value: object) -> None:
        _store(self.directory / file, (code_fingerprint(), value), self.cache_root)


def _load(path: Path, unpickler: type[pickle.Unpickler]) -> object:
    try:
        with open(path, "rb") as handle:
            return unpickler(handle).load()
    except (
        OSError,
        pickle.UnpicklingError,
        EOFError,
        AttributeError,
        ImportError,
        ValueError,
        TypeError,
    ):
        return None


def _store(target: Path, value: object, cache_root: Path) -> None:
    """Write ``value``'s pickle to ``target`` atomically (a reader never sees half a file)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _ignore_in_git(cache_root)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(dumps(value))
        os.replace(temporary, target)
    except (OSError, pickle.PicklingError, RecursionError):
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(temporary)


@functools.cache
def code_fingerprint() -> str:
    """Changes whenever a source file of dbsense's analysis changes (a new release, or an
    edit in a development checkout), so a record is reused only by the code that made it."""
    import dbsense
    from dbsense import analyzers, engines

    # Installed, analyzers/ and engines/ lie inside dbsense/: each file is read once.
    files = {
        file
        for package in (dbsense, analyzers, engines)
        for folder in package.__path__
        for file in Path(folder).rglob("*.py")
    }
    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    for file in sorted(files):
        stat = file.stat()
        digest.update(f"{file}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


# The layout of the pickles; a change of it (or of a fact type) names a new cache directory.
FORMAT = 2


def ir_fingerprint() -> str:
    """Changes whenever a fact type gains or loses a field, or the SQL parser's version
    changes, so stale pickles are never read."""
    digest = hashlib.blake2b(
        f"format {FORMAT}; sqlglot {sqlglot.__version__};".encode(), digest_size=6
    )
    for name, value in sorted(vars(ir).items()):
        fields = getattr(value, "__dataclass_fields__", None)
        if fields:
            digest.update(f"{name}:{','.join(fields)};".encode())
    return digest.hexdigest()


@functools.cache
def _builder(cls: type) -> Callable[[tuple], object]:
    """``cls``'s rebuild function: a new instance from its field values, without ``__init__``
    (as pickle does) and with one slot store per field, written out. It is a global of this
    module (``_build_<module>_<class>``), so a pickle names it directly: one call per object
    (149,000 objects in a warm check of 10,000 statements)."""
    setters = field_setters(cls)
    stores = "".join(f"    set{i}(instance, values[{i}])\n" for i in range(len(setters)))
    source = (
        "def build(values):\n"
        f"    if type(values) is not tuple or len(values) != {len(setters)}:\n"
        "        raise ValueError('not the fields of a fact')\n"
        "    instance = new(cls)\n"
        f"{stores}"
        "    return instance\n"
    )
    namespace = {"new": object.__new__, "cls": cls}
    namespace.update((f"set{index}", setter) for index, setter in enumerate(setters))
    exec(source, namespace)
    build = namespace["build"]
    build.__module__ = __name__
    build.__name__ = build.__qualname__ = _builder_name(cls)
    globals()[build.__name__] = build
    return build


def _builder_name(cls: type) -> str:
    return f"_build_{cls.__module__.rsplit('.', 1)[-1]}_{cls.__name__}"


class _Reductions(dict):
    """The pickler's dispatch table, filled on first sight of each dataclass type: an
    instance pickles as a call of its type's builder with its field values (read by
    ``operator.attrgetter``, so the only Python call per object is the reduction itself)."""

    def __missing__(self, cls: type) -> Callable[[object], tuple]:
        if not dataclasses.is_dataclass(cls):
            raise KeyError(cls)
        build, values = _builder(cls), _field_values(cls)

        def reduce(obj: object) -> tuple:
            return build, (values(obj),)

        self[cls] = reduce
        return reduce


def _field_values(cls: type) -> Callable[[object], tuple]:
    names = field_names(cls)
    if len(names) > 1:
        return operator.attrgetter(*names)
    getters = [operator.attrgetter(name) for name in names]  # a tuple of one, or none
    return lambda obj: tuple(getter(obj) for getter in getters)


_REDUCTIONS = _Reductions()


class _FactUnpickler(pickle.Unpickler):
    """Loads only fact dataclasses: a cache directory can come with an untrusted checkout, and
    a plain ``pickle.load`` of a planted entry would run arbitrary code."""

    def allowed(self, module: str, name: str) -> type | None:
        """The type ``name`` of dbsense module ``module`` (its last part) when this unpickler
        may make one, else ``None``."""
        value = getattr(ir, name, None) if module == "ir" else None
        if isinstance(value, type) and (dataclasses.is_dataclass(value) or issubclass(value, Enum)):
            return value
        return None

    def find_class(self, module: str, name: str) -> object:
        if module == __name__ and name.startswith("_build_"):
            tag, _, type_name = name.removeprefix("_build_").partition("_")
            cls = self.allowed(tag, type_name)
            if cls is not None and dataclasses.is_dataclass(cls):
                return _builder(cls)
        elif module.startswith("dbsense."):
            cls = self.allowed(module.rsplit(".", 1)[-1], name)
            if cls is not None and cls.__module__ == module:
                return cls
        elif module == "builtins" and name in ("frozenset", "set", "complex"):
            return getattr(builtins, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a dbsense fact type")


class _RunUnpickler(_FactUnpickler):
    """Loads a check's record: fact types, and the types findings are made of."""

    FINDING_TYPES = frozenset({"Violation", "Fix", "Edit", "Related", "Severity", "Applicability"})

    def allowed(self, module: str, name: str) -> type | None:
        if module == "reuse" and name in ("RunRecord", "RunFindings", "DocumentRecord"):
            return getattr(reuse, name)
        if module == "core" and name in self.FINDING_TYPES:
            return getattr(core, name)
        return super().allowed(module, name)


def dumps(value: object) -> bytes:
    """Facts (or a record) as pickle bytes that load about twice as fast as the default
    reduction of their dataclasses."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCTIONS
    pickler.dump(value)
    return buffer.getvalue()


def loads(data: bytes) -> UnitFacts:
    """Facts from :func:`dumps` bytes (fact types only, as the disk cache loads them)."""
    facts = _FactUnpickler(io.BytesIO(data)).load()
    if not isinstance(facts, UnitFacts):
        raise pickle.UnpicklingError("not a document's facts")
    return facts


def _ignore_in_git(directory: Path) -> None:
    marker = directory / ".gitignore"
    if not marker.exists():
        marker.write_text("# Created by dbsense\n*\n", encoding="utf-8")
