"""Live mode: read-only connections to running databases and what they tell us.

Credentials never leave this package: every message names a server by its redacted DSN
(``scheme://user@host:port/db``) and never carries a password.
"""

from __future__ import annotations


class LiveError(Exception):
    """A live check could not run; the message is one line and contains no secret."""
