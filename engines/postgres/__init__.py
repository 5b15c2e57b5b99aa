"""The PostgreSQL rule pack (``PG`` codes)."""

from dbsense.engines.core import Option, discover_rules

OPTIONS_SECTION = "postgres"
OPTIONS = (
    Option(
        "version",
        int,
        15,
        "Major version the migrations run on; verdicts follow what that version does.",
        minimum=9,
    ),
    Option("timezone", str, None, "The migration session's `TimeZone`; unset means not UTC."),
    Option(
        "lock-timeout",
        str,
        "5s",
        "`lock_timeout` value that fixes insert before the first blocking statement.",
    ),
    Option(
        "small-tables",
        list,
        [],
        "Tables known to stay small: size-aware rules stay quiet or lower the severity.",
    ),
    Option(
        "fk-index-ignore",
        list,
        [],
        "Foreign keys (`table.column` or `table`) that need no covering index.",
    ),
)

RULES = discover_rules(__name__)
