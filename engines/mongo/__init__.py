"""The MongoDB rule pack (``MG`` codes): pymongo filters, updates, indexes and client usage."""

from dbsense.engines.core import Option, discover_rules

OPTIONS_SECTION = "mongo"
OPTIONS = (
    Option(
        "small-collections",
        list,
        [],
        "Collections known to stay small: scan-shaped rules stay quiet on them.",
    ),
    Option(
        "bounded-arrays",
        list,
        [],
        "Array fields (`collection.field` or `field`) bounded by the application.",
    ),
    Option("array-cap", int, 1000, "Elements the `$slice` fix keeps.", minimum=1),
    Option("max-indexes", int, 10, "Indexes per collection before it is too many.", minimum=1),
)
RULES = discover_rules(__name__)
