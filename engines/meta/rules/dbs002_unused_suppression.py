from dbsense.engines.core import FixAvailability, Rule, Severity


class UnusedSuppression(Rule):
    """## What it does
    Reports a dbsense code in a `noqa`, `dbsense: ignore[...]` or `dbsense: file-ignore[...]`
    comment that suppressed nothing.

    ## Why is this bad?
    A stale suppression hides the next real finding on that line and tells readers a problem
    exists where none does. Codes of other tools (`E501`, `F401`) are left alone, and so are
    rules that are disabled or did not run.

    ## Example
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY); -- noqa: PG302
    ```

    Use instead:
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY);
    ```

    ## Fix safety
    The fix is safe: it removes the code, and the comment when no code is left.

    ## References
    - https://docs.astral.sh/ruff/rules/unused-noqa/
    """

    code = "DBS002"
    name = "unused-suppression"
    summary = "Suppression comment suppressed nothing"
    severity = Severity.WARNING
    fix_availability = FixAvailability.ALWAYS
    tags = ("meta",)
