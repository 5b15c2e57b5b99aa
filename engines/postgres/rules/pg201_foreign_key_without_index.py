from collections.abc import Iterator

from dbsense.analyzers.catalog import ForeignKey, Table
from dbsense.analyzers.ir import Span
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Related,
    Rule,
    RuleContext,
)
from dbsense.engines.postgres.framework import catalog_fix
from dbsense.engines.postgres.helpers import (
    covers,
    display_name,
    free_name,
    index_name,
    table_indexes,
)


class ForeignKeyWithoutIndex(Rule):
    """## What it does
    Flags a foreign key whose columns do not lead any index on the referencing table, in the
    schema as the whole migration history leaves it.

    ## Why is this bad?
    PostgreSQL indexes the referenced side of a foreign key (it must be a primary key or unique)
    but never the referencing side. Every `DELETE` or key `UPDATE` on the parent then scans the
    child table to check for referencing rows, holding its locks meanwhile, and joins from
    parent to children cannot use an index. On large tables a single parent delete turns into
    a sequential scan per row.

    An index covers the key when its first keys are exactly the foreign key's columns (in any
    order) as plain columns, it is a btree (or a hash on one column), and it is not partial
    unless its predicate only excludes NULLs. Primary keys, unique constraints and indexes added
    by later migrations count, and so do the indexes of a partitioned parent (Postgres creates
    them on every partition). When a later `DROP INDEX` removed the index that covered the key,
    the finding points at that drop too.

    ## Example
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders (
        id bigint PRIMARY KEY,
        customer_id bigint NOT NULL REFERENCES customers (id)
    );
    ```

    Use instead:
    ```sql
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders (
        id bigint PRIMARY KEY,
        customer_id bigint NOT NULL REFERENCES customers (id)
    );
    CREATE INDEX orders_customer_id_idx ON orders (customer_id);
    ```

    ## Django
    `ForeignKey` creates an index unless `db_index=False`; the rule fires only then and when no
    `Meta.indexes`, `UniqueConstraint` or `unique_together` covers the column.

    ## SQLAlchemy / Alembic
    `ForeignKey` columns get no index unless `index=True` or an `Index` covers them.

    ## Fix safety
    The fix is unsafe: it adds an index, which costs write throughput and disk, and on an
    existing table it is built with `CONCURRENTLY`, which cannot run inside a transaction.

    ## Options
    `postgres.fk-index-ignore` lists foreign keys that need no index (`table.column`).

    ## References
    - https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-FK
    """

    code = "PG201"
    name = "foreign-key-without-index"
    summary = "Foreign key columns lead no index on the referencing table"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("indexing",)
    workspace = True
    options = ("postgres.fk-index-ignore", "postgres.small-tables")

    def check_workspace(self, ctx: RuleContext) -> Iterator[Finding]:
        ignored = set(ctx.option("postgres", "fk-index-ignore") or ())
        small = set(ctx.option("postgres", "small-tables") or ())
        for table in ctx.tables():
            if table.temporary or display_name(table.name) in small:
                continue
            for fk in table.foreign_keys:
                columns = fk.definition.columns
                if _ignored(table, columns, ignored):
                    continue
                if any(covers(index, columns) for index in table_indexes(ctx.catalog, table)):
                    continue
                yield self._finding(table, fk, ctx)

    def _finding(self, table: Table, fk: ForeignKey, ctx: RuleContext) -> Finding:
        # Names the new index must avoid: this table's indexes, live and dropped.
        taken = {i.name or "" for i in table.indexes}
        taken.update(d.index.name or "" for d in table.dropped_indexes)
        columns = fk.definition.columns
        name = display_name(table.name)
        target = display_name(fk.ref_table)
        ref_columns = ", ".join(fk.definition.ref_columns) or "primary key"
        column_list = ", ".join(columns)
        message = (
            f"foreign key {name}({column_list}) -> {target}({ref_columns}) has no index "
            f"whose leading columns are ({column_list})"
        )
        related = [
            Related(table.location.path, table.location.span, f"table `{name}` defined here")
        ]
        related.extend(
            Related(
                dropped.dropped_at.path,
                dropped.dropped_at.span,
                f"index `{dropped.index.name}` covered this foreign key until it was dropped here",
            )
            for dropped in table.dropped_indexes
            if covers(dropped.index, columns)
        )
        return Finding(
            fk.location.span,
            message,
            self._fix(table, fk, taken)
            or catalog_fix(ctx, fk.location.path, fk.location.span, "fk-index"),
            tuple(related),
            path=fk.location.path,
        )

    def _fix(self, table: Table, fk: ForeignKey, taken: set[str]) -> Fix | None:
        if not fk.location.path.endswith(".sql"):
            return None
        columns = fk.definition.columns
        concurrently = "" if fk.table_created_in_unit else " CONCURRENTLY"
        statement = (
            f"\nCREATE INDEX{concurrently} {free_name(index_name(table.name, columns), taken)} "
            f"ON {display_name(table.name)} ({', '.join(columns)});"
        )
        end = fk.location.statement.end
        return Fix(
            f"Add index on {display_name(table.name)} ({', '.join(columns)})",
            (Edit(Span(end, end), statement),),
            Applicability.UNSAFE,
        )


def _ignored(table: Table, columns: tuple[str, ...], ignored: set[str]) -> bool:
    name = display_name(table.name)
    return name in ignored or any(f"{name}.{column}" in ignored for column in columns)
