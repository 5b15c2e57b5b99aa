from collections.abc import Iterator

from dbsense.analyzers.ir import QualifiedName, Span
from dbsense.analyzers.live import LiveIndexAdviceFact
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)
from dbsense.engines.postgres.helpers import display_name


class UnindexedFilterColumn(Rule):
    """## What it does
    Live check: flags a query of the workspace when an index on its filter, join or sort
    columns cuts the planner's estimated cost by half or more. Queries are the `SELECT`s of
    `.sql` files, SQL embedded in Python, and ORM queries whose SQL is known statically. Each
    query is planned on the read-only session (`EXPLAIN`, never executed; a generic plan when
    it has parameters), then planned again with each candidate created as a hypothetical
    index by hypopg. A candidate is kept only when the plan uses it and the cost drops to half
    or less; queries cheaper than 100 are left alone. An index the migrations already create
    is not suggested again.

    ## Why is this bad?
    Without an index on the filtered column, Postgres answers the query with a sequential
    scan: every execution reads the whole table, so its cost grows with the table rather than
    with the rows it returns, and each scan pushes useful pages out of shared buffers. A btree
    index turns the filter into a lookup of the matching rows.

    The estimate is the planner's, with the database's statistics: check the workload before
    building an index, since every index also slows down every write to the table.

    ## Example
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint NOT NULL, kind text NOT NULL);
    INSERT INTO events SELECT g, g % 1000, 'click' FROM generate_series(1, 50000) g;
    ANALYZE events;
    SELECT id, kind FROM events WHERE account_id = 42;
    ```

    Use instead:
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint NOT NULL, kind text NOT NULL);
    INSERT INTO events SELECT g, g % 1000, 'click' FROM generate_series(1, 50000) g;
    CREATE INDEX events_account_id_idx ON events (account_id);
    ANALYZE events;
    SELECT id, kind FROM events WHERE account_id = 42;
    ```

    ## Django
    `Model.objects` querysets are read when they are evaluated (`get`, `first`, `count`,
    `exists`, a literal slice, iteration, `list()`) and built from keyword `filter` lookups
    (`exact`, `gt`, `gte`, `lt`, `lte`, `isnull`, `fk__id`), `order_by`, `values` and
    `values_list`. The SQL is written as Django writes it: every model column, the model's
    `Meta.ordering`, foreign keys as their `_id` column, `LIMIT 21` for `get()`. Querysets
    with `Q` objects, `exclude`, joins, annotations or a custom manager are left out.

    ## SQLAlchemy
    `select(Model)` passed to `execute`, `scalars` or `scalar` (directly or through a
    variable assigned once), and `session.query(Model)` ended by `all`, `first`, `one` or
    `one_or_none`, with `where`/`filter` comparisons (`==`, `<`, `<=`, `>`, `>=`, `is_(None)`,
    `and_`), `filter_by`, `order_by` and `limit`.

    ## Fix safety
    The fix is a new migration next to the latest one that changed the table, in the
    project's format (SQL files, Flyway, Alembic or Django), building the index with
    `CONCURRENTLY` and dropping it in the rollback. It is never applied by `--fix`: the
    editor's quick fix creates the file for review, and nothing runs on the database.
    Building an index reads the whole table, and every later write maintains it.

    ## References
    - https://hypopg.readthedocs.io/en/latest/usage.html
    - https://www.postgresql.org/docs/current/indexes-intro.html
    - https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
    """

    code = "PG207"
    name = "unindexed-filter-column"
    summary = "Live: an index on the query's filter, join or sort columns halves its cost"
    fix_availability = FixAvailability.ALWAYS
    tags = ("live", "indexing")
    consumes = (LiveIndexAdviceFact,)
    peers = ("dx", "Supabase index_advisor")

    def check(self, fact: LiveIndexAdviceFact, ctx: RuleContext) -> Iterator[Finding]:
        table = display_name(QualifiedName(fact.table, fact.schema))
        index = f"{table} ({', '.join(fact.columns)})"
        saving = 1 - fact.cost_after / fact.cost_before if fact.cost_before else 0.0
        message = (
            f"An index on `{index}` would cut this query's estimated cost from "
            f"{fact.cost_before:.0f} to {fact.cost_after:.0f} ({saving:.0%} less): the plan "
            f"`{fact.plan_before}` becomes `{fact.plan_after}` (checked with a hypothetical "
            "index)"
        )
        fix = None
        if fact.migration:
            first = fact.migration[0][0].rsplit("/", 1)[-1]
            edits = tuple(Edit(Span(0, 0), text, path) for path, text in fact.migration)
            title = f"Create migration `{first}` for `{index}`"
            fix = Fix(title, edits, Applicability.DISPLAY_ONLY)
        yield Finding(fact.span, message, fix=fix)
