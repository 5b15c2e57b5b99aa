"""Live checks as (code, message) notes per engine, shared by the CLI and the server.

A connection that fails becomes one ``DBS006`` note naming the redacted URL: static analysis
never depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbsense.live import LiveError

UNAVAILABLE = "DBS006"


@dataclass(frozen=True, slots=True)
class EngineNotes:
    engine: str  # "PostgreSQL" | "Redis" | "MongoDB"
    target: str  # the redacted URL
    notes: tuple[tuple[str, str], ...]  # (code, message)


def redis_notes(url: str) -> EngineNotes:
    from dbsense.live.redis import inspect_redis, redact

    try:
        notes = inspect_redis(url).notes
    except LiveError as error:
        return EngineNotes("Redis", redact(url), ((UNAVAILABLE, str(error)),))
    return EngineNotes("Redis", redact(url), tuple((n.code, n.message) for n in notes))


def mongo_notes(url: str, workspace) -> EngineNotes:
    from dbsense.live.mongo import code_filters, inspect_mongo, redact

    try:
        notes = inspect_mongo(url, code_filters(workspace)).notes
    except LiveError as error:
        return EngineNotes("MongoDB", redact(url), ((UNAVAILABLE, str(error)),))
    return EngineNotes("MongoDB", redact(url), tuple((n.code, n.message) for n in notes))


def render_markdown(results: list[EngineNotes]) -> str:
    """The notes as a short Markdown report (what the editor command shows)."""
    if not results:
        return (
            "# Live checks\n\nNo live connection is configured: set "
            "`dbsense.live.databaseUrl`, `dbsense.live.redisUrl` or `dbsense.live.mongoUrl`.\n"
        )
    lines = ["# Live checks", ""]
    for result in results:
        lines += [f"## {result.engine} `{result.target}`", ""]
        if not result.notes:
            lines.append("No findings.")
        for code, message in result.notes:
            if code == UNAVAILABLE:
                lines.append(f"- **live check unavailable** ({code}): {message}")
            else:
                lines.append(f"- **{code}** {message}")
        lines.append("")
    return "\n".join(lines)
