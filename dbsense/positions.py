"""Offsets -> 1-based line/column for reports (columns count Unicode code points)."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate


class LineIndex:
    def __init__(self, text: str) -> None:
        self.text = text
        lines = text.split("\n")
        self.starts = [0, *accumulate(len(line) + 1 for line in lines[:-1])]

    def location(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of ``offset``."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1
