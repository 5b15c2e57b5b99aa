"""Markdown for hovers and commands: rule pages, catalog tables and columns, the catalog.

The catalog classes grow; everything optional is read with ``getattr`` so new fields never
break a hover.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from dbsense import rule_url
from dbsense.engines.core import Rule
from dbsense.engines.postgres.rules.pg209_unused_index import size_text

LineOf = Callable[[str, int], int | None]  # (path, offset) -> 1-based line, or None
_SECTION = re.compile(r"^## (.+)$", re.M)


def rule_sections(rule: Rule) -> dict[str, str]:
    """The rule page's ``## `` sections by title."""
    doc = rule.doc()
    matches = list(_SECTION.finditer(doc))
    sections = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(doc)
        sections[match.group(1).strip()] = doc[match.end() : end].strip()
    return sections


def render_rule(rule: Rule, message: str | None = None, brief: bool = False) -> str:
    """A finding's explanation: what, why (summarised), fix safety, link."""
    lines = [f"**{rule.code}** `{rule.name}`"]
    if message:
        lines.append(f"{message}")
    sections = rule_sections(rule)
    lines.append("")
    lines.append(f"{rule.summary[:1].upper()}{rule.summary[1:]}.")
    if not brief:
        why = _first_paragraph(sections.get("Why is this bad?", ""))
        if why:
            lines += ["", why]
        safety = _first_paragraph(sections.get("Fix safety", ""))
        if safety:
            lines += ["", f"*Fix safety:* {safety}"]
    lines += ["", f"[{rule.code} documentation]({rule_url(rule.code)})"]
    return "\n".join(lines)


def _first_paragraph(text: str) -> str:
    paragraph = text.strip().split("\n\n", 1)[0]
    return " ".join(paragraph.split())


def _where(location: Any, line_of: LineOf) -> str:
    path = getattr(location, "path", None)
    span = getattr(location, "span", None)
    if path is None:
        return ""
    line = line_of(path, span.start) if span is not None else None
    return f"`{path}:{line}`" if line else f"`{path}`"


def column_type(column: Any) -> str:
    definition = getattr(column, "definition", column)
    type_ = getattr(definition, "type", None)
    name = getattr(type_, "name", None) or "?"
    args = getattr(type_, "args", ())
    if args and "(" not in name:
        name += f"({', '.join(args)})"
    if getattr(type_, "array", False):
        name += "[]"
    return name


def column_line(column: Any) -> str:
    definition = getattr(column, "definition", column)
    parts = [f"`{getattr(definition, 'name', '?')}` {column_type(column)}"]
    if getattr(definition, "primary_key", False):
        parts.append("PRIMARY KEY")
    elif not getattr(definition, "nullable", True):
        parts.append("NOT NULL")
    default = getattr(definition, "default", None)
    if default is not None:
        parts.append(f"DEFAULT {default}")
    if getattr(definition, "identity", False):
        parts.append("identity")
    return " ".join(parts)


def index_line(index: Any) -> str:
    columns = ", ".join(
        str(getattr(key, "column", None) or getattr(key, "expression", "?"))
        for key in getattr(index, "keys", ())
    )
    kind = getattr(index, "constraint", None)
    label = {"primary-key": "PRIMARY KEY", "unique": "UNIQUE"}.get(kind or "", "")
    if not label:
        label = "UNIQUE INDEX" if getattr(index, "unique", False) else "INDEX"
    name = getattr(index, "name", None)
    text = f"{label} {f'`{name}` ' if name else ''}({columns})"
    method = getattr(index, "method", "btree")
    if method and method != "btree":
        text += f" USING {method}"
    if getattr(index, "where", None):
        text += f" WHERE {index.where}"
    return text


def covering_index(table: Any, columns: tuple[str, ...]) -> Any:
    """An index of ``table`` whose leading keys are ``columns`` (in any order)."""
    wanted = set(columns)
    for index in getattr(table, "indexes", ()):
        if getattr(index, "where", None):
            continue
        leading = [getattr(key, "column", None) for key in index.keys[: len(columns)]]
        if set(leading) == wanted:
            return index
    return None


def foreign_key_line(table: Any, foreign_key: Any) -> tuple[str, bool]:
    definition = foreign_key.definition
    columns = tuple(definition.columns)
    target = f"{definition.ref_table}({', '.join(definition.ref_columns)})"
    covered = covering_index(table, columns) is not None
    text = f"({', '.join(columns)}) → {target}"
    return text, covered


def render_table(table: Any, catalog: Any, line_of: LineOf, max_columns: int = 12) -> str:
    """A table's consolidated definition: columns, keys, indexes, where each was defined."""
    name = getattr(table, "name", "?")
    lines = [f"**table `{name}`** — created in {_where(table.location, line_of)}"]
    columns = list(getattr(table, "columns", {}).values())
    for column in columns[:max_columns]:
        where = ""
        if getattr(column.location, "statement", None) != getattr(
            table.location, "statement", None
        ):
            where = f" — added in {_where(column.location, line_of)}"
        lines.append(f"- {column_line(column)}{where}")
    if len(columns) > max_columns:
        lines.append(f"- … {len(columns) - max_columns} more columns")
    indexes = list(getattr(table, "indexes", ()))
    if indexes:
        lines.append("")
        lines.append("Indexes:")
        for index in indexes[:6]:
            lines.append(f"- {index_line(index)} — {_where(index.location, line_of)}")
        if len(indexes) > 6:
            lines.append(f"- … {len(indexes) - 6} more")
    foreign_keys = list(getattr(table, "foreign_keys", ()))
    if foreign_keys:
        lines.append("")
        covered_count = 0
        uncovered = []
        for foreign_key in foreign_keys:
            text, covered = foreign_key_line(table, foreign_key)
            covered_count += covered
            lines.append(f"- FK {text}{'' if covered else ' (no covering index)'}")
            if not covered:
                uncovered.append(", ".join(foreign_key.definition.columns))
        summary = f"{covered_count} of {len(foreign_keys)} FKs covered by an index"
        if uncovered:
            summary += "; not: " + ", ".join(f"`{name}.{c}`" for c in uncovered)
        lines.append(summary)
    incoming = [
        (other, fk)
        for other in catalog.iter_tables()
        if other is not table
        for fk in getattr(other, "foreign_keys", ())
        if catalog.table(fk.definition.ref_table) is table
    ]
    if incoming:
        refs = ", ".join(
            f"`{other.name}`({', '.join(fk.definition.columns)})" for other, fk in incoming[:5]
        )
        lines.append(f"Referenced by {refs}")
    checks = list(getattr(table, "checks", ()))
    if checks:
        lines.append(f"{len(checks)} CHECK constraint{'s' if len(checks) != 1 else ''}")
    return "\n".join(lines)


def render_column(table: Any, column: Any, line_of: LineOf) -> str:
    lines = [f"**column `{table.name}.{column.name}`**: {column_line(column)}"]
    lines.append(f"Defined in {_where(column.location, line_of)}")
    note = _type_note(column_type(column))
    if note:
        lines.append(note)
    positions = []
    for index in getattr(table, "indexes", ()):
        keys = [getattr(key, "column", None) for key in index.keys]
        if column.name in keys:
            positions.append(f"{index_line(index)} (key {keys.index(column.name) + 1})")
    if positions:
        lines.append("In: " + "; ".join(positions))
    for foreign_key in getattr(table, "foreign_keys", ()):
        if column.name in foreign_key.definition.columns:
            text, covered = foreign_key_line(table, foreign_key)
            lines.append(f"FK {text}{'' if covered else ' — no covering index'}")
    return "\n".join(lines)


def _type_note(type_name: str) -> str | None:
    if type_name.startswith("timestamp without time zone"):
        return "`timestamp` drops the offset; `timestamptz` stores an instant."
    if type_name.startswith("timestamp with time zone"):
        return "`timestamptz` stores an instant (UTC internally)."
    if type_name == "integer" or type_name == "serial":
        return "`integer` overflows at 2^31; `bigint` avoids it."
    if type_name.startswith("character varying"):
        return "`text` + CHECK can change its limit with `NOT VALID`, without ACCESS EXCLUSIVE."
    if type_name == "jsonb":
        return "`jsonb` supports equality and GIN indexes."
    return None


def render_catalog(catalogs: list[tuple[str, Any]], line_of: LineOf) -> str:
    """Every table of every root, as one Markdown document."""
    parts = ["# dbsense schema catalog"]
    for root, catalog in catalogs:
        tables = sorted(catalog.iter_tables(), key=lambda table: str(table.name))
        parts.append(f"## {root}\n\n{len(tables)} table{'s' if len(tables) != 1 else ''}")
        for table in tables:
            parts.append(render_table(table, catalog, line_of, max_columns=1000))
    return "\n\n".join(parts) + "\n"


def ago(hours: float | None) -> str:
    """``never``, ``just now``, ``12 min ago``, ``5 h ago``, ``3 days ago``."""
    if hours is None:
        return "never"
    if hours < 1 / 60:
        return "just now"
    if hours < 1:
        return f"{hours * 60:.0f} min ago"
    if hours < 48:
        return f"{hours:.0f} h ago"
    return f"{hours / 24:.0f} days ago"


def render_live_table(stats: Any, target: str, max_indexes: int = 8) -> str:
    """A table's live statistics (``dbsense.live.stats.TableStats``) from ``target``."""
    header = f"**live** `{stats.label}` on `{target}`"
    if not stats.exists:
        return f"{header}: no such table in this database"
    lines = [
        header,
        f"- {size_text(stats.size_bytes)} with indexes and TOAST; about "
        f"{stats.row_estimate:,} rows; {stats.dead_tuples:,} dead tuples",
        f"- Vacuum {ago(stats.hours_since_vacuum)}, autovacuum "
        f"{ago(stats.hours_since_autovacuum)}; analyze {ago(stats.hours_since_analyze)}, "
        f"autoanalyze {ago(stats.hours_since_autoanalyze)}",
    ]
    if stats.indexes:
        days = stats.stats_age_days
        window = f" over {days:.0f} days of statistics" if days is not None and days >= 1 else ""
        lines.append(f"- Index scans{window}:")
        for index in stats.indexes[:max_indexes]:
            note = ""
            if not index.valid:
                note = " — **INVALID** (maintained, never used)"
            elif index.unused:
                note = f" — **unused** ({size_text(index.size_bytes)})"
            elif not index.scans:
                note = " (enforces a constraint)"
            lines.append(f"  - `{index.name}`: {index.scans:,}{note}")
        if len(stats.indexes) > max_indexes:
            lines.append(f"  - … {len(stats.indexes) - max_indexes} more")
    return "\n".join(lines)
