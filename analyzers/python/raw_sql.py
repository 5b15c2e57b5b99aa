"""SQL embedded in Python: literals passed to ``execute``-style calls go through the SQL
front-end, and every span comes back as an offset into the Python file.

Recognised sinks: ``cursor.execute``/``executemany``, ``session.execute``/``connection.execute``,
``exec_driver_sql``, SQLAlchemy ``text()``, ``Model.objects.raw``, ``op.execute`` and Django
``RunSQL``. SQL built with an f-string, ``%``, ``+`` or ``.format`` is reported as a
:class:`DynamicSqlFact` instead (it cannot be analysed, and it may be injectable).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from dbsense.analyzers.ir import RAW_SQL, DynamicSqlFact, Fact, QualifiedName, Span
from dbsense.analyzers.python.imports import ImportMap
from dbsense.analyzers.python.source import PythonSource, keyword
from dbsense.analyzers.python.strings import remap, string_map
from dbsense.analyzers.sql.frontend import analyze_sql

_EXECUTE = {"execute", "executemany", "exec_driver_sql", "raw"}
_SQL_START = re.compile(
    r"\s*(?:--|/\*|\(|(?:SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|SET|RESET|SHOW|BEGIN|"
    r"START|COMMIT|ROLLBACK|END|ABORT|SAVEPOINT|RELEASE|TRUNCATE|GRANT|REVOKE|COPY|VALUES|"
    r"EXPLAIN|ANALYZE|VACUUM|REFRESH|LOCK|DO|CALL|COMMENT|REINDEX|CLUSTER|DECLARE|FETCH|"
    r"LISTEN|NOTIFY|UNLISTEN|PREPARE|EXECUTE|DEALLOCATE|DISCARD|TABLE|MERGE|IMPORT|"
    r"SECURITY|REASSIGN|MOVE|CLOSE|CHECKPOINT|LOAD)\b)",
    re.IGNORECASE,
)
_IDENTIFIER_BEFORE = ("FROM", "JOIN", "INTO", "UPDATE", "TABLE", "BY", ".", "AS", "INDEX", "ON")


@dataclass(slots=True)
class EmbeddedSql:
    """Embedded SQL of one module; ``origin`` is ``raw-sql`` or the migration framework."""

    source: PythonSource
    imports: ImportMap
    origin: str = RAW_SQL
    statements: int = 0
    analysed: int = 0
    created_tables: set[QualifiedName] = field(default_factory=set)

    def facts(self) -> Iterator[Fact]:
        for node in ast.walk(self.source.tree):
            if not isinstance(node, ast.Call):
                continue
            kind = self._sink(node)
            if kind is None:
                continue
            argument = node.args[0] if node.args else keyword(node, "sql")
            if argument is None:
                continue
            for item in (
                argument.elts if isinstance(argument, (ast.List, ast.Tuple)) else [argument]
            ):
                yield from self._argument(node, kind, item)

    def _sink(self, call: ast.Call) -> str | None:
        """``text``, ``runsql``, ``execute`` or ``None``."""
        qualified = self.imports.qualify(call.func) or ""
        if qualified.startswith("sqlalchemy") and qualified.endswith(".text"):
            return "text"
        if qualified.endswith("RunSQL") or (
            isinstance(call.func, ast.Attribute) and call.func.attr == "RunSQL"
        ):
            return "runsql"
        if isinstance(call.func, ast.Attribute) and call.func.attr in _EXECUTE:
            if call.func.attr == "raw" and ".objects" not in ast.unparse(call.func.value):
                return None
            return "execute"
        return None

    def _argument(self, call: ast.Call, kind: str, node: ast.expr) -> Iterator[Fact]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield from self._literal(node)
            return
        if kind == "execute" and isinstance(node, ast.Call) and self._sink(node) == "text":
            return  # analysed as the text() call
        dynamic = self._dynamic(call, kind, node)
        if dynamic is not None:
            yield dynamic

    def _literal(self, node: ast.Constant) -> Iterator[Fact]:
        if not _SQL_START.match(node.value):
            return  # not SQL (a GraphQL or shell string passed to some other execute())
        span = self.source.span(node)
        mapping = string_map(self.source.text, span.start, span.end, node.value)
        if mapping is None:
            return
        analysis = analyze_sql(
            mapping.value, origin=self.origin, created_tables=self.created_tables, placeholders=True
        )
        self.statements += analysis.statements
        self.analysed += analysis.analysed
        for fact in analysis.facts:
            yield remap(fact, mapping)

    # --- SQL built from strings ------------------------------------------------------------

    def _dynamic(self, call: ast.Call, kind: str, node: ast.expr) -> DynamicSqlFact | None:
        style = _style(node)
        if style is None or not _SQL_START.match(_leading_text(node)):
            return None
        if kind == "runsql":
            return None  # migrations build DDL from constants; not user input
        fix_text, fix_span = self._parameterized(call, kind, node, style)
        return DynamicSqlFact(
            self.source.span(node),
            RAW_SQL,
            style,
            _callee(call),
            fix_text,
            fix_span,
        )

    def _parameterized(
        self, call: ast.Call, kind: str, node: ast.expr, style: str
    ) -> tuple[str | None, Span | None]:
        if style == "f-string" and isinstance(node, ast.JoinedStr):
            parts = _fstring_parts(node)
            if parts is None:
                return None, None
            if kind == "execute" and len(call.args) == 1 and not call.keywords:
                sql, values = _bind(parts, lambda _: "%s", escape_percent=True)
                if sql is None:
                    return None, None
                params = ", ".join(self.source.segment(v) for v in values)
                text = f"{_quote(sql)}, ({params},)"
                return text, self.source.span(node)
            if kind == "text":
                sql, values = _bind(parts, lambda i: f":p{i}")
                if sql is None:
                    return None, None
                names = [f"p{i}={self.source.segment(v)}" for i, v in enumerate(values)]
                call_span = self.source.span(call)
                func = self.source.segment(call.func)
                text = f"{func}({_quote(sql)}).bindparams({', '.join(names)})"
                return text, call_span
        if (
            style == "%"
            and kind == "execute"
            and len(call.args) == 1
            and isinstance(node, ast.BinOp)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
        ):
            template = node.left.value
            if "%(" in template or template.count("%s") == 0:
                return None, None
            cleaned = template.replace("'%s'", "%s").replace('"%s"', "%s")
            if cleaned.replace("%s", "").count("%") or _identifier_placeholder(cleaned):
                return None, None
            right = node.right
            params = (
                self.source.segment(right)
                if isinstance(right, ast.Tuple)
                else f"({self.source.segment(right)},)"
            )
            return f"{_quote(cleaned)}, {params}", self.source.span(node)
        return None, None


def _style(node: ast.expr) -> str | None:
    if isinstance(node, ast.JoinedStr) and any(
        isinstance(v, ast.FormattedValue) for v in node.values
    ):
        return "f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_str(node.left):
        return "%"
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add)
        and (_is_str(node.left) or _is_str(node.right) or _style(node.left) or _style(node.right))
    ):
        return "+"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and _is_str(node.func.value)
    ):
        return ".format"
    return None


def _leading_text(node: ast.expr) -> str:
    """The constant text a built string starts with (empty when it starts with a value)."""
    while True:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            first = node.values[0] if node.values else None
            return first.value if isinstance(first, ast.Constant) else ""
        if isinstance(node, ast.BinOp):
            node = node.left
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        else:
            return ""


def _is_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        owner = ast.unparse(func.value)
        owner = owner if len(owner) <= 30 else "..."
        return f"{owner}.{func.attr}"
    return ast.unparse(func)


def _fstring_parts(node: ast.JoinedStr) -> list[str | ast.expr] | None:
    parts: list[str | ast.expr] = []
    for value in node.values:
        if (isinstance(value, ast.Constant) and isinstance(value.value, str)) or (
            isinstance(value, ast.FormattedValue)
            and value.conversion == -1
            and value.format_spec is None
        ):
            parts.append(value.value)
        else:
            return None
    return parts


def _bind(
    parts: list[str | ast.expr], placeholder, escape_percent: bool = False
) -> tuple[str | None, list[ast.expr]]:
    """SQL with each interpolated value replaced by a placeholder (quotes around it dropped),
    or ``None`` when a value sits where an identifier goes or inside a longer string literal
    (``'%{term}%'``). ``escape_percent`` doubles literal ``%`` for ``%s``-style drivers."""
    sql = ""
    values: list[ast.expr] = []
    for index, part in enumerate(parts):
        if isinstance(part, str):
            sql += part.replace("%", "%%") if escape_percent else part
            continue
        following = parts[index + 1] if index + 1 < len(parts) else ""
        quoted = (
            sql.endswith(("'", '"')) and isinstance(following, str) and following[:1] == sql[-1]
        )
        if quoted:
            sql = sql[:-1]
            parts[index + 1] = following[1:]  # type: ignore[index]
        if sql.count("'") % 2 or _identifier_placeholder(sql + "%s"):
            return None, []
        sql += placeholder(len(values))
        values.append(part)
    return sql, values


def _identifier_placeholder(sql: str) -> bool:
    """True when the last placeholder stands where a table or column name goes."""
    before = sql[: sql.rfind("%s")].rstrip().upper()
    return before.endswith(_IDENTIFIER_BEFORE) or before.endswith("SELECT")


def _quote(sql: str) -> str:
    if "\n" in sql:
        return '"""' + sql.replace('"""', '\\"\\"\\"') + '"""'
    return '"' + sql.replace("\\", "\\\\").replace('"', '\\"') + '"'
