"""The database engineer's report: findings, verified index advice, query analysis,
operational checks, backup status and schema drift, as Markdown or HTML.

Every operational line names its object (table, index, sequence, session) in the same
paragraph; costs are the planner's estimates and are labelled as such.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from dbsense.advisor import Advice
from dbsense.engines.core import Severity, Violation
from dbsense.engines.postgres.rules.pg209_unused_index import size_text
from dbsense.positions import LineIndex

SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
MAX_QUERY = 400
LONG_TRANSACTION_SECONDS = 300
STALE_ANALYZE_HOURS = 24


@dataclass(slots=True)
class ReportInput:
    """What the report is built from; live parts are ``None`` without a database."""

    title: str
    violations: list[Violation]
    texts: Mapping[str, str]
    target: str | None = None
    snapshot: object | None = None  # dbsense.live.postgres.Snapshot
    advice: Advice | None = None
    drift: list[str] | None = None
    live_error: str | None = None
    notes: list[str] = field(default_factory=list)


def _code(text: str) -> str:
    """Inline code that survives backticks in the text."""
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _query(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_QUERY else text[:MAX_QUERY] + " …"


def _location(violation: Violation, texts: Mapping[str, str]) -> str:
    if violation.path not in texts:
        return violation.path
    line, column = LineIndex(texts[violation.path]).location(violation.span.start)
    return f"{violation.path}:{line}:{column}"


def render_markdown(data: ReportInput) -> str:
    out: list[str] = [f"# {data.title}", ""]
    if data.target:
        version = getattr(data.snapshot, "version", "") if data.snapshot else ""
        server = f" (PostgreSQL {version})" if version else ""
        out.append(f"Live database: {_code(data.target)}{server}. Read-only session.")
    else:
        out.append("Static analysis only: no database URL was given.")
    out.append("")
    _summary(out, data)
    _findings(out, data)
    if data.target:
        _advice(out, data)
        _queries(out, data)
        _operations(out, data)
        _backups(out, data)
        _drift(out, data)
    if data.live_error or data.notes:
        out += ["## Live checks unavailable", ""]
        out += [f"- {line}" for line in [data.live_error, *data.notes] if line]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _summary(out: list[str], data: ReportInput) -> None:
    counts = {severity: 0 for severity in SEVERITIES}
    for violation in data.violations:
        counts[violation.severity] += 1
    out += ["## Summary", ""]
    out.append(
        f"- {len(data.violations)} findings: "
        + ", ".join(f"{counts[s]} {s.value}" for s in SEVERITIES)
    )
    if data.advice is not None:
        out.append(f"- {len(data.advice.recommendations)} verified index recommendations")
    if data.drift is not None:
        out.append(f"- {len(data.drift)} schema differences between migrations and database")
    out.append("")


def _findings(out: list[str], data: ReportInput) -> None:
    out += ["## Findings by severity", ""]
    if not data.violations:
        out += ["No findings.", ""]
    for severity in SEVERITIES:
        chosen = [v for v in data.violations if v.severity is severity]
        if not chosen:
            continue
        out += [f"### {severity.value.capitalize()} ({len(chosen)})", ""]
        for violation in chosen:
            out.append(
                f"- {_code(_location(violation, data.texts))} **{violation.code}** "
                f"{violation.name}: {violation.message}"
            )
        out.append("")


def _advice(out: list[str], data: ReportInput) -> None:
    out += ["## Index recommendations", ""]
    advice = data.advice
    if advice is None or not advice.available:
        note = advice.note if advice else "index advice was not run"
        out += [f"Not available: {note}.", ""]
        return
    out.append(
        "Each index was created as a hypothetical index (hypopg) and kept only when the "
        "planner uses it and its estimated cost drops by half or more. Costs are planner "
        "estimates, not measurements."
    )
    out.append("")
    if not advice.recommendations:
        out += ["No index is worth adding for the analysed queries.", ""]
    for recommendation in advice.recommendations:
        candidate = recommendation.candidate
        out += [f"### {candidate.label}", ""]
        for query, evaluation in recommendation.evidence:
            before, after = query.cost or 0.0, evaluation.cost or 0.0
            out.append(f"- Query from {_code(query.source)}: {_code(_cell(_query(query.query)))}")
            out.append(
                f"  - Estimated cost {before:.0f} → {after:.0f} "
                f"({1 - after / before:.0%} less) for `{evaluation.candidate.label}`"
            )
            out.append(f"  - Plan before: {query.plan}")
            out.append(f"  - Plan after: {evaluation.plan}")
        out.append("")
    rejected = advice.rejected
    if rejected:
        out += ["### Rejected candidates", ""]
        out += ["| Candidate | Query | Estimated cost | Verdict |", "|---|---|---|---|"]
        for query, evaluation in rejected:
            cost = (
                f"{query.cost:.0f} → {evaluation.cost:.0f}"
                if query.cost is not None and evaluation.cost is not None
                else "—"
            )
            out.append(
                f"| {_cell(evaluation.candidate.label)} | {_code(_cell(_query(query.query)))} | "
                f"{cost} | rejected: {_cell(evaluation.reason)} |"
            )
        out.append("")


def _queries(out: list[str], data: ReportInput) -> None:
    out += ["## Query analysis", ""]
    snapshot = data.snapshot
    top = getattr(snapshot, "top_queries", []) if snapshot else []
    plans = {q.query: q for q in (data.advice.queries if data.advice else [])}
    if top:
        out += ["Top queries by total execution time (pg_stat_statements):", ""]
        out += ["| Query | Calls | Total ms | Mean ms | Plan (estimated cost) |"]
        out += ["|---|---|---|---|---|"]
        for query in top[:20]:
            analysed = plans.get(query.query.strip().rstrip(";").strip())
            plan = (
                f"{analysed.plan} ({analysed.cost:.0f})"
                if analysed is not None and analysed.cost is not None
                else "—"
            )
            out.append(
                f"| {_code(_cell(_query(query.query)))} | {query.calls} | "
                f"{query.total_ms:.1f} | {query.mean_ms:.2f} | {_cell(plan)} |"
            )
        out.append("")
    workspace = [q for q in (data.advice.queries if data.advice else []) if ":" in q.source]
    if workspace:
        out += ["Queries found in the workspace:", ""]
        for query in workspace:
            cost = f"estimated cost {query.cost:.0f}, " if query.cost is not None else ""
            detail = query.plan or query.note
            out.append(
                f"- {_code(query.source)} {_code(_cell(_query(query.query)))}: {cost}{detail}"
            )
        out.append("")
    if not top and not workspace:
        out += ["No query to analyse (pg_stat_statements is empty or not installed).", ""]


def _operations(out: list[str], data: ReportInput) -> None:
    snapshot = data.snapshot
    if snapshot is None:
        return
    out += ["## Operational checks", ""]
    live = [v for v in data.violations if v.path == data.target and v.code != "DBS006"]
    out += ["### Findings", ""]
    out += [f"- **{v.code}** {v.name}: {v.message}" for v in live] or ["- None."]
    out.append("")
    out += ["### Tables with the most dead tuples", ""]
    tables = [t for t in snapshot.table_facts if t.dead_tuples][:10]
    for table in tables:
        name = table.table if table.schema == "public" else f"{table.schema}.{table.table}"
        vacuumed = (
            "never vacuumed"
            if table.hours_since_vacuum is None
            else f"vacuumed {table.hours_since_vacuum:.1f} h ago"
        )
        out.append(
            f"- Table `{name}`: {table.dead_tuples} dead / {table.live_tuples} live tuples, "
            f"{vacuumed}, freeze age {table.freeze_age}"
        )
    out += [] if tables else ["- No dead tuples."]
    out.append("")
    out += ["### Tables with stale planner statistics", ""]
    stale = [
        t
        for t in snapshot.table_facts
        if t.modified_since_analyze > t.analyze_threshold
        and (t.hours_since_analyze is None or t.hours_since_analyze > STALE_ANALYZE_HOURS)
    ]
    for table in stale:
        name = table.table if table.schema == "public" else f"{table.schema}.{table.table}"
        when = (
            "never analysed"
            if table.hours_since_analyze is None
            else f"last analysed {table.hours_since_analyze:.0f} h ago"
        )
        out.append(
            f"- Table `{name}`: {table.modified_since_analyze} rows changed since its statistics "
            f"were gathered ({when}): plans may be wrong; run `ANALYZE {name}`"
        )
    out += [] if stale else ["- None."]
    out.append("")
    out += ["### Duplicate and redundant indexes", ""]
    overlaps = overlapping_indexes(snapshot)
    out += [f"- {line}" for line in overlaps] or ["- None."]
    out.append("")
    out += ["### Invalid indexes", ""]
    invalid = [i for i in snapshot.index_facts if not i.valid]
    out += [f"- Index `{i.index}` on `{i.table}` is INVALID: `{i.definition}`" for i in invalid]
    out += [] if invalid else ["- None."]
    out.append("")
    max_connections = snapshot.setting("max_connections", "0") or "0"
    reserved = snapshot.setting("superuser_reserved_connections", "0") or "0"
    out += ["### Connections", ""]
    usable = max(int(max_connections) - int(reserved), 1)
    out.append(
        f"- {snapshot.connections} client connections of {max_connections} `max_connections` "
        f"({reserved} reserved for superusers): {snapshot.connections / usable:.0%} used"
    )
    for session in snapshot.idle_in_transaction:
        out.append(
            f"- Session pid {session.pid} ({session.user}, {session.application or 'no name'}) "
            f"is idle in transaction for {session.seconds:.0f} s: "
            f"{_code(_cell(_query(session.query)))}"
        )
    out.append("")
    long_running = [
        session
        for session in snapshot.activities.values()
        if session.state == "active" and session.seconds >= LONG_TRANSACTION_SECONDS
    ]
    for session in long_running:
        out.append(
            f"- Session pid {session.pid} ({session.user}) has been running a transaction for "
            f"{session.seconds:.0f} s: {_code(_cell(_query(session.query)))}"
        )
    out.append("")
    out += ["### Lock waits (who blocks whom)", ""]
    for session in snapshot.blocked:
        blockers = ", ".join(
            f"pid {pid}"
            + (
                f" ({_code(_cell(_query(snapshot.activities[pid].query)))})"
                if pid in snapshot.activities
                else ""
            )
            for pid in session.blocked_by
        )
        on = f" on `{session.relation}`" if session.relation else ""
        out.append(
            f"- Session pid {session.pid} waits{on} for {session.seconds:.0f} s, blocked by "
            f"{blockers}: {_code(_cell(_query(session.query)))}"
        )
    out += [] if snapshot.blocked else ["- No session is waiting for a lock."]
    out.append("")
    out += ["### Cache hit ratio", ""]
    if snapshot.cache_hit_ratio is None:
        out.append("- No table reads recorded yet.")
    else:
        out.append(f"- Heap cache hit ratio of user tables: {snapshot.cache_hit_ratio:.1%}")
        for name, ratio, reads in snapshot.table_cache_ratios[:5]:
            out.append(f"- Table `{name}`: {ratio:.1%} hits, {reads} blocks read from disk")
    out.append("")
    out += ["### Transaction ID age", ""]
    freeze_max = int(snapshot.setting("autovacuum_freeze_max_age", "200000000") or 200000000)
    for name, age in snapshot.database_xid_age:
        out.append(
            f"- Database `{name}`: {age} transactions ({age / freeze_max:.1%} of freeze max)"
        )
    out.append("")


def overlapping_indexes(snapshot) -> list[str]:
    """Indexes whose keys equal (duplicate) or lead (redundant) another index's keys on the same
    table, with the size they cost; unique, primary, partial and non-btree indexes are kept."""
    sizes = {(f.schema, f.index): f.size_bytes for f in snapshot.index_facts}
    found = []
    for (schema, _), table in sorted(snapshot.tables.items()):
        plain = [
            index
            for index in table.indexes
            if index.method == "btree"
            and index.valid
            and not index.partial
            and None not in index.columns
        ]
        for index in plain:
            if index.unique or index.primary:
                continue
            for other in plain:
                if other is index:
                    continue
                same = other.columns == index.columns
                if same and (other.unique or other.primary or other.name < index.name):
                    kind = "duplicates"
                elif not same and other.columns[: len(index.columns)] == index.columns:
                    kind = "is redundant with"
                else:
                    continue
                size = size_text(sizes.get((schema, index.name), 0))
                found.append(
                    f"Index `{index.name}` on `{table.qualified}` ({', '.join(index.columns)}) "
                    f"{kind} `{other.name}` ({', '.join(other.columns)}): {size} to reclaim"
                )
                break
    return found


def _backups(out: list[str], data: ReportInput) -> None:
    archiving = getattr(data.snapshot, "archiving", None)
    out += ["## Backup status", ""]
    if archiving is None:
        out += ["Archiver statistics could not be read.", ""]
        return
    command = archiving.archive_command or "(none)"
    out.append(f"- `archive_mode` = {archiving.archive_mode}, `wal_level` = {archiving.wal_level}")
    out.append(
        f"- `archive_command` = {_code(command)}, "
        f"`archive_library` = {_code(archiving.archive_library or '(none)')}"
    )
    last = (
        "never"
        if archiving.hours_since_archived is None
        else f"{archiving.hours_since_archived:.1f} h ago"
    )
    out.append(
        f"- WAL segments archived: {archiving.archived_count}, failures: "
        f"{archiving.failed_count}, last archived: {last}"
    )
    verdict = [v for v in data.violations if v.code == "PG504"]
    out.append(
        f"- Point-in-time recovery: {'NOT possible' if verdict else 'possible'}"
        + (f" ({verdict[0].message})" if verdict else "")
    )
    out.append("")


def _drift(out: list[str], data: ReportInput) -> None:
    out += ["## Schema drift", ""]
    if data.drift is None:
        out += ["Not compared.", ""]
        return
    out += [f"- {line}" for line in data.drift] or ["The database matches the migrations."]
    out.append("")


# --- HTML ----------------------------------------------------------------------------------------

_INLINE = re.compile(r"``\s(?P<double>.+?)\s``|`(?P<code>[^`]+)`|\*\*(?P<bold>[^*]+)\*\*")


def _inline(text: str) -> str:
    parts, last = [], 0
    for match in _INLINE.finditer(text):
        parts.append(html.escape(text[last : match.start()]))
        if match.group("bold") is not None:
            parts.append(f"<strong>{html.escape(match.group('bold'))}</strong>")
        else:
            code = match.group("double") or match.group("code")
            parts.append(f"<code>{html.escape(code)}</code>")
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)


def markdown_to_html(markdown: str, title: str) -> str:
    """HTML for the Markdown subset :func:`render_markdown` writes."""
    body: list[str] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        heading = re.match(r"^(#{1,6}) (.*)$", line)
        if heading:
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif line.startswith("|"):
            rows = []
            while index < len(lines) and lines[index].startswith("|"):
                rows.append(lines[index])
                index += 1
            index -= 1
            body.append("<table>")
            for number, row in enumerate(rows):
                if number == 1:
                    continue
                cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]
                tag = "th" if number == 0 else "td"
                body.append(
                    "<tr>"
                    + "".join(
                        f"<{tag}>{_inline(c.replace(chr(92) + '|', '|'))}</{tag}>" for c in cells
                    )
                    + "</tr>"
                )
            body.append("</table>")
        elif line.startswith(("- ", "  - ")):
            body.append("<ul>")
            while index < len(lines) and lines[index].startswith(("- ", "  - ")):
                item = lines[index]
                nested = item.startswith("  - ")
                text = _inline(item[4:] if nested else item[2:])
                css = ' class="sub"' if nested else ""
                body.append(f"<li{css}>{text}</li>")
                index += 1
            index -= 1
            body.append("</ul>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
        index += 1
    style = (
        "body{font-family:sans-serif;max-width:70em;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em;text-align:left}"
        "code{background:#f4f4f4}li.sub{margin-left:2em}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
