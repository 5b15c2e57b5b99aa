from dbsense.engines.core import FixAvailability, Rule, Severity


class UnknownCode(Rule):
    """## What it does
    Reports a selector shaped like a dbsense code, name or prefix, in a suppression comment or
    in the configuration, that matches no rule.

    ## Why is this bad?
    A mistyped code silently suppresses or selects nothing: the finding it was meant to hide
    still shows up, or the rule it was meant to enable never runs. Selectors of other tools are
    left alone.

    ## Example
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY); -- noqa: PG999
    ```

    Use instead:
    ```sql
    CREATE TABLE events (id bigint PRIMARY KEY);
    ```

    ## Fix safety
    The nearest known name is suggested in the message; nothing is changed automatically.

    ## References
    - https://docs.astral.sh/ruff/rules/invalid-rule-code/
    """

    code = "DBS003"
    name = "unknown-code"
    summary = "Selector matches no rule"
    severity = Severity.WARNING
    fix_availability = FixAvailability.NONE
    tags = ("meta",)
