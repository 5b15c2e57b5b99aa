"""One workspace root as the server sees it: settings, documents, the last analysis.

Everything that touches the :class:`~dbsense.workspace.Workspace` runs on the analysis thread
(methods marked *worker*); the event loop only swaps immutable snapshots in and out.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pygls.uris import from_fs_path

from dbsense.analyzers.catalog import Catalog
from dbsense.analyzers.ir import SourceFile, UnitFacts
from dbsense.cache import DiskFactCache
from dbsense.config import ConfigError, Settings, find_config, load_settings
from dbsense.engines.core import Violation
from dbsense.server.convert import PositionMap
from dbsense.server.settings import EditorSettings
from dbsense.workspace import MAX_DOCUMENT_BYTES, CheckResult, Workspace, discover

CONFIG_NAMES = ("pyproject.toml", "dbsense.toml")
COLLECT_EVERY = 16  # idle() collects what is not frozen this often...
COLLECT_AFTER = 1_000_000  # ...or when more container objects than this were allocated


@dataclass(frozen=True, slots=True)
class OpenDocument:
    """A document the client has open: its text and version override the file on disk."""

    uri: str
    path: str  # relative to the project's workspace root
    text: str
    version: int | None


@dataclass(slots=True)
class Analysis:
    """The result of one analysis run, with the texts and versions it saw."""

    result: CheckResult
    texts: dict[str, str]  # every analysed document's text
    versions: dict[str, int | None]  # open documents: the version analysed
    units: dict[str, UnitFacts]  # open documents' facts
    catalog: Catalog
    settings: Settings
    generation: int = 0  # the project's generation when the run started
    focus: frozenset[str] | None = None  # the documents its findings cover (None: all)
    by_path: dict[str, list[Violation]] = field(default_factory=dict)
    # (path, encoding) -> the map of a text; shared with the project's other analyses, so an
    # unchanged document's map is made once, not on every run
    maps: dict[tuple[str, str], PositionMap] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_path = self.result.by_path()

    def covers(self, path: str) -> bool:
        """Whether the findings of ``path`` were computed (not only its text seen)."""
        return self.focus is None or path in self.focus

    def positions(self, path: str, encoding: str) -> PositionMap | None:
        text = self.texts.get(path)
        if text is None:
            return None
        key = (path, encoding)
        found = self.maps.get(key)
        if found is None or found.text is not text:
            found = self.maps[key] = PositionMap(text, encoding)
        return found


class IndexCache(DiskFactCache):
    """Facts cache: reads ``.dbsense_cache`` and writes to it only while indexing files from
    disk, never for the versions typed in the editor."""

    writing = False

    def store(self, key: str, facts: UnitFacts) -> None:
        if self.writing:
            super().store(key, facts)


class Project:
    """A workspace folder (or the directory of a file outside every folder)."""

    def __init__(self, folder: Path, indexed: bool) -> None:
        self.folder = folder
        self.indexed = indexed  # a workspace folder is indexed; a loose directory is not
        self.uri = from_fs_path(str(folder)) or folder.as_uri()
        self.editor = EditorSettings()
        self.notices: list[str] = []  # messages for the client, drained by the server
        self.shown: list[str] = []  # of those, the ones the user must see
        self._noticed: set[str] = set()
        self.open: dict[str, OpenDocument] = {}  # path -> document (replaced, never mutated)
        self.analysis: Analysis | None = None  # the newest analysis (of the open documents)
        self.complete: Analysis | None = None  # the newest analysis of every document
        self._lock = threading.Lock()
        self._stale_files: set[str] = set()  # paths to re-read from disk
        self._previously_open: set[str] = set()
        self.generation = 0  # bumped by every change of the analysis inputs
        self.indexed_paths: frozenset[str] = frozenset()  # what discovery found last time
        self._settled: Catalog | None = None  # the catalog garbage was last collected after
        self._quiet_moments = 0  # calls of idle()
        self._uris: dict[str, str] = {}  # path -> uri, for paths no open document names
        self._position_maps: dict[tuple[str, str], PositionMap] = {}  # for every analysis
        self.settings, self.workspace = self._build(EditorSettings())

    # --- loop side ---------------------------------------------------------------------------

    def path_of(self, file: Path) -> str:
        return self.workspace.relative(file)

    def uri_of(self, path: str) -> str:
        document = self.open.get(path)
        if document is not None:
            return document.uri
        uri = self._uris.get(path)
        if uri is None:
            uri = self._uris[path] = from_fs_path(str(self.workspace.root / path)) or ""
        return uri

    def contains(self, file: Path) -> bool:
        return file == self.folder or self.folder in file.parents

    def touch(self) -> None:
        """Record that an input of the analysis changed (documents, files, settings)."""
        self.generation += 1

    def up_to_date(self) -> bool:
        """Whether the last analysis saw every current input."""
        return self.analysis is not None and self.analysis.generation == self.generation

    def units_for(self, analysis: Analysis, path: str) -> None:
        """Add the facts of an already analysed document to ``analysis`` (cache hit)."""
        if path not in analysis.units and path in analysis.texts:
            analysis.units[path] = self.workspace.cache.get(SourceFile(path, analysis.texts[path]))

    def mark_stale(self, path: str) -> None:
        with self._lock:
            self._stale_files.add(path)
        self.touch()

    # --- worker side -------------------------------------------------------------------------

    def configure(self, editor: EditorSettings) -> None:
        """*worker* Re-read the configuration file and combine it with ``editor``."""
        settings, workspace = self._build(editor)
        if workspace.root != self.workspace.root:
            self.workspace = workspace
            self._uris = {}
        self.workspace.settings = settings
        self.settings = settings
        self.editor = editor
        self.touch()

    def _build(self, editor: EditorSettings) -> tuple[Settings, Workspace]:
        file_settings = Settings()
        config = (
            None if editor.configuration_preference == "editorOnly" else find_config(self.folder)
        )
        if config is not None:
            try:
                file_settings = load_settings(config)
            except ConfigError as error:
                self.notify(f"{error}; using defaults", show=True)
        for problem in editor.problems:
            self.notify(problem)
        settings = editor.combine(file_settings)
        root = self.folder
        if file_settings.root is not None and (
            root == file_settings.root or file_settings.root in root.parents
        ):
            root = file_settings.root
        existing = getattr(self, "workspace", None)
        if existing is not None and existing.root == root:
            return settings, existing
        return settings, Workspace(root, settings, IndexCache(root))

    def discover(self) -> list[Path]:
        """*worker* The analysable files of the folder."""
        if not self.indexed:
            return []
        return discover([self.folder], self.workspace.root, self.settings)

    def load(self, files: list[Path]) -> None:
        """*worker* Read ``files`` (unless open) and compute their facts."""
        self.touch()
        cache = self.workspace.cache
        if isinstance(cache, IndexCache):
            cache.writing = True
        try:
            fresh = [file for file in files if self.path_of(file) not in self.open]
            self.workspace.load_files(fresh)
            sources = []
            for file in fresh:
                path = self.path_of(file)
                source = self.workspace.documents.get(path)
                if source is not None:
                    sources.append(source)
                elif path in self.workspace.skipped:
                    self.notify(f"{path}: {self.workspace.skipped[path]}")
            cache.get_many(sources)
            if isinstance(cache, IndexCache):
                documents = self.workspace.documents.values()
                cache.prune({cache.key_of(source) for source in documents})
        finally:
            if isinstance(cache, IndexCache):
                cache.writing = False

    def forget_missing(self, files: list[Path]) -> None:
        """*worker* Drop documents that are neither on the file list nor open."""
        self.touch()
        self.indexed_paths = frozenset(self.path_of(file) for file in files)
        keep = self.indexed_paths | set(self.open)
        for path in list(self.workspace.documents):
            if path not in keep:
                self.workspace.remove_document(path)

    def analyse(
        self, complete: bool = False, interrupted: Callable[[], bool] | None = None
    ) -> Analysis:
        """*worker* Bring the workspace up to date with the open documents and check them (or,
        ``complete``, every document; ``interrupted`` can stop that: ``CheckInterrupted``).
        It turns the cyclic garbage collector off: :meth:`idle` collects, once results are out."""
        gc.disable()
        generation = self.generation
        open_now = dict(self.open)
        with self._lock:
            stale, self._stale_files = self._stale_files, set()
        for path in (stale | self._previously_open) - set(open_now):
            self._reload(path)
        self._previously_open = set(open_now)
        for path, document in open_now.items():
            current = self.workspace.documents.get(path)
            if current is None or current.text != document.text:
                self._set_open_text(path, document.text)
        self.workspace.cache.editing = frozenset(open_now)
        focus = None if complete else frozenset(open_now)
        result = self.workspace.check(focus, interrupted)
        documents = dict(self.workspace.documents)
        units = {
            path: self.workspace.cache.get(documents[path])
            for path in open_now
            if path in documents
        }
        return Analysis(
            result=result,
            texts={path: source.text for path, source in documents.items()},
            versions={path: document.version for path, document in open_now.items()},
            units=units,
            catalog=self.workspace.catalog,
            settings=self.settings,
            generation=generation,
            focus=focus,
            maps=self._position_maps,
        )

    def idle(self) -> None:
        """*worker* Work for a quiet moment: make the open documents' next versions cheap to
        analyse (their statement memos), and collect garbage. The collector never runs on its
        own once :meth:`analyse` turned it off: a collection costs what lives, not what died,
        and in the middle of an edit it lagged the editor by a fifth. After the catalog was
        rebuilt everything is collected once and what lives is frozen out of later
        collections (a large workspace's facts rarely die); after other runs, what is not
        frozen is collected every few quiet moments, or sooner when much was allocated."""
        for path in self.open:
            source = self.workspace.documents.get(path)
            if source is not None:
                self.workspace.cache.prepare(source)
        self._quiet_moments += 1
        if self.workspace.catalog is not self._settled:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self._settled = self.workspace.catalog
        elif self._quiet_moments % COLLECT_EVERY == 0 or gc.get_count()[0] > COLLECT_AFTER:
            gc.collect()

    def _set_open_text(self, path: str, text: str) -> None:
        reason = open_text_problem(text)
        if reason:
            self.workspace.remove_document(path)
            self.notify(f"{path}: {reason}")
            return
        self.workspace.set_document(path, text)

    def notify(self, message: str, show: bool = False) -> None:
        """Queue ``message`` for the client's log, once per project; ``show`` also puts it in
        front of the user (a configuration file that cannot be used)."""
        if message not in self._noticed:
            self._noticed.add(message)
            self.notices.append(message)
            if show:
                self.shown.append(message)

    def _reload(self, path: str) -> None:
        file = self.workspace.root / path
        if not self.indexed or path not in self.indexed_paths or not file.is_file():
            self.workspace.remove_document(path)
            return
        self.workspace.remove_document(path)
        self.workspace.load_files([file])
        reason = self.workspace.skipped.get(path)
        if reason:
            self.notify(f"{path}: {reason}")


def open_text_problem(text: str) -> str | None:
    """Why an open document's text is not analysed, or ``None``."""
    if len(text) > MAX_DOCUMENT_BYTES:
        return f"larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB; not analysed"
    if "\0" in text[:8192]:
        return "binary content; not analysed"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid UTF-8 (unpaired surrogates); not analysed"
    return None
