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
        "applied-migrations",
        list,
        [],
        "Glob patterns of migration files already applied somewhere: fixes never delete "
        "their statements.",
    ),
    Option(
        "no-pk-allow",
        list,
        [],
        "Tables (`name`, `schema.name` or glob patterns) allowed to have no primary key.",
    ),
    Option(
        "fk-index-ignore",
        list,
        [],
        "Foreign keys (`table.column` or `table`) that need no covering index.",
    ),
    Option(
        "assume-in-transaction",
        bool,
        False,
        "Each SQL migration file runs in one transaction (as most migration tools do).",
    ),
    Option(
        "lock-timeout-configured",
        bool,
        False,
        "A project-wide `lock_timeout` is set for migrations (connection options, `env.py`).",
    ),
    Option(
        "require-statement-timeout",
        bool,
        False,
        "Also require `statement_timeout` before the first blocking statement.",
    ),
    Option(
        "statement-timeout",
        str,
        "5min",
        "`statement_timeout` value that fixes insert when it is required.",
    ),
    Option(
        "offset-threshold",
        int,
        1000,
        "Literal `OFFSET` values from this one up are flagged as deep pagination.",
        minimum=1,
    ),
    Option(
        "backward-compatible-migrations",
        bool,
        True,
        "Flag migrations that break the release still running during a deploy.",
    ),
    Option(
        "soft-delete-columns",
        list,
        ["deleted_at", "is_deleted", "deleted", "archived_at"],
        "Columns that mark soft-deleted rows.",
    ),
    Option(
        "unused-index-days",
        int,
        30,
        "Live: days of usage statistics before an index that was never scanned is unused.",
        minimum=0,
    ),
    Option(
        "max-connections",
        int,
        100,
        "The server's `max_connections`, for connection-pool arithmetic.",
        minimum=1,
    ),
    Option(
        "workers",
        int,
        None,
        "Application processes per deployment; unset means `gunicorn.conf.py`, else 1.",
        minimum=1,
    ),
    Option("threads", int, None, "Threads per process; unset means `gunicorn.conf.py`, else 1."),
    Option("pooler", bool, False, "Connections go through a pooler such as PgBouncer."),
)

RULES = discover_rules(__name__)
