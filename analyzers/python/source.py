"""A parsed Python document: its ``ast`` tree and exact ``str`` offsets for any node.

``ast`` reports columns as UTF-8 byte offsets; spans in dbsense are ``str`` offsets, so every
conversion goes through :class:`PythonSource`.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field

from dbsense.analyzers.ir import Span, is_python

# Parsing the user's code must not print the compiler's warnings about it ("invalid escape
# sequence", shown by default from Python 3.12 on): they are not dbsense's findings.
warnings.filterwarnings("ignore", category=SyntaxWarning)
warnings.filterwarnings("ignore", "invalid escape sequence", DeprecationWarning)


@dataclass(slots=True)
class PythonSource:
    """The text of a module, its tree, and a line table for offset conversions."""

    path: str
    text: str
    tree: ast.Module
    _lines: list[str] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lines = self.text.splitlines(keepends=True) or [""]
        start = 0
        for line in self._lines:
            self._starts.append(start)
            start += len(line)
        self._starts.append(start)

    @classmethod
    def parse(cls, path: str, text: str) -> PythonSource:
        """Parse ``text``; raises ``SyntaxError`` (and friends) like :func:`ast.parse`."""
        return cls(path, text, ast.parse(text, filename=path))

    def offset(self, lineno: int, col_byte: int) -> int:
        """The ``str`` offset of an ``ast`` position (1-based line, UTF-8 byte column)."""
        index = min(max(lineno - 1, 0), len(self._lines) - 1)
        line = self._lines[index]
        prefix = line.encode("utf-8", "surrogatepass")[:col_byte]
        return self._starts[index] + len(prefix.decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> Span:
        """The span of an expression or statement node."""
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end_line = getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
        end_col = getattr(node, "end_col_offset", None)
        end = self.offset(end_line, end_col) if end_col is not None else start
        return Span(start, max(start, end))

    def segment(self, node: ast.AST) -> str:
        span = self.span(node)
        return self.text[span.start : span.end]

    def line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1

    def indentation(self, offset: int) -> str:
        start = self.line_start(offset)
        line = self.text[start:offset]
        return line[: len(line) - len(line.lstrip())]


def module_name(path: str) -> str:
    """The dotted module name of a workspace-relative path: ``shop/models.py`` -> ``shop.models``;
    a package's ``__init__.py`` names the package."""
    parts = [part for part in path.replace("\\", "/").split("/") if part and part != "."]
    if parts and is_python(parts[-1]):
        parts[-1] = parts[-1].rsplit(".", 1)[0]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def keyword(node: ast.Call, name: str) -> ast.expr | None:
    """The value of keyword argument ``name`` of a call, if given."""
    return next((kw.value for kw in node.keywords if kw.arg == name), None)


def class_assignments(node: ast.ClassDef) -> dict[str, ast.expr]:
    """The values assigned to names in a class body (``x = v``, ``x = y = v``, ``x: T = v``);
    the last assignment of a name wins."""
    values: dict[str, ast.expr] = {}
    for item in node.body:
        if isinstance(item, ast.Assign):
            for target in item.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = item.value
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value:
            values[item.target.id] = item.value
    return values


def literal(node: ast.AST | None) -> object:
    """The Python value of a literal node (strings, numbers, booleans, None, tuples of these),
    or ``NotImplemented`` when the node is not a plain literal."""
    if node is None:
        return NotImplemented
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NotImplemented
