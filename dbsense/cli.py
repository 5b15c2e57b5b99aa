"""The ``dbsense`` command line: check, rules, rule, serve.

Exit codes: 0 clean, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import gc
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from dbsense import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
MAX_FIX_PASSES = 10


class UsageError(Exception):
    """A problem with the command line or configuration: one line, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dbsense",
        description="A database engineer in your editor: lint SQL, migrations and data-layer code.",
    )
    parser.add_argument("--version", action="version", version=f"dbsense {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="analyse files and report findings")
    check.add_argument(
        "paths", nargs="*", type=Path, help="files or directories (default: project root)"
    )
    check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    check.add_argument(
        "--select", help="comma-separated rule selectors to enable (replaces config)"
    )
    check.add_argument("--ignore", help="comma-separated rule selectors to disable")
    check.add_argument("--extend-select", help="comma-separated selectors to enable in addition")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    check.add_argument("--diff", action="store_true", help="print fixes as a diff; change nothing")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    check.add_argument("--statistics", action="store_true", help="count findings per rule")
    check.add_argument("--redis-url", help="also run the read-only live Redis checks")
    check.add_argument("--mongo-url", help="also run the read-only live MongoDB checks")
    check.add_argument(
        "--database-url",
        default=os.environ.get("DBSENSE_DATABASE_URL"),
        help="also run the read-only live PostgreSQL checks (default: $DBSENSE_DATABASE_URL)",
    )
    check.add_argument(
        "--config", type=Path, help="configuration file (pyproject.toml or dbsense.toml)"
    )
    check.add_argument(
        "--no-cache", action="store_true", help="do not read or write .dbsense_cache"
    )

    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    rule = commands.add_parser("rule", help="show the documentation of one rule")
    rule.add_argument("rule", metavar="CODE|NAME")

    serve = commands.add_parser("serve", help="run the language server over stdio")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")

    from dbsense.deliver import add_commands

    add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "rules":
            return run_rules(args.format)
        if args.command == "rule":
            return run_rule(args.rule)
        if args.command in ("erd", "report", "migration"):
            from dbsense.deliver import run_command

            return run_command(args)
        if args.command == "serve":
            from dbsense.server.server import run_stdio

            gc.enable()  # a long-lived process: the server decides when to collect
            run_stdio()
            return EXIT_CLEAN
    except UsageError as error:
        print(f"dbsense: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:  # the reader stopped early (`dbsense check | head`): nothing to say
        return EXIT_ERROR
    except Exception as error:
        if os.environ.get("DBSENSE_DEBUG"):
            raise
        print(f"dbsense: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_ERROR
    parser.print_help()
    return EXIT_ERROR


def run() -> None:
    """The ``dbsense`` command: :func:`main` in a process that ends with it. The cyclic
    garbage collector stays off (it rescanned the analysis's live objects for little
    garbage), and the exit skips freeing those objects one by one: together 0.3 s of a 1.6 s
    check of 10,000 statements. Output and logs are flushed first; nothing else runs at exit.
    ``serve`` turns the collector back on: the language server manages it itself."""
    gc.disable()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away: what was written is all it gets
        code = code or EXIT_ERROR
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    os._exit(code)


# --- check -------------------------------------------------------------------------------------


def run_check(args: argparse.Namespace) -> int:
    from dbsense.config import ConfigError, Settings, find_config, load_settings
    from dbsense.report import render
    from dbsense.workspace import Workspace, discover

    paths = args.paths or []
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    anchor = (paths[0] if paths else Path.cwd()).resolve()
    config_path = args.config or find_config(anchor)
    if args.config is not None and not args.config.is_file():
        raise UsageError(f"{args.config}: configuration file not found")
    try:
        settings = load_settings(config_path) if config_path else Settings()
    except ConfigError as error:
        raise UsageError(str(error)) from error
    root = settings.root or (anchor if anchor.is_dir() else anchor.parent)
    _apply_cli_selectors(settings, args)
    for problem in settings.problems:
        level = "error" if problem.error else "warning"
        print(f"dbsense: {level}: {problem}", file=sys.stderr)

    cache = runs = None
    if not args.no_cache:
        from dbsense.cache import DiskFactCache, DiskRunCache

        cache = DiskFactCache(root)
        # A reused result comes without a replayed catalog, which a live check compares with.
        runs = None if args.database_url else DiskRunCache(cache)
    workspace = Workspace(root, settings, cache, runs)
    files = discover(paths or [root], root, settings)
    workspace.load_files(files)
    original = {path: source.text for path, source in workspace.documents.items()}

    if args.fix or args.diff:
        result = _fix(workspace, unsafe=args.unsafe_fixes)
        changed = {
            path: source.text
            for path, source in workspace.documents.items()
            if source.text != original[path]
        }
        if args.diff:
            sys.stdout.write(_diff(original, changed))
            return EXIT_FINDINGS if changed and not args.exit_zero else EXIT_CLEAN
        _write(root, original, changed)
        if changed:
            count = len(changed)
            print(f"Fixed {count} file{'s' if count != 1 else ''}.", file=sys.stderr)
    else:
        result = workspace.check()
    if cache is not None:
        cache.prune({cache.key_of(source) for source in workspace.documents.values()})
    for notice in result.skipped:
        print(f"dbsense: notice: {notice}", file=sys.stderr)
    texts = {path: source.text for path, source in workspace.documents.items()}
    if settings.source is not None:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            texts.setdefault(
                workspace.relative(settings.source), settings.source.read_text(encoding="utf-8")
            )
    prefix = _display_prefix(root)
    if prefix:
        result = _prefixed(result, prefix)
        texts = {f"{prefix}/{path}": text for path, text in texts.items()}
    if args.database_url:
        from dbsense.live.check import run_live

        live = run_live(args.database_url, settings, workspace)
        moved = replace(result, violations=live.violations)
        if prefix:
            moved = _prefixed(moved, prefix, keep=live.target)  # the server keeps its name
        result.violations.extend(moved.violations)
    sys.stdout.write(render(args.format, result, texts, statistics=args.statistics))
    if args.redis_url:
        _live_redis(args.redis_url)
    if args.mongo_url:
        _live_mongo(args.mongo_url, workspace)
    if any(problem.error for problem in settings.problems):
        return EXIT_ERROR
    if result.violations and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _print_live(result) -> None:
    from dbsense.live.engines import UNAVAILABLE

    for code, message in result.notes:
        if code == UNAVAILABLE:
            print(f"dbsense: live check unavailable ({UNAVAILABLE}): {message}", file=sys.stderr)
        else:
            print(f"live: {code} {message}")


def _live_redis(url: str) -> None:
    from dbsense.live.engines import redis_notes

    _print_live(redis_notes(url))


def _live_mongo(url: str, workspace) -> None:
    from dbsense.live.engines import mongo_notes

    _print_live(mongo_notes(url, workspace))


def _display_prefix(root: Path) -> str:
    """Paths are reported relative to the current directory when the root lies below it."""
    relative = os.path.relpath(root.resolve(), Path.cwd().resolve())
    return "" if relative == "." or relative.startswith("..") else Path(relative).as_posix()


def _prefixed(result, prefix: str, keep: str | None = None):
    """``result`` with every path under ``prefix``, built field by field (``replace`` took a
    twentieth of a check of 10,000 statements)."""
    from dbsense.engines.core import Edit, Fix, Related, Violation

    def move(path: str | None) -> str | None:
        return None if path is None or path == keep else f"{prefix}/{path}"

    violations = []
    for violation in result.violations:
        fix = violation.fix
        if fix is not None:
            edits = tuple(Edit(edit.span, edit.new_text, move(edit.path)) for edit in fix.edits)
            fix = Fix(fix.title, edits, fix.applicability)
        related = tuple(
            Related(move(item.path), item.span, item.message) for item in violation.related
        )
        violations.append(
            Violation(
                violation.code,
                violation.name,
                violation.message,
                move(violation.path),
                violation.span,
                violation.severity,
                fix,
                related,
                violation.unnecessary,
            )
        )
    return replace(result, violations=violations)


def _apply_cli_selectors(settings, args: argparse.Namespace) -> None:
    from dbsense.engines.core import registry

    def split(value: str | None) -> list[str]:
        items = [item.strip() for item in (value or "").split(",") if item.strip()]
        for item in items:
            if registry().select(item) is None:
                raise UsageError(f"unknown rule selector `{item}`")
        return items

    if args.select is not None:
        settings.select = split(args.select)
    settings.ignore = [*settings.ignore, *split(args.ignore)]
    settings.extend_select = [*settings.extend_select, *split(args.extend_select)]


def _fix(workspace, unsafe: bool):
    """Apply fixes until nothing changes (bounded), re-analysing between passes."""
    from dbsense.fixes import fix_text

    result = workspace.check()
    for _ in range(MAX_FIX_PASSES):
        progress = False
        for path, violations in result.by_path().items():
            source = workspace.documents.get(path)
            if source is None:
                continue
            new_text, count = fix_text(source.text, violations, unsafe)
            if count and new_text != source.text:
                workspace.set_document(path, new_text)
                progress = True
        if not progress:
            break
        result = workspace.check()
    return result


def _diff(original: dict[str, str], changed: dict[str, str]) -> str:
    chunks = []
    for path in sorted(changed):
        chunks.extend(
            difflib.unified_diff(
                original[path].splitlines(keepends=True),
                changed[path].splitlines(keepends=True),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
        )
    return "".join(chunk if chunk.endswith("\n") else chunk + "\n" for chunk in chunks)


def _write(root: Path, original: dict[str, str], changed: dict[str, str]) -> None:
    """Write fixed files atomically; refuse files that changed on disk since they were read."""
    failures = []
    for path, text in changed.items():
        target = root / path
        try:
            current = target.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            failures.append(f"{path}: cannot re-read before writing: {error}")
            continue
        if current != original[path]:
            failures.append(f"{path}: changed on disk during analysis; not written")
            continue
        try:
            write_atomically(target, text)
        except OSError as error:
            failures.append(f"{path}: cannot write: {error.strerror or error}")
    if failures:
        raise UsageError("; ".join(failures))


def write_atomically(target: Path, text: str) -> None:
    """Replace ``target`` with ``text`` in one step, keeping its permissions."""
    mode = target.stat().st_mode
    if not os.access(target, os.W_OK) or not mode & 0o222:
        raise PermissionError(13, "file is read-only", str(target))
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode & 0o7777)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


# --- rules ---------------------------------------------------------------------------------------


def run_rules(fmt: str) -> int:
    from dbsense.engines.core import registry

    rules = list(registry())
    if fmt == "json":
        rows = [
            {
                "code": rule.code,
                "name": rule.name,
                "summary": rule.summary,
                "severity": rule.severity.value,
                "fix": rule.fix_availability.value,
                "enabled": rule.default_enabled,
                "tags": list(rule.tags),
            }
            for rule in rules
        ]
        print(json.dumps(rows, indent=2))
        return EXIT_CLEAN
    for rule in rules:
        print(f"{rule.code:<7} {rule.name:<40} {rule.summary.replace('`', '')}")
    return EXIT_CLEAN


def run_rule(selector: str) -> int:
    from dbsense.docs import render_page
    from dbsense.engines.core import registry

    rule = registry().get(selector)
    if rule is None:
        raise UsageError(f"unknown rule `{selector}` (see `dbsense rules`)")
    sys.stdout.write(render_page(rule))
    return EXIT_CLEAN
