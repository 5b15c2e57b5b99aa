from collections.abc import Iterator

from dbsense.analyzers.live import LiveArchivingFact
from dbsense.engines.core import (
    Applicability,
    Edit,
    Finding,
    Fix,
    FixAvailability,
    Rule,
    RuleContext,
)

RECIPE = """# postgresql.conf (restart required for archive_mode)
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest --stanza=main archive-push %p'
"""


class WalArchivingDisabled(Rule):
    """## What it does
    Live check: flags a server whose write-ahead log is not archived: `archive_mode` is `off`,
    archiving is on but neither `archive_command` nor `archive_library` is set, `wal_level` is
    `minimal`, or `pg_stat_archiver` shows the last attempt failed.

    ## Why is this bad?
    Without archived WAL the only restore points are the base backups themselves: everything
    written since the last dump is lost after a disk failure or a bad `DELETE`, and
    point-in-time recovery is impossible. A failing archive command is worse than none: WAL
    segments cannot be recycled until they are archived, so `pg_wal` grows until the disk is
    full and the server stops.

    ## Example
    ```ini
    archive_mode = off
    ```

    Use instead:
    ```ini
    wal_level = replica
    archive_mode = on
    archive_command = 'pgbackrest --stanza=main archive-push %p'
    ```

    ## Fix safety
    The settings are shown, never applied: `archive_mode` needs a restart, and the archive
    command must point at storage that exists (pgBackRest, WAL-G, Barman or a managed
    service's own backups).

    ## References
    - https://www.postgresql.org/docs/current/continuous-archiving.html
    - https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ARCHIVER-VIEW
    """

    code = "PG504"
    name = "wal-archiving-disabled"
    summary = "Live: WAL is not archived, so there is no point-in-time recovery"
    fix_availability = FixAvailability.ALWAYS
    tags = ("live", "operations", "backup")
    consumes = (LiveArchivingFact,)

    def check(self, fact: LiveArchivingFact, ctx: RuleContext) -> Iterator[Finding]:
        command = "" if fact.archive_command in ("", "(disabled)") else fact.archive_command
        if fact.archive_mode == "off":
            problem = "`archive_mode` is off: WAL is not archived"
        elif fact.wal_level == "minimal":
            problem = "`wal_level` is minimal: WAL cannot be archived"
        elif not command and not fact.archive_library:
            problem = "`archive_mode` is on but no `archive_command` or `archive_library` is set"
        elif fact.failed_count and fact.last_failed_after_archived:
            problem = (
                f"the WAL archiver is failing ({fact.failed_count} failures, the latest after "
                "the last success)"
            )
        else:
            return
        yield Finding(
            fact.span,
            f"Server backups: {problem}, so there is no point-in-time recovery",
            fix=Fix("Enable WAL archiving", (Edit(fact.span, RECIPE),), Applicability.DISPLAY_ONLY),
        )
