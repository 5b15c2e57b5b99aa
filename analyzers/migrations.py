"""Order migration units so the catalog replays history as it happened."""

from __future__ import annotations

import re
from collections.abc import Iterable

from dbsense.analyzers.ir import UnitFacts

_NUMBER = re.compile(r"(\d+)")


def natural_key(path: str) -> tuple:
    """Sort key that compares digit runs as numbers: ``2_x.sql`` before ``10_x.sql``."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in _NUMBER.split(path)
        if part
    )


def order_units(units: Iterable[UnitFacts]) -> list[UnitFacts]:
    """Units in replay order: by directory, then by natural file-name order."""
    return sorted(units, key=lambda unit: natural_key(unit.path))
