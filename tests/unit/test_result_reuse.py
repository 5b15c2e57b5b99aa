"""A full check reuses the last one's result only when no rule could find anything new, and a
reused result is exactly what a fresh check finds."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from dbsense.analyzers.frontends import document_facts
from dbsense.analyzers.ir import SourceFile
from dbsense.cache import DiskFactCache, DiskRunCache, code_fingerprint, dumps
from dbsense.config import Settings, find_config, load_settings
from dbsense.reuse import RunFindings, RunRecord, record_name
from dbsense.workspace import REWRITE_RECORD_AFTER, CheckResult, Workspace, discover

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

CUSTOMERS = """CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
"""
ORDERS = """CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);
/* backfill */ ALTER TABLE customers ADD COLUMN note text;
ALTER TABLE customers RENAME COLUMN nick TO nickname;
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, {"migrations/0001_customers.sql": CUSTOMERS, "migrations/0002.sql": ORDERS})
    return tmp_path


def settings_of(root: Path) -> Settings:
    config = find_config(root)
    return load_settings(config) if config is not None else Settings()


def checked(root: Path, reuse: bool = True, settings: Settings | None = None):
    """A workspace of ``root`` after a full check, and the check's result. Without ``reuse``
    nothing is read from or written to disk: a fresh check."""
    settings = settings or settings_of(root)
    cache = DiskFactCache(root) if reuse else None
    runs = DiskRunCache(cache) if cache is not None else None
    workspace = Workspace(root, settings, cache, runs)
    workspace.load_files(discover([root], root, settings))
    return workspace, workspace.check()


def same(left: CheckResult, right: CheckResult) -> bool:
    fields = ("violations", "documents", "statements", "analysed_statements", "skipped")
    return all(getattr(left, name) == getattr(right, name) for name in fields)


def replayed(workspace: Workspace) -> bool:
    """Whether the check replayed the catalog (a reused result does not)."""
    return bool(workspace.catalog.tables)


def append(file: Path, text: str) -> None:
    with open(file, "a", encoding="utf-8") as handle:
        handle.write(text)


def test_a_comment_added_reuses_the_result(project: Path):
    first, result = checked(project)
    assert replayed(first)
    assert {v.code for v in result.violations} >= {"PG115", "PG311", "PG201"}
    append(project / "migrations/0002.sql", "-- reviewed\n")

    again, reused = checked(project)

    assert not replayed(again)
    assert same(reused, checked(project, reuse=False)[1])


def test_changed_facts_check_everything(project: Path):
    checked(project)
    append(project / "migrations/0002.sql", "ALTER TABLE orders ADD COLUMN placed_at timestamp;\n")

    again, result = checked(project)

    assert replayed(again)
    assert "PG302" in {v.code for v in result.violations}
    assert same(result, checked(project, reuse=False)[1])


def test_a_change_in_text_a_rule_read_checks_everything(project: Path):
    """The comment before the ``ALTER`` is on the line PG115 reads to indent its fix: the
    facts stay the same, but a rule would read other text."""
    checked(project)
    migration = project / "migrations/0002.sql"
    migration.write_text(ORDERS.replace("/* backfill */", "/* backfall */"), encoding="utf-8")

    again, result = checked(project)

    assert replayed(again)
    assert same(result, checked(project, reuse=False)[1])


def test_a_rule_that_read_other_text_finds_other_things(project: Path):
    """Indented by two spaces or two tabs, the ``ALTER`` has the same facts; PG115's fix
    indents the lines it inserts as the statement is, so the findings differ."""
    path = "migrations/0002.sql"
    two_spaces, two_tabs = (ORDERS.replace("/* backfill */ ", indent) for indent in ("  ", "\t\t"))
    facts = [document_facts(SourceFile(path, text)) for text in (two_spaces, two_tabs)]
    assert facts[0] == facts[1]
    migration = project / path
    migration.write_text(two_spaces, encoding="utf-8")
    spaces = checked(project)[1]
    migration.write_text(two_tabs, encoding="utf-8")

    again, tabs = checked(project)

    assert replayed(again)
    assert tabs != spaces and same(tabs, checked(project, reuse=False)[1])
    fixes = [v.fix.edits[0].new_text for v in tabs.violations if v.code == "PG115"]
    assert fixes and fixes[0].endswith("\t\t")


def test_a_suppression_added_takes_effect(project: Path):
    checked(project)
    migration = project / "migrations/0002.sql"
    migration.write_text(ORDERS.replace("note text;", "note text;  -- noqa: PG115"), "utf-8")

    result = checked(project)[1]

    assert "PG115" not in {v.code for v in result.violations}
    assert same(result, checked(project, reuse=False)[1])


def test_other_settings_or_documents_check_everything(project: Path):
    checked(project)
    quiet = Settings(ignore=["PG115"])
    again, result = checked(project, settings=quiet)
    assert replayed(again) and "PG115" not in {v.code for v in result.violations}

    write(project, {"migrations/0003.sql": "CREATE INDEX orders_customer ON orders (id);\n"})
    again, result = checked(project)
    assert replayed(again)
    assert same(result, checked(project, reuse=False)[1])

    (project / "migrations/0003.sql").unlink()
    again, result = checked(project)
    assert replayed(again)  # the record is the last check's, of three documents
    assert same(result, checked(project, reuse=False)[1])
    assert not replayed(checked(project)[0])


def test_the_record_is_written_again_once_many_documents_differ(tmp_path: Path):
    files = {f"migrations/{n:04d}.sql": f"CREATE TABLE t{n} (id int);\n" for n in range(12)}
    write(tmp_path, files)
    checked(tmp_path)
    runs = DiskRunCache(DiskFactCache(tmp_path))
    name = record_name(settings_of(tmp_path))
    before = runs.load(name)
    for count, file in enumerate(sorted(files), start=1):
        append(tmp_path / file, "-- seen\n")
        workspace, result = checked(tmp_path)
        assert not replayed(workspace)
        assert same(result, checked(tmp_path, reuse=False)[1])
        rewritten = runs.load(name).token != before.token
        assert rewritten == (count > REWRITE_RECORD_AFTER), count
    assert runs.load(name).documents.keys() == before.documents.keys()


def test_parts_of_two_checks_are_never_mixed(project: Path):
    checked(project)
    runs = DiskRunCache(DiskFactCache(project))
    name = record_name(settings_of(project))
    findings = runs.directory / f"{name}.findings.pickle"
    kept = findings.read_bytes()
    append(project / "migrations/0002.sql", "ALTER TABLE orders ADD COLUMN total int;\n")
    checked(project)  # a new record, with a new token
    findings.write_bytes(kept)  # and the findings of the first
    append(project / "migrations/0002.sql", "-- later\n")

    again, result = checked(project)

    assert replayed(again)
    assert same(result, checked(project, reuse=False)[1])


def forged(part: str, record: RunRecord) -> object:
    """A record part of the right types and shape, holding the wrong things."""
    if part:
        wrong = {path: ("PG115",) for path in record.documents}
        return RunFindings(record.token, wrong, wrong, ())
    return RunRecord(record.token, dict.fromkeys(record.documents, "x"))


@pytest.mark.parametrize("part", ["", ".findings"])
def test_a_damaged_or_forged_record_is_not_used(project: Path, part: str):
    runs = DiskRunCache(DiskFactCache(project))
    name = record_name(settings_of(project))
    entry = runs.directory / f"{name}{part}.pickle"
    damages = [
        lambda: entry.read_bytes()[:60],
        lambda: pickle.dumps(("x", {"a": 1})),
        lambda: b"not a pickle",
        lambda: dumps((code_fingerprint(), forged(part, runs.load(name)))),
    ]
    for damage in damages:
        checked(project)  # a record of the documents as they are
        append(project / "migrations/0002.sql", "-- touched\n")
        entry.write_bytes(damage())
        again, result = checked(project)
        assert replayed(again)
        assert same(result, checked(project, reuse=False)[1])


def test_every_example_document_touched_gives_a_fresh_checks_result(tmp_path: Path):
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".dbsense_cache"))
    settings = settings_of(root)
    checked(root)
    documents = discover([root], root, settings)
    assert len(documents) >= 15
    for document in documents:
        comment = "\n# touched\n" if document.suffix == ".py" else "\n-- touched\n"
        append(document, comment)
        again, result = checked(root)
        assert same(result, checked(root, reuse=False)[1]), document
        assert not replayed(again), document
