import re
from collections.abc import Iterator

from dbsense.analyzers.ir import (
    AddColumnFact,
    AlterColumnTypeFact,
    ColumnDef,
    CreateTableFact,
    Fact,
    QualifiedName,
    Span,
)
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
from dbsense.engines.postgres.framework import declared_by_model, restated_type, sql_only
from dbsense.engines.postgres.helpers import display_name, index_name

VARCHAR = "character varying"
_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")


class VarcharLength(Rule):
    """## What it does
    Flags `varchar(n)` columns.

    ## Why is this bad?
    In PostgreSQL `varchar(n)`, unbounded `varchar` and `text` are the same type underneath:
    same storage, same speed. The length only adds a check, and that check is hard to change
    later. Lowering the limit rewrites nothing but scans the table under `ACCESS EXCLUSIVE`,
    and tools often emit a type change that rewrites it. A `CHECK (char_length(c) <= n)`
    constraint expresses the same rule and can be replaced online: add the new one `NOT VALID`,
    validate it without blocking writes, then drop the old one.

    ## Example
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY, email varchar(255) NOT NULL);
    ```

    Use instead:
    ```sql
    CREATE TABLE customers (
        id bigint PRIMARY KEY,
        email text NOT NULL CHECK (char_length(email) <= 255)
    );
    ```

    ## Django
    The rule skips `CharField` unless `postgres.varchar-length-django` is set. Since Django 4.2
    `CharField` accepts no `max_length` on PostgreSQL, which maps to unbounded `varchar`; use a
    `CheckConstraint` with `Length` for the limit.

    ## SQLAlchemy / Alembic
    Use `Text()` (or `String()` without a length) plus a `CheckConstraint`.

    ## Fix safety
    The fix is unsafe: it changes the column's declared type, which clients that introspect
    the schema can see. On an existing table the fix adds the CHECK as a separate
    `NOT VALID` constraint so that adding it does not scan the table.

    ## References
    - https://www.postgresql.org/docs/current/datatype-character.html
    - https://wiki.postgresql.org/wiki/Don%27t_Do_This#Don.27t_use_varchar.28n.29_by_default
    """

    code = "PG303"
    name = "varchar-length"
    summary = "`varchar(n)` column: the limit is hard to change; use `text` with a CHECK"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("schema", "types")
    severity = Severity.INFO
    aliases = ("prefer-text",)
    consumes = (CreateTableFact, AddColumnFact, AlterColumnTypeFact)
    peers = ("squawk:prefer-text-field",)

    def check(self, fact: Fact, ctx: RuleContext) -> Iterator[Finding]:
        if isinstance(fact, CreateTableFact):
            for column in fact.columns:
                if declared_by_model(ctx, fact.origin, fact.table, column.name):
                    continue
                for finding in self._column(fact.table, column, None):
                    yield sql_only(finding, fact.origin)
        elif isinstance(fact, AddColumnFact):
            if declared_by_model(ctx, fact.origin, fact.table, fact.column.name):
                return
            existing = None if fact.table_created_in_unit else fact.span
            for finding in self._column(fact.table, fact.column, existing):
                yield sql_only(finding, fact.origin)
        elif isinstance(fact, AlterColumnTypeFact):
            if declared_by_model(ctx, fact.origin, fact.table, fact.column):
                return
            if restated_type(ctx, fact):
                return
            type_ = fact.type
            if type_ is not None and type_.name == VARCHAR and type_.args:
                yield Finding(
                    type_.span,
                    f"`{display_name(fact.table)}.{fact.column}` becomes `varchar({type_.args[0]})`"
                    "; use `text` with a CHECK on its length",
                )

    def _column(
        self, table: QualifiedName, column: ColumnDef, existing: Span | None
    ) -> Iterator[Finding]:
        type_ = column.type
        if type_ is None or type_.name != VARCHAR or not type_.args:
            return
        limit = type_.args[0]
        fix = None
        if not type_.array:
            name = _quoted(column.name)
            check = f"CHECK (char_length({name}) <= {limit})"
            edits = [Edit(type_.span, "text")]
            if existing is None:
                edits.append(Edit(Span(column.span.end, column.span.end), f" {check}"))
            else:
                constraint = index_name(table, (column.name,), "length")
                statement = (
                    f"\nALTER TABLE {display_name(table)} ADD CONSTRAINT {constraint} "
                    f"{check} NOT VALID;"
                )
                edits.append(Edit(Span(existing.end, existing.end), statement))
            fix = Fix(
                "Use `text` with a length CHECK",
                tuple(edits),
                Applicability.UNSAFE,
            )
        yield Finding(
            type_.span,
            f"`{display_name(table)}.{column.name}` is `varchar({limit})`; use `text` with "
            f"`CHECK (char_length({column.name}) <= {limit})`",
            fix,
        )


def _quoted(name: str) -> str:
    return name if _PLAIN.match(name) else '"' + name.replace('"', '""') + '"'
