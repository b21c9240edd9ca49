"""Telling a database outage from a bug, and logging an outage once instead of per request.

While PostgreSQL restarts, is unreachable or terminates backends, every request that
touches the database fails. Those failures are the service being unavailable, not
internal errors: the API answers 503 ``database_unavailable`` with ``Retry-After``, the
web UI a page that says to wait, live streams tell the client to reconnect, and the log
gets one line when the outage starts and one when it ends.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

#: Seconds a client should wait before trying again during an outage.
RETRY_AFTER_SECONDS = 5

# asyncpg's errors for a server that is gone, starting, stopping or refusing connections
# (matched by name: the driver wraps some of them and not others).
_DRIVER_OUTAGES = frozenset(
    {
        "AdminShutdownError",
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CrashShutdownError",
        "PostgresConnectionError",
        "TooManyConnectionsError",
    }
)
_SQLITE_BUSY = ("database is locked", "unable to open database")


def is_database_outage(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) says the database cannot be reached now."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_outage(current):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, OSError | sa_exc.TimeoutError):
        return True  # refused, reset, unreachable host; a pool that cannot get a connection
    if type(error).__name__ in _DRIVER_OUTAGES:
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        text = str(error).lower()
        return any(sign in text for sign in _SQLITE_BUSY) or "connection" in text
    return False


class OutageLog:
    """Logs "unavailable" once when an outage starts and "available" once when it ends."""

    def __init__(
        self,
        what: str = "database",
        meanwhile: str = "requests answer 503 and work waits until it is back",
    ) -> None:
        self.what = what
        self.meanwhile = meanwhile
        self._down = False
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self._down

    def failed(self, error: BaseException) -> None:
        with self._lock:
            if self._down:
                return
            self._down = True
        log.warning(
            "the %s is unavailable (%s); %s", self.what, type(error).__name__, self.meanwhile
        )

    def succeeded(self) -> None:
        if not self._down:
            return
        with self._lock:
            if not self._down:
                return
            self._down = False
        log.warning("the %s is available again", self.what)
