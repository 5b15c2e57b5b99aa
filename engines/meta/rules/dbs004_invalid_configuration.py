from dbsense.engines.core import Rule, Severity


class InvalidConfiguration(Rule):
    """## What it does
    Reports an unknown key, a value of the wrong type or an out-of-range value in
    `[tool.dbsense]` of `pyproject.toml` or in `dbsense.toml`, on the key itself.

    ## Why is this bad?
    A misspelt option is ignored, so the behaviour it was meant to change silently stays as it
    was. The valid rest of the configuration still applies, and an invalid value falls back to
    its default.

    ## Example
    ```toml
    [tool.dbsense.postgres]
    verison = 16
    ```

    Use instead:
    ```toml
    [tool.dbsense.postgres]
    version = 16
    ```

    ## References
    - https://packaging.python.org/en/latest/specifications/pyproject-toml/#arbitrary-tool-configuration-the-tool-table
    """

    code = "DBS004"
    name = "invalid-configuration"
    summary = "Unknown key, wrong type or bad value in the configuration"
    severity = Severity.ERROR
    tags = ("meta", "config")
