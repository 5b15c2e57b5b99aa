"""The Redis rule pack (``RD`` codes): redis-py command, pipeline and client usage."""

from dbsense.engines.core import Option, discover_rules

OPTIONS_SECTION = "redis"
OPTIONS = (
    Option(
        "keys-allow",
        list,
        ["tests/**", "**/tests/**", "scripts/**", "**/management/commands/**"],
        "Path globs where `KEYS` is accepted (tests, one-off scripts).",
    ),
    Option(
        "cache-key-patterns",
        list,
        ["cache:*", "*:cache:*", "session:*", "*:session:*"],
        "Key globs that mark a key as cache-like, so it needs a TTL.",
    ),
    Option(
        "require-ttl",
        str,
        "cache-like",
        "`cache-like` requires a TTL on cache-like keys only; `all` on every key written.",
        choices=("cache-like", "all"),
    ),
    Option("persistent-keys", list, [], "Key globs that are meant to live without expiry."),
    Option("default-ttl", int, 3600, "Seconds the `ex=` fix inserts.", minimum=1),
    Option(
        "pipeline-batch-size",
        int,
        10000,
        "Commands one pipeline may queue before it should be executed.",
        minimum=1,
    ),
)
RULES = discover_rules(__name__)
