"""dbsense: a database engineer in your editor."""

__version__ = "0.1.0"
DOCS_URL = "https://github.com/dbsense/dbsense/blob/main/docs/rules/"


def rule_url(code: str) -> str:
    """Where the documentation page of rule ``code`` lives."""
    return f"{DOCS_URL}{code}.md"
