"""The names PostgreSQL chooses for objects created without one.

``orders_pkey``, ``orders_customer_id_key``, ``orders_customer_id_fkey``, ``orders_total_check``,
``orders_customer_id_idx``: ``<table>_<columns>_<label>``, with the parts clipped so the whole
fits in 63 bytes and a number appended to the label until the name is free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

MAX_IDENTIFIER = 63  # NAMEDATALEN - 1


def _clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes without splitting a character."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def object_name(name1: str, name2: str | None, label: str | None) -> str:
    """``name1_name2_label``, clipping the longer of ``name1``/``name2`` first to fit."""
    overhead = (1 if name2 else 0) + (len(label.encode()) + 1 if label else 0)
    available = MAX_IDENTIFIER - overhead
    chars1 = len(name1.encode("utf-8"))
    chars2 = len(name2.encode("utf-8")) if name2 else 0
    chars1, chars2 = _fit(chars1, chars2, available)
    result = _clip(name1, chars1)
    if name2:
        result += "_" + _clip(name2, chars2)
    if label:
        result += "_" + label
    return result


def _fit(chars1: int, chars2: int, available: int) -> tuple[int, int]:
    """Postgres' ``makeObjectName`` loop in closed form: while the two parts are too long,
    take a byte from the longer one (from ``name2`` on a tie)."""
    excess = chars1 + chars2 - available
    if excess <= 0:
        return chars1, chars2
    gap = min(excess, abs(chars1 - chars2))
    if chars1 > chars2:
        chars1 -= gap
    else:
        chars2 -= gap
    rest = excess - gap  # now equal: name2 loses the odd byte
    return chars1 - rest // 2, chars2 - (rest - rest // 2)


def choose_name(name1: str, name2: str | None, label: str, taken: Callable[[str], bool]) -> str:
    """The first of ``name1_name2_label``, ``..._label1``, ``..._label2``... not ``taken``."""
    candidate = object_name(name1, name2, label)
    attempt = 0
    while taken(candidate):
        attempt += 1
        candidate = object_name(name1, name2, f"{label}{attempt}")
    return candidate


def column_part(columns: Iterable[str]) -> str:
    """The ``name2`` part built from key names: joined by ``_``, stopping once it is long."""
    result = ""
    for column in columns:
        if result:
            result += "_"
        result += column
        if len(result.encode("utf-8")) > MAX_IDENTIFIER:
            break
    return result


def unique_column_names(names: Iterable[str]) -> list[str]:
    """Key names made distinct the way Postgres does for index columns (``expr``, ``expr1``)."""
    result: list[str] = []
    for name in names:
        candidate = name
        attempt = 0
        while candidate in result:
            attempt += 1
            candidate = f"{name}{attempt}"
        result.append(candidate)
    return result
