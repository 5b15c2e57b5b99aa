"""dbsense: a database engineer in your editor."""

__version__ = "0.1.0"
