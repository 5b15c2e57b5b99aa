from collections.abc import Iterator

from dbsense.analyzers.ir import QualifiedName
from dbsense.analyzers.live import LiveIndexFact
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

DEFAULT_DAYS = 30


def size_text(size: int) -> str:
    """``57 kB``, ``1.2 MB``: sizes as people read them."""
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("bytes", "kB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


class UnusedIndex(Rule):
    """## What it does
    Live check: flags a non-unique index that no query has scanned since the usage statistics
    were last reset, once those statistics are at least `postgres.unused-index-days` old. Also
    flags an index left `INVALID` by a failed `CREATE INDEX CONCURRENTLY`.

    ## Why is this bad?
    Every `INSERT`, and every `UPDATE` that is not HOT, writes to every index of the table, and
    each index takes disk, backup time and shared buffers. An index the planner never uses pays
    all of that for nothing. An invalid index is never used for reads but is still maintained
    on writes.

    The counters are per server: check the replicas too before dropping an index that may
    serve read-only traffic there, and an index that backs a constraint or only serves a
    monthly report may look unused.

    ## Example
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, kind text);
    CREATE INDEX events_kind_idx ON events (kind);
    ```

    Use instead:
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, kind text);
    ```

    ## Fix safety
    The `DROP INDEX CONCURRENTLY` is shown, never run: check every replica's
    `pg_stat_user_indexes` first, and keep the `CREATE INDEX` statement for the rollback.

    ## Options
    `postgres.unused-index-days` (default 30) is how long the statistics must have been
    collecting before a never-scanned index counts as unused.

    ## References
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ALL-INDEXES-VIEW
    - https://www.postgresql.org/docs/current/sql-dropindex.html
    """

    code = "PG209"
    name = "unused-index"
    summary = "Live: an index no query has scanned, or one left invalid"
    severity = Severity.INFO
    fix_availability = FixAvailability.ALWAYS
    tags = ("live", "indexing")
    consumes = (LiveIndexFact,)
    options = ("postgres.unused-index-days",)

    def check(self, fact: LiveIndexFact, ctx: RuleContext) -> Iterator[Finding]:
        table = display_name(QualifiedName(fact.table, fact.schema))
        index = display_name(QualifiedName(fact.index, fact.schema))
        drop = f"DROP INDEX CONCURRENTLY {index};\n-- rollback: {fact.definition};\n"
        fix = Fix(f"Drop `{index}`", (Edit(fact.span, drop),), Applicability.DISPLAY_ONLY)
        if not fact.valid:
            yield Finding(
                fact.span,
                f"Index `{index}` on `{table}` is INVALID (a failed concurrent build): it "
                f"is maintained on writes but never read ({size_text(fact.size_bytes)})",
                fix=fix,
            )
            return
        if fact.unique or fact.primary or fact.scans:
            return
        days = ctx.option("postgres", "unused-index-days")
        days = DEFAULT_DAYS if days is None else days
        if fact.stats_age_days < days:
            return
        yield Finding(
            fact.span,
            f"Index `{index}` on `{table}` was never scanned in {fact.stats_age_days:.0f} days "
            f"of statistics ({size_text(fact.size_bytes)})",
            fix=fix,
        )
