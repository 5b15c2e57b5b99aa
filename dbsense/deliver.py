"""The deliverable commands: ``dbsense erd``, ``dbsense report`` and ``dbsense migration``.

Each reads the workspace (offline catalog) and, with ``--database-url`` or
``DBSENSE_DATABASE_URL``, a read-only live session. Output goes to ``-o FILE`` or stdout.
A connection failure is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_ERROR = 0, 2
DRIFT = "PG507"


def add_commands(commands) -> None:
    """Register the subcommands on the CLI's subparsers."""

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="project root (default: cwd)")
        parser.add_argument(
            "--database-url",
            default=os.environ.get("DBSENSE_DATABASE_URL"),
            help="read-only live PostgreSQL session (default: $DBSENSE_DATABASE_URL)",
        )
        parser.add_argument("--config", type=Path, help="configuration file")

    erd = commands.add_parser("erd", help="write an entity-relationship diagram")
    common(erd)
    erd.add_argument("--format", choices=("mermaid", "dot", "svg"), default="mermaid")
    erd.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
    erd.add_argument("--schema", help="only tables of this schema")
    erd.add_argument("--table-prefix", help="only tables whose name starts with this")

    report = commands.add_parser("report", help="write the database engineer's report")
    common(report)
    report.add_argument("--format", choices=("markdown", "html"), default="markdown")
    report.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")

    migration = commands.add_parser(
        "migration", help="write verified index recommendations as a migration with rollback"
    )
    common(migration)
    migration.add_argument(
        "--format", choices=("sql", "flyway", "alembic", "django"), default="sql"
    )
    migration.add_argument(
        "--index",
        action="append",
        default=[],
        metavar="TABLE(COLUMNS)",
        help="an accepted index, e.g. 'events(account_id)' (default: the verified advice)",
    )
    migration.add_argument(
        "-o", "--output", type=Path, required=True, help="migrations directory to write into"
    )
    migration.add_argument("--app-label", help="Django app label (default: the directory's app)")


def run_command(args: argparse.Namespace) -> int:
    from dbsense.erd import ErdError
    from dbsense.live import LiveError
    from dbsense.migration_writer import MigrationError

    try:
        if args.command == "erd":
            return _erd(args)
        if args.command == "report":
            return _report(args)
        return _migration(args)
    except (LiveError, ErdError, MigrationError) as error:
        print(f"dbsense: error: {error}", file=sys.stderr)
        return EXIT_ERROR


def _workspace(args: argparse.Namespace):
    """The checked workspace of ``args.path`` (its catalog replayed)."""
    from dbsense.cli import UsageError
    from dbsense.config import ConfigError, Settings, find_config, load_settings
    from dbsense.workspace import Workspace, discover

    anchor = (args.path or Path.cwd()).resolve()
    if not anchor.exists():
        raise UsageError(f"{args.path}: no such file or directory")
    config = args.config or find_config(anchor)
    try:
        settings = load_settings(config) if config else Settings()
    except ConfigError as error:
        raise UsageError(str(error)) from error
    root = settings.root or (anchor if anchor.is_dir() else anchor.parent)
    workspace = Workspace(root, settings)
    workspace.load_files(discover([anchor], root, settings))
    result = workspace.check()
    return workspace, result


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _erd(args: argparse.Namespace) -> int:
    from dbsense import erd

    if args.database_url:
        from dbsense.live.postgres import connect, read_snapshot, redact

        with connect(args.database_url) as conn:
            diagram = erd.from_snapshot(read_snapshot(conn, redact(args.database_url)))
    else:
        workspace, _ = _workspace(args)
        diagram = erd.from_catalog(workspace.catalog)
    diagram = diagram.filtered(args.schema, args.table_prefix)
    _emit(erd.render(diagram, args.format), args.output)
    return EXIT_OK


def _advice(conn, snapshot, workspace):
    from dbsense.advisor import advise
    from dbsense.query_sources import workspace_queries

    queries = [(q.query, "pg_stat_statements") for q in snapshot.top_queries]
    texts = {path: source.text for path, source in workspace.documents.items()}
    facts = {
        path: workspace.cache.get(source).facts for path, source in workspace.documents.items()
    }
    queries += [(q.sql, q.source) for q in workspace_queries(texts, facts, workspace.catalog)]
    return advise(conn, snapshot, queries)


def _report(args: argparse.Namespace) -> int:
    from dbsense.live.check import violations_for
    from dbsense.live.drift import drift_facts
    from dbsense.live.postgres import connect, read_snapshot, redact
    from dbsense.report.markdown import ReportInput, markdown_to_html, render_markdown

    workspace, result = _workspace(args)
    texts = {path: source.text for path, source in workspace.documents.items()}
    data = ReportInput(f"dbsense report: {workspace.root.name}", list(result.violations), texts)
    if args.database_url:
        target = redact(args.database_url)
        with connect(args.database_url) as conn:
            snapshot = read_snapshot(conn, target)
            data.advice = _advice(conn, snapshot, workspace)
        data.target, data.snapshot = target, snapshot
        data.notes = list(snapshot.unavailable)
        compared = bool(workspace.catalog.tables)
        facts = snapshot.facts() + (drift_facts(workspace.catalog, snapshot) if compared else [])
        live = violations_for(facts, target, workspace.settings)
        data.violations += live
        data.drift = [v.message for v in live if v.code == DRIFT] if compared else None
    markdown = render_markdown(data)
    text = markdown_to_html(markdown, data.title) if args.format == "html" else markdown
    _emit(text, args.output)
    return EXIT_OK


def _migration(args: argparse.Namespace) -> int:
    from dbsense.migration_writer import IndexChange, MigrationError, write_migration

    changes = [IndexChange.parse(spec) for spec in args.index]
    if not changes:
        if not args.database_url:
            raise MigrationError(
                "give --index TABLE(COLUMNS) or --database-url for verified advice"
            )
        from dbsense.live.postgres import connect, read_snapshot, redact

        workspace, _ = _workspace(args)
        with connect(args.database_url) as conn:
            snapshot = read_snapshot(conn, redact(args.database_url))
            advice = _advice(conn, snapshot, workspace)
        changes = [
            IndexChange(r.candidate.schema, r.candidate.table, r.candidate.columns)
            for r in advice.recommendations
        ]
        if not changes:
            print("dbsense: no verified index recommendation: nothing to write", file=sys.stderr)
            return EXIT_OK
    for path in write_migration(changes, args.format, args.output, app_label=args.app_label):
        print(path)
    return EXIT_OK
