from collections.abc import Iterator

from dbsense.analyzers.catalog import Index, Table
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
from dbsense.engines.postgres.helpers import display_name, matches_any

IDENTITY_COLUMN = "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"


class TableWithoutPrimaryKey(Rule):
    """## What it does
    Flags a table that has no primary key once the whole migration history has run (a later
    `ALTER TABLE ... ADD PRIMARY KEY` counts). It is reported on the `CREATE TABLE`.

    ## Why is this bad?
    Without a primary key nothing identifies a row: duplicates creep in, `UPDATE`s and
    `DELETE`s by key cannot be written safely, and ORMs cannot map the table. Logical
    replication cannot replicate `UPDATE` and `DELETE` on it (the default replica identity is
    the primary key), so tools built on it (upgrades with `pglogical`, CDC with Debezium,
    blue-green deploys) fail or need `REPLICA IDENTITY FULL`, which logs whole rows.

    When the table already has a `UNIQUE` index on `NOT NULL` columns, the message suggests
    `ALTER TABLE ... ADD PRIMARY KEY USING INDEX`, which promotes it without a new build.
    Partitions are reported through their partitioned parent; temporary tables are skipped.

    ## Example
    ```sql
    CREATE TABLE audit_log (at timestamptz NOT NULL, message text);
    ```

    Use instead:
    ```sql
    CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL,
        message text
    );
    ```

    ## Fix safety
    The fix inserts `id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY` as the first column.
    It is unsafe: `INSERT`s that list no columns now misalign, and on an existing table the
    new column rewrites the table under an `ACCESS EXCLUSIVE` lock. There is no fix when the
    table already has an `id` column or is partitioned (its key must include the partition
    key).

    ## Options
    `postgres.no-pk-allow` lists tables (names or glob patterns) that may have no primary key.

    ## References
    - https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-PRIMARY-KEYS
    - https://www.postgresql.org/docs/current/logical-replication-publication.html
    """

    code = "PG301"
    name = "table-without-primary-key"
    summary = "Table without a primary key"
    fix_availability = FixAvailability.SOMETIMES
    tags = ("schema",)
    workspace = True
    options = ("postgres.no-pk-allow",)
    peers = (
        "spl 0004_no_primary_key",
        "pgl how_many_table_without_primary_key",
        "bb table.require-pk",
    )

    def check_workspace(self, ctx: RuleContext) -> Iterator[Finding]:
        allowed = list(ctx.option("postgres", "no-pk-allow") or ())
        for table in ctx.tables():
            if table.temporary or table.partition_of is not None or table.primary_key:
                continue
            name = display_name(table.name)
            if matches_any(name, allowed) or matches_any(str(table.name), allowed):
                continue
            yield self._finding(table, name)

    def _finding(self, table: Table, name: str) -> Finding:
        message = f"table {name} has no primary key"
        related: tuple[Related, ...] = ()
        candidate = _promotable(table)
        if candidate is not None:
            message += (
                f"; its unique index {candidate.name} is on NOT NULL columns: "
                f"`ALTER TABLE {name} ADD PRIMARY KEY USING INDEX {candidate.name}`"
            )
            related = (
                Related(
                    candidate.location.path,
                    candidate.location.span,
                    f"unique index `{candidate.name}` could become the primary key",
                ),
            )
        return Finding(table.location.span, message, _fix(table), related, path=table.location.path)


def _promotable(table: Table) -> Index | None:
    """A unique, non-partial btree on plain NOT NULL columns: ``USING INDEX`` material."""
    for index in table.indexes:
        if not index.unique or index.constraint or index.where or index.method != "btree":
            continue
        columns = [table.columns.get(key.column or "") for key in index.keys]
        if columns and all(column is not None and not column.nullable for column in columns):
            return index
    return None


def _fix(table: Table) -> Fix | None:
    if (
        table.element_insert is None
        or table.partitioned
        or "id" in table.columns
        or not table.location.path.endswith(".sql")
    ):
        return None
    offset, separator = table.element_insert
    return Fix(
        "Add an identity primary key column `id`",
        (Edit(Span(offset, offset), IDENTITY_COLUMN + separator),),
        Applicability.UNSAFE,
    )
