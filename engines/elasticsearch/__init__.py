"""The Elasticsearch rule pack (``ES`` codes): elasticsearch-py queries, mappings and writes."""

from dbsense.engines.core import Option, discover_rules

OPTIONS_SECTION = "es"
OPTIONS = (
    Option(
        "max-result-window",
        int,
        10000,
        "`index.max_result_window` of the indices searched.",
        minimum=1,
    ),
    Option(
        "refresh-allow",
        list,
        ["tests/**", "**/tests/**", "conftest.py", "**/conftest.py"],
        "Path globs where `refresh=True` is accepted.",
    ),
)
RULES = discover_rules(__name__)
