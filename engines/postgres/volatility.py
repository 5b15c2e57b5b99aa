"""Volatility of built-in functions, as the front-end names them (sqlglot spellings included)."""

from __future__ import annotations

import re

# STABLE: fixed within a statement, but not across statements (time zone, transaction time).
STABLE = frozenset(
    {
        "now",
        "current_timestamp",
        "current_date",
        "current_time",
        "currentdate",
        "currenttime",
        "currenttimestamp",
        "localtime",
        "localtimestamp",
        "transaction_timestamp",
        "statement_timestamp",
        "age",
        "to_char",
        "to_timestamp",
        "current_setting",
        "current_user",
        "current_schema",
        "session_user",
    }
)
# VOLATILE: may change on every call.
VOLATILE = frozenset(
    {
        "random",
        "rand",
        "clock_timestamp",
        "timeofday",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v4",
        "uuid",
        "nextval",
        "currval",
        "lastval",
        "setval",
        "txid_current",
        "pg_current_xact_id",
    }
)
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\s*\(")


def volatility(name: str) -> str | None:
    """``stable``, ``volatile``, or ``None`` for functions known or assumed immutable."""
    key = name.lower().rsplit(".", 1)[-1]
    if key in VOLATILE:
        return "volatile"
    if key in STABLE:
        return "stable"
    return None


def volatile_calls(sql: str) -> list[str]:
    """Names of the volatile functions called in an expression's SQL text."""
    return [name for name in _CALL.findall(sql) if volatility(name) == "volatile"]
