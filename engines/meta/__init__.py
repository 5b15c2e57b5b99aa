"""Meta rules (``DBS`` codes): parse errors, suppressions and configuration."""

from dbsense.engines.core import discover_rules

RULES = discover_rules(__name__)
