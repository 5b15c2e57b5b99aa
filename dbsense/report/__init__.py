"""Report formats: text, json, sarif, github. Each renders a CheckResult to one string."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dbsense.positions import LineIndex
from dbsense.workspace import CheckResult

FORMATS = ("text", "json", "sarif", "github")


class Positions:
    """Line indexes of the documents a report mentions, built on demand."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = texts
        self._indexes: dict[str, LineIndex] = {}

    def index(self, path: str) -> LineIndex:
        if path not in self._indexes:
            self._indexes[path] = LineIndex(self.texts.get(path, ""))
        return self._indexes[path]

    def location(self, path: str, offset: int) -> tuple[int, int]:
        return self.index(path).location(offset)

    def start_end(self, path: str, start: int, end: int) -> tuple[tuple[int, int], tuple[int, int]]:
        index = self.index(path)
        return index.location(start), index.location(end)


def render(fmt: str, result: CheckResult, texts: Mapping[str, str], **options: object) -> str:
    renderer: Callable[..., str]
    if fmt == "json":
        from dbsense.report.json import render_json as renderer
    elif fmt == "sarif":
        from dbsense.report.sarif import render_sarif as renderer
    elif fmt == "github":
        from dbsense.report.github import render_github as renderer
    else:
        from dbsense.report.text import render_text as renderer
    return renderer(result, Positions(texts), **options)
