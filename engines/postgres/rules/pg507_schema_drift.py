from collections.abc import Iterator

from dbsense.analyzers.ir import QualifiedName
from dbsense.analyzers.live import LiveDriftFact
from dbsense.engines.core import Finding, Related, Rule, RuleContext
from dbsense.engines.postgres.helpers import display_name

_NOUNS = {"column": "Column", "index": "Index", "constraint": "Constraint"}


class SchemaDrift(Rule):
    """## What it does
    Live check: compares the schema the workspace's migrations build (the catalog) with the
    connected database and flags every table, column, index and constraint that exists on
    one side only, and every column whose type differs. It runs when the workspace has
    migrations or models, so a database without them is not reported table by table.

    ## Why is this bad?
    The migrations are the record of the schema: new environments, tests and the next
    migration are built from them. An object created by hand on the database (an index added
    during an incident, a column patched in) is lost on the next rebuild and can make a later
    migration fail (`relation already exists`). An object in the migrations but not in the
    database means a migration did not run, so the code may query a column that is not
    there. A type that differs changes what values fit, how comparisons use indexes, and what
    a later `ALTER COLUMN ... TYPE` rewrites.

    ## Example
    ```sql
    -- migrations/0001_events.sql
    CREATE TABLE events (id bigint PRIMARY KEY, kind text);
    -- run by hand on the database, in no migration:
    CREATE INDEX events_kind_idx ON events (kind);
    ```

    Use instead:
    ```sql
    -- migrations/0001_events.sql
    CREATE TABLE events (id bigint PRIMARY KEY, kind text);
    -- migrations/0002_events_kind.sql
    CREATE INDEX events_kind_idx ON events (kind);
    ```

    Write the manual change down as a migration (with `IF NOT EXISTS` where the database
    already has it), or apply the migrations that did not run.

    ## References
    - https://www.postgresql.org/docs/current/catalogs.html
    - https://www.postgresql.org/docs/current/ddl-alter.html
    """

    code = "PG507"
    name = "schema-drift"
    summary = "Live: the database schema differs from what the migrations build"
    tags = ("live", "schema")
    consumes = (LiveDriftFact,)

    def check(self, fact: LiveDriftFact, ctx: RuleContext) -> Iterator[Finding]:
        label = display_name(QualifiedName(fact.table, fact.schema))
        related: tuple[Related, ...] = ()
        if fact.defined_path is not None and fact.defined_span is not None:
            related = (Related(fact.defined_path, fact.defined_span, "defined here"),)
        yield Finding(fact.span, _message(fact, label), related=related)


def _message(fact: LiveDriftFact, label: str) -> str:
    if fact.kind == "table":
        if fact.only_in == "migrations":
            return (
                f"Table `{label}` is created by the migrations but missing from the database "
                "(migration not applied?)"
            )
        return f"Table `{label}` exists in the database but in no migration (manual change?)"
    if fact.kind == "column-type":
        return (
            f"Column `{label}.{fact.name}` is `{fact.expected}` in the migrations but "
            f"`{fact.actual}` in the database"
        )
    subject = (
        f"Column `{label}.{fact.name}`"
        if fact.kind == "column"
        else f"{_NOUNS[fact.kind]} `{fact.name}` on `{label}`"
    )
    if fact.only_in == "migrations":
        return f"{subject} is in the migrations but not the database"
    return f"{subject} is in the database but in no migration"
