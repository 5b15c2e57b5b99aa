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
    Severity,
)
from dbsense.engines.postgres.helpers import display_name, index_label, is_redundant_prefix


class RedundantIndex(Rule):
    """## What it does
    Flags a plain (non-unique, constraint-free) btree index whose keys are a strict left
    prefix of another btree index on the same table, in the schema as the whole migration
    history leaves it.

    ## Why is this bad?
    A btree on `(a, b)` serves every search that a btree on `(a)` serves: equality and ranges
    on `a`, and sorting by `a`. The narrow index still costs on every write (it is updated on
    each `INSERT` and each `UPDATE` of `a`), takes disk and cache, and is vacuumed. The wider
    index may be unique or the primary key.

    The keys must match exactly on the prefix (operator classes, collations, directions);
    the narrow index's `INCLUDE` columns must be among the wide index's columns; and it must
    have the same partial predicate as the wide one, or the wide one none. A narrow index can
    still win for index-only scans on very wide tables, hence the `info` level.

    ## Example
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, placed_at timestamptz);
    CREATE INDEX orders_customer_id_idx ON orders (customer_id);
    CREATE INDEX orders_customer_placed_idx ON orders (customer_id, placed_at);
    ```

    Use instead:
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, placed_at timestamptz);
    CREATE INDEX orders_customer_placed_idx ON orders (customer_id, placed_at);
    ```

    ## Fix safety
    The fix is display-only: dropping an index changes plans, and queries that relied on the
    narrow index's smaller size may get slower. Check its usage (`pg_stat_user_indexes`)
    first, then drop it with `DROP INDEX CONCURRENTLY` in a new migration.

    ## References
    - https://www.postgresql.org/docs/current/indexes-multicolumn.html
    - https://www.postgresql.org/docs/current/indexes-index-only-scans.html
    """

    code = "PG203"
    name = "redundant-index"
    summary = "Btree index whose keys lead another index on the same table"
    severity = Severity.INFO
    fix_availability = FixAvailability.ALWAYS
    tags = ("indexing",)
    workspace = True
    peers = ("pgl how_many_redudant_index", "bb index.not-redundant")

    def check_workspace(self, ctx: RuleContext) -> Iterator[Finding]:
        for table in ctx.tables():
            for narrow in table.indexes:
                wide = next(
                    (
                        other
                        for other in table.indexes
                        if other is not narrow and is_redundant_prefix(narrow, other)
                    ),
                    None,
                )
                if wide is not None:
                    yield self._finding(table, narrow, wide)

    def _finding(self, table: Table, narrow: Index, wide: Index) -> Finding:
        name = display_name(table.name)
        message = (
            f"index {index_label(narrow)} on {name} is redundant: its keys lead {index_label(wide)}"
        )
        related = (
            Related(
                wide.location.path,
                wide.location.span,
                f"index `{wide.name}` covers the same leading keys",
            ),
        )
        schema = table.name.schema
        qualified = narrow.name if schema in (None, "public") else f"{schema}.{narrow.name}"
        end = narrow.location.statement.end
        fix = Fix(
            f"Drop `{narrow.name}` in a new migration",
            (Edit(Span(end, end), f"\nDROP INDEX CONCURRENTLY {qualified};"),),
            Applicability.DISPLAY_ONLY,
        )
        return Finding(narrow.location.span, message, fix, related, path=narrow.location.path)
