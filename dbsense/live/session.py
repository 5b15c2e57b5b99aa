"""A long-lived read-only PostgreSQL session for the editor, used from one thread.

The connection opens on first use (:func:`dbsense.live.postgres.connect`: read-only, with
statement and lock timeouts) and reopens once when it breaks. After a failed connection attempt
the same one-line error is raised without retrying for ``retry_seconds``, so a database that is
down costs one timeout, not one per hover.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg

from dbsense.live import LiveError
from dbsense.live.postgres import CONNECT_TIMEOUT, connect, describe_error, redact

T = TypeVar("T")
RETRY_SECONDS = 30.0


class LiveSession:
    def __init__(
        self, dsn: str, timeout: int = CONNECT_TIMEOUT, retry_seconds: float = RETRY_SECONDS
    ) -> None:
        self.dsn = dsn
        self.target = redact(dsn)
        self.timeout = timeout
        self.retry_seconds = retry_seconds
        self._conn: psycopg.Connection | None = None
        self._failure: tuple[float, str] | None = None

    def run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """``work(connection)``; a broken connection is reopened and ``work`` retried once.
        Raises :class:`LiveError` (one line, no password) when the database is unusable."""
        for attempt in (1, 2):
            conn = self._connection()
            try:
                return work(conn)
            except psycopg.Error as error:
                if conn.broken or conn.closed:
                    self.close()
                    if attempt == 1:
                        continue
                raise LiveError(_one_line(error, self)) from None
        raise AssertionError("unreachable")

    def _connection(self) -> psycopg.Connection:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if self._failure is not None and time.monotonic() - self._failure[0] < self.retry_seconds:
            raise LiveError(self._failure[1])
        try:
            self._conn = connect(self.dsn, self.timeout)
        except LiveError as error:
            self._failure = (time.monotonic(), str(error))
            raise
        self._failure = None
        return self._conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()


def _one_line(error: psycopg.Error, session: LiveSession) -> str:
    if isinstance(error, psycopg.errors.QueryCanceled):
        return f"{session.target}: a statistics query timed out"
    if isinstance(error, psycopg.OperationalError):
        return describe_error(error, session.dsn, session.timeout)
    text = str(error).strip().splitlines()
    return f"{session.target}: {text[0] if text else type(error).__name__}"
