"""Per-document resource limits: a size cap and a time budget, each reported as a notice.

A pathological file must not stall the workspace. The budget is cooperative: front-ends check
it between statements (SQL) and between passes (Python), stop there, and report what was left
out as an ``info`` DBS001 notice. Recursion limits are handled where parsing happens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

TIME_BUDGET_SECONDS = 10.0  # any document gets this much
SECONDS_PER_MILLION_CHARS = 20.0  # plus this much for its size: large schema dumps finish
MAX_DOCUMENT_CHARS = 5_000_000


@dataclass(frozen=True, slots=True)
class Deadline:
    """The moment one document's analysis must stop, on the monotonic clock."""

    at: float
    seconds: float

    @classmethod
    def start(cls, size: int = 0) -> Deadline:
        """The deadline of a document of ``size`` characters that starts now."""
        budget = TIME_BUDGET_SECONDS + size / 1_000_000 * SECONDS_PER_MILLION_CHARS
        return cls(time.monotonic() + budget, budget)

    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def notice(self, what: str) -> str:
        return (
            f"not analysed: the time budget of {self.seconds:.3g} s for this file ran out ({what})"
        )


def too_large(text: str) -> str | None:
    """A notice when ``text`` is over the size cap, else ``None``."""
    if len(text) <= MAX_DOCUMENT_CHARS:
        return None
    return f"not analysed: file larger than {MAX_DOCUMENT_CHARS // 1_000_000} million characters"
