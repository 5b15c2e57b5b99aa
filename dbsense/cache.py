"""An on-disk fact cache: one pickle per document version, safe under concurrent runs."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from dbsense import __version__
from dbsense.analyzers import ir
from dbsense.analyzers.ir import UnitFacts
from dbsense.workspace import FactCache

CACHE_DIR = ".dbsense_cache"


class DiskFactCache(FactCache):
    def __init__(self, root: Path, workers: int | None = None) -> None:
        super().__init__(workers)
        self.directory = root / CACHE_DIR / f"{__version__}-{ir_fingerprint()}"

    def load(self, key: str) -> UnitFacts | None:
        try:
            with open(self.directory / f"{key}.pickle", "rb") as handle:
                facts = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        return facts if isinstance(facts, UnitFacts) else None

    def store(self, key: str, facts: UnitFacts) -> None:
        target = self.directory / f"{key}.pickle"
        if target.exists():
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _ignore_in_git(self.directory.parent)
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(descriptor, "wb") as handle:
                pickle.dump(facts, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, target)
        except (OSError, pickle.PicklingError, RecursionError):
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(temporary)


def ir_fingerprint() -> str:
    """Changes whenever a fact type gains or loses a field, so stale pickles are never read."""
    digest = hashlib.blake2b(digest_size=6)
    for name, value in sorted(vars(ir).items()):
        fields = getattr(value, "__dataclass_fields__", None)
        if fields:
            digest.update(f"{name}:{','.join(fields)};".encode())
    return digest.hexdigest()


def _ignore_in_git(directory: Path) -> None:
    marker = directory / ".gitignore"
    if not marker.exists():
        marker.write_text("# Created by dbsense\n*\n", encoding="utf-8")
