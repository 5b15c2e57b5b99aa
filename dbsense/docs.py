"""Rule pages: the rule docstring plus generated facts. ``python -m dbsense.docs DIR [--check]``
writes ``DIR/<CODE>.md`` and an index, or fails when a committed page is stale."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dbsense.engines.core import Rule, engine_options, registry

_FIX_TEXT = {
    "none": "No automatic fix.",
    "sometimes": "A fix is available in some cases.",
    "always": "A fix is always available.",
}


def render_page(rule: Rule) -> str:
    lines = [
        f"# {rule.name} ({rule.code})",
        "",
        f"{rule.summary}.",
        "",
        f"- **Default severity:** {rule.severity.value}",
        f"- **Enabled by default:** {'yes' if rule.default_enabled else 'no'}",
        f"- **Fix:** {_FIX_TEXT[rule.fix_availability.value]}",
    ]
    if rule.tags:
        lines.append(f"- **Tags:** {', '.join(rule.tags)}")
    if rule.aliases:
        lines.append(f"- **Aliases:** {', '.join(rule.aliases)}")
    lines += ["", rule.doc().strip(), ""]
    options = _options_table(rule)
    if options:
        lines += ["## Option reference", "", *options, ""]
    return "\n".join(lines)


def _options_table(rule: Rule) -> list[str]:
    known = engine_options()
    rows = []
    for dotted in rule.options:
        section, _, name = dotted.partition(".")
        option = known.get(section, {}).get(name)
        if option is None:
            continue
        rows.append(f"| `{section}.{name}` | `{option.default!r}` | {option.description} |")
    if not rows:
        return []
    return ["| Option | Default | Meaning |", "|---|---|---|", *rows]


def render_index() -> str:
    lines = ["# Rules", "", "| Code | Name | Summary | Severity |", "|---|---|---|---|"]
    for rule in registry():
        summary = rule.summary.replace("|", "\\|")
        lines.append(
            f"| [{rule.code}]({rule.code}.md) | {rule.name} | {summary} | {rule.severity.value} |"
        )
    return "\n".join(lines) + "\n"


def expected_pages() -> dict[str, str]:
    pages = {f"{rule.code}.md": render_page(rule) for rule in registry()}
    pages["README.md"] = render_index()
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dbsense.docs")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--check", action="store_true", help="fail when a page is stale")
    args = parser.parse_args(argv)
    pages = expected_pages()
    directory: Path = args.directory
    if args.check:
        stale = [
            name
            for name, text in pages.items()
            if not (directory / name).is_file() or (directory / name).read_text() != text
        ]
        extra = sorted(p.name for p in directory.glob("*.md") if p.name not in pages)
        for name in stale:
            print(f"stale rule page: {directory / name} (run `make docs`)", file=sys.stderr)
        for name in extra:
            print(f"rule page without a rule: {directory / name}", file=sys.stderr)
        return 1 if stale or extra else 0
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (directory / name).write_text(text, encoding="utf-8")
    for path in directory.glob("*.md"):
        if path.name not in pages:
            path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
