from collections.abc import Iterator

from dbsense.analyzers.live import LiveUnavailableFact
from dbsense.engines.core import Finding, Rule, RuleContext, Severity


class LiveCheckUnavailable(Rule):
    """## What it does
    Reports that live mode was asked for but could not run in full: the database refused the
    connection or the credentials, did not answer in time, gave a session that is not
    read-only, or lacks an optional extension (`pg_stat_statements`, `hypopg`) or a privilege a
    check needs. The message names the problem and the server as
    `postgresql://user@host:port/db`, never the password.

    ## Why is this bad?
    Nothing is wrong with the code: the static analysis ran in full. But the live checks
    (vacuum, backups, sequences, unused indexes, verified index advice) did not, so their
    silence means nothing until the connection works.

    ## Example
    ```shell
    DBSENSE_DATABASE_URL=postgresql://app@127.0.0.1:1/app dbsense check
    ```

    Use instead:
    ```shell
    DBSENSE_DATABASE_URL=postgresql://dbsense_ro@db-replica:5432/app dbsense check
    ```

    Give the role `pg_monitor` (`GRANT pg_monitor TO dbsense_ro`) so every statistics view is
    readable, and ask an administrator to create `pg_stat_statements` and `hypopg` for query
    analysis and verified index advice.

    ## References
    - https://www.postgresql.org/docs/current/predefined-roles.html
    - https://www.postgresql.org/docs/current/pgstatstatements.html
    """

    code = "DBS006"
    name = "live-check-unavailable"
    summary = "Live mode is on but a live check could not run"
    severity = Severity.INFO
    tags = ("meta", "live")
    consumes = (LiveUnavailableFact,)

    def check(self, fact: LiveUnavailableFact, ctx: RuleContext) -> Iterator[Finding]:
        reason = fact.reason
        if not reason.startswith(("cannot connect", "refusing")):
            reason = f"{fact.target}: {reason}"
        yield Finding(fact.span, f"Live check unavailable: {reason}")
