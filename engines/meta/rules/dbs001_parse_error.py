from collections.abc import Iterator

from dbsense.analyzers.ir import SQL_FILE, ParseErrorFact
from dbsense.engines.core import Finding, Rule, RuleContext, Severity


class ParseError(Rule):
    """## What it does
    Reports a SQL statement or a Python file that dbsense cannot parse.

    ## Why is this bad?
    A statement that does not parse is usually a typo that will fail when the migration runs.
    It is also invisible to every other rule: its locks, columns and indexes are missing from
    the schema catalog. Each statement is parsed on its own, so the rest of the file is still
    analysed.

    Valid PostgreSQL that dbsense does not analyse yet is reported as `info` ("not analysed"),
    never as an error, and counts against the coverage line of `dbsense check`. SQL embedded in
    Python is reported as `info`, since it may be built at run time.

    ## Example
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY,;
    ```

    Use instead:
    ```sql
    CREATE TABLE orders (id bigint PRIMARY KEY);
    ```

    ## References
    - https://www.postgresql.org/docs/current/sql-syntax.html
    """

    code = "DBS001"
    name = "parse-error"
    summary = "Statement or file does not parse"
    severity = Severity.ERROR
    tags = ("meta",)
    consumes = (ParseErrorFact,)

    def check(self, fact: ParseErrorFact, ctx: RuleContext) -> Iterator[Finding]:
        severity = None
        if fact.unsupported or fact.origin not in (SQL_FILE, "python"):
            severity = Severity.INFO
        yield Finding(fact.span, fact.message, severity=severity)
