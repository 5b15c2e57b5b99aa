import re
from collections.abc import Iterator

from dbsense.analyzers.ir import DJANGO, LoopFact, QuerySource, SelectStarFact, Span
from dbsense.analyzers.python.index import PythonIndex
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
    Severity,
)
from dbsense.engines.postgres.helpers import display_name
from dbsense.engines.postgres.orm import ModelColumns, model_columns, python_index

_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")
MIN_COLUMNS = 8  # ORM rows: a model this wide, of which a loop reads at most half
_WIDE = {"text", "jsonb", "json", "bytea", "xml", "tsvector"}
_SHOWN = 3


class SelectStar(Rule):
    """## What it does
    Flags `SELECT *` and `t.*` in the select list of a top-level query or a view.

    ## Why is this bad?
    `*` reads every column, including wide `text`/`jsonb` values that are stored out of line
    (TOAST) and must be fetched and decompressed, and it rules out index-only scans. The
    application receives whatever the table holds today: adding a column changes every result,
    and dropping or reordering one breaks code that reads by position. In a view, `*` is expanded
    once, when the view is created, so columns added later never show up.

    `count(*)`, `EXISTS (SELECT * ...)` and subqueries whose outer query names its columns are
    fine, and so are copies in migrations (`INSERT INTO ... SELECT *`).

    ## Example
    ```sql
    SELECT * FROM orders WHERE customer_id = 42;
    ```

    Use instead:
    ```sql
    SELECT id, status, total FROM orders WHERE customer_id = 42;
    ```

    ## Django
    Querysets select every model field. The rule flags a queryset that a loop (or a
    comprehension, or a `map`/`sorted` lambda) iterates when the model maps at least 8 columns
    and the loop reads at most half of them, and only when every use of the row is visible: the
    loop reads attributes of the row and nothing else (the row is not passed to a function,
    returned, stored or rendered, no method of it is called, and the queryset is not used
    elsewhere), each attribute is a known field or relation, and the model's table and columns
    are in the workspace catalog. The fix adds `.only(...)` with the fields read; `.values()`
    suits rows that need no model instance. Querysets with `.only()`, `.defer()`, `.values()`
    or `select_related()`/`prefetch_related()` are left alone.

    ## SQLAlchemy / Alembic
    `select(Order)` and `session.query(Order)` list the mapped columns. The same conditions
    apply (relationships read from the row, deferred columns and eager loading leave the query
    alone); the fix adds `.options(load_only(...))`. `deferred()` suits a wide column that
    most queries never read.

    ## Fix safety
    The fix lists the table's columns as the workspace schema defines them, and is unsafe:
    the schema in production may differ, and code reading columns by position sees the same
    order only if nothing was added in between. On ORM code, `.only()`/`load_only()` is unsafe
    too: a field read the analysis cannot see (a signal handler, `__str__`, a later `save()`)
    then runs one query per row to load it.

    ## References
    - https://www.postgresql.org/docs/current/sql-select.html
    - https://www.postgresql.org/docs/current/sql-createview.html
    """

    code = "PG205"
    name = "select-star"
    summary = "`SELECT *` reads every column and breaks when the table changes"
    severity = Severity.INFO
    fix_availability = FixAvailability.SOMETIMES
    tags = ("query",)
    consumes = (SelectStarFact, LoopFact)

    def check(self, fact: SelectStarFact | LoopFact, ctx: RuleContext) -> Iterator[Finding]:
        if isinstance(fact, LoopFact):
            yield from self._rows(fact, ctx)
            return
        star = f"{fact.qualifier}.*" if fact.qualifier else "*"
        where = f"view `{display_name(fact.view)}`" if fact.view else "query"
        target = f" from `{display_name(fact.table)}`" if fact.table else ""
        message = f"`{star}`{target} in a {where}; name the columns it needs"
        if fact.view is not None:
            message += " (a view's `*` is frozen when it is created)"
        yield Finding(fact.span, message, self._fix(fact, ctx))

    def _fix(self, fact: SelectStarFact, ctx: RuleContext) -> Fix | None:
        if fact.table is None or ctx.catalog is None:
            return None
        table = ctx.catalog.table(fact.table)
        if table is None or not table.columns:
            return None
        prefix = f"{fact.qualifier}." if fact.qualifier else ""
        columns = ", ".join(prefix + _quoted(name) for name in table.columns)
        return Fix("List the columns", (Edit(fact.span, columns),), Applicability.UNSAFE)

    # --- ORM rows ---------------------------------------------------------------------------

    def _rows(self, fact: LoopFact, ctx: RuleContext) -> Iterator[Finding]:
        source = fact.source
        if (
            fact.kind != "loop"
            or fact.rows_escape
            or not fact.variable
            or source is None
            or not source.model
            or source.rows_are_values
            or source.restricted
            or source.eager
            or source.select_all
            or source.query_span is None
        ):
            return
        index = python_index(ctx)
        known = model_columns(ctx, index, source.model)
        if known is None or known.model.deferred:
            return
        read = _fields_read(fact, source, index, known)
        loaded = len(known.columns)
        if read is None or loaded < MIN_COLUMNS or len(read) * 2 > loaded:
            return
        model = source.model.rsplit(".", 1)[-1]
        table = display_name(known.table.name)
        if read:
            shown = "only " + ", ".join(f"`{name}`" for name in read)
        else:
            shown = "only the primary key"
        message = (
            f"`{model}` rows load all {loaded} columns of `{table}`, but the loop reads {shown}"
        )
        wide = _wide_unread(known, read)
        if wide:
            message += f" (not {wide})"
        text, fix = _load_only(source, model, read)
        advice = f"load just those with {text}" if read else f"use {text}"
        yield Finding(source.query_span, f"{message}; {advice}", fix)


def _fields_read(
    fact: LoopFact, source: QuerySource, index: PythonIndex, known: ModelColumns
) -> list[str] | None:
    """The fields of the model a loop reads from its rows (for ``.only()``: relation names
    stand for their key column), or ``None`` when some use of the row is not understood."""
    read: list[str] = []
    pk = next((attr for attr, column in known.columns.items() if column.name in _pk(known)), None)
    for access in fact.accesses:
        if not access.attrs:
            return None  # a method of the row itself: it may read any field
        first = access.attrs[0]
        if first in known.columns or first == "pk":
            name = pk if first == "pk" else first
        else:
            relation = index.relation(source.model, first)
            if relation is None or source.framework != DJANGO:
                return None
            if relation.kind not in ("forward", "one-to-one"):
                continue  # reverse and many-to-many managers need only the primary key
            name = first
        if name is not None and name != pk and name not in read:
            read.append(name)
    return read


def _pk(known: ModelColumns) -> set[str]:
    index = known.table.primary_key
    return {key.column for key in index.keys if key.column} if index is not None else set()


def _wide_unread(known: ModelColumns, read: list[str]) -> str:
    names = [
        f"`{attr}` {column.type.name}"
        for attr, column in known.columns.items()
        if attr not in read
        and column.type is not None
        and (column.type.name in _WIDE or column.type.array)
    ]
    if not names:
        return ""
    more = ", ..." if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


def _load_only(source: QuerySource, model: str, read: list[str]) -> tuple[str, Fix | None]:
    """The loading option for the fields read, and the fix that adds it when it can."""
    at = source.insert_at
    if source.framework == DJANGO:
        if not read:
            return '`.values_list("pk", flat=True)`', None
        text = ".only(" + ", ".join(f'"{name}"' for name in read) + ")"
        if at is None:
            return f"`{text}`", None
        return f"`{text}`", Fix(f"Add `{text}`", (Edit(Span(at, at), text),), Applicability.UNSAFE)
    if not read:
        return f"a select of `{model}`'s key column", None
    names = dict(source.loader_names)
    local = names.get("load_only", "load_only")
    text = f".options({local}(" + ", ".join(f"{model}.{name}" for name in read) + "))"
    if at is None:
        return f"`{text}`", None
    edits = [Edit(Span(at, at), text)]
    if "load_only" not in names and source.import_at is not None:
        imported = Span(source.import_at, source.import_at)
        edits.insert(0, Edit(imported, "from sqlalchemy.orm import load_only\n"))
    return f"`{text}`", Fix(f"Add `{text}`", tuple(edits), Applicability.UNSAFE)


def _quoted(name: str) -> str:
    return name if _PLAIN.match(name) else '"' + name.replace('"', '""') + '"'
