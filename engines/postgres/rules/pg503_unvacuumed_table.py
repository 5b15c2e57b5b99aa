from collections.abc import Iterator

from dbsense.analyzers.ir import QualifiedName
from dbsense.analyzers.live import LiveTableFact
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

STALE_HOURS = 24
DEAD_RATIO = 0.2
MIN_DEAD = 50
FREEZE_SHARE = 0.5


class UnvacuumedTable(Rule):
    """## What it does
    Live check: flags a table whose dead tuples passed its autovacuum trigger while it has not
    been vacuumed for 24 hours, whose dead tuples exceed 20 % of its live ones, or whose oldest
    unfrozen transaction ID is more than half of `autovacuum_freeze_max_age` old.

    ## Why is this bad?
    `UPDATE` and `DELETE` leave dead row versions behind; only `VACUUM` makes their space
    reusable. Until then every sequential scan reads them and indexes keep pointing at them, so
    the table and its indexes grow (bloat) and queries slow down. Autovacuum normally runs once
    dead tuples pass `autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor * rows`; when
    it is switched off for the table, blocked by a long transaction or too slow for the write
    rate, dead tuples pile up.

    Transaction IDs are 32-bit: a table whose rows are not frozen in time forces an aggressive
    anti-wraparound vacuum and, in the worst case, the server stops accepting writes.

    ## Example
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, payload text)
        WITH (autovacuum_enabled = false);
    INSERT INTO events SELECT g, 'x' FROM generate_series(1, 5000) g;
    DELETE FROM events WHERE id % 2 = 0;
    ```

    Use instead:
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY, payload text);
    INSERT INTO events SELECT g, 'x' FROM generate_series(1, 5000) g;
    ```

    ## Fix safety
    The suggested commands are shown, never run: `VACUUM` takes no blocking lock but costs I/O,
    and per-table autovacuum settings change how often it runs from then on.

    ## References
    - https://www.postgresql.org/docs/current/routine-vacuuming.html
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ALL-TABLES-VIEW
    """

    code = "PG503"
    name = "unvacuumed-table"
    summary = "Live: dead tuples piling up, or a table close to transaction ID wraparound"
    fix_availability = FixAvailability.ALWAYS
    tags = ("live", "operations")
    aliases = ("dead-tuples",)
    consumes = (LiveTableFact,)

    def check(self, fact: LiveTableFact, ctx: RuleContext) -> Iterator[Finding]:
        name = display_name(QualifiedName(fact.table, fact.schema))
        reasons = []
        stale = fact.hours_since_vacuum is None or fact.hours_since_vacuum > STALE_HOURS
        if fact.dead_tuples > fact.vacuum_threshold and stale:
            when = (
                "never vacuumed"
                if fact.hours_since_vacuum is None
                else f"last vacuumed {fact.hours_since_vacuum:.0f} h ago"
            )
            reasons.append(
                f"{fact.dead_tuples} dead tuples passed its autovacuum trigger "
                f"({fact.vacuum_threshold:.0f}) and it was {when}"
            )
        elif fact.dead_tuples >= MIN_DEAD and fact.dead_tuples > DEAD_RATIO * fact.live_tuples:
            share = fact.dead_tuples / max(fact.live_tuples, 1)
            reasons.append(f"{fact.dead_tuples} dead tuples are {share:.0%} of its live rows")
        if fact.freeze_max_age and fact.freeze_age > FREEZE_SHARE * fact.freeze_max_age:
            reasons.append(
                f"its oldest unfrozen transaction ID is {fact.freeze_age} transactions old "
                f"({fact.freeze_age / fact.freeze_max_age:.0%} of autovacuum_freeze_max_age)"
            )
        if not reasons:
            return
        if not fact.autovacuum_enabled:
            reasons.append("autovacuum is disabled for it")
        recipe = f"VACUUM (VERBOSE) {name};\n"
        if not fact.autovacuum_enabled:
            recipe += f"ALTER TABLE {name} RESET (autovacuum_enabled);\n"
        yield Finding(
            fact.span,
            f"Table `{name}` needs vacuuming: " + "; ".join(reasons),
            fix=Fix(f"Vacuum `{name}`", (Edit(fact.span, recipe),), Applicability.DISPLAY_ONLY),
        )
