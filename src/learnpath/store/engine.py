"""Database engines: one code path for SQLite (embedded) and PostgreSQL (distributed).

SQLite has one writer at a time, so writes go through a dedicated single-connection
engine whose transactions start with ``BEGIN IMMEDIATE`` (the write lock is taken up
front, never upgraded mid-transaction, which is what makes claims race-free across
processes). Reads use a second engine and, in WAL mode, never block the writer.
On PostgreSQL both roles share one pooled engine.

A PostgreSQL backend can be terminated under a connection at any moment (a restart,
``pg_terminate_backend``, a failover). asyncpg then sometimes still reports the
connection as open, its protocol stuck waiting for the end of the server's last error,
and the next statement on it fails with ``InternalClientError: cannot switch to state
12; another operation (2) is in progress``. That is not two coroutines sharing a
connection: it is a dead connection that SQLAlchemy was not told is dead, so the pool
kept handing it out. ``_mark_disconnects`` tells it: such errors are disconnects, the
connection is discarded and the rest of the pool is invalidated with it.

Checking a connection out costs no round trip. A pre-ping (``BEGIN``, a statement and a
``ROLLBACK`` through the asyncpg adapter: three round trips) on every checkout tripled the
cost of a one-statement transaction. Instead ``_refuse_closed`` asks asyncpg whether the
connection is still open, which it knows without asking the server: a backend that is
terminated or restarted while its connection idles in the pool sends its goodbye and
closes the socket, and the event loop marks the connection closed. What slips past that
(a connection that dies mid-statement) is a disconnect error for the one statement, which
the callers already treat as such: a workflow resumes from its checkpoint
(``dispatch.runner.resume_on_disconnect``) and the API repeats safe requests.

On PostgreSQL reads run in autocommit (``Engines.reader``): at READ COMMITTED every
statement sees its own snapshot whether or not it is inside a transaction, so the
``BEGIN`` and ``ROLLBACK`` around a read were two round trips that bought nothing. SQLite
keeps its read transactions: there one transaction is one consistent snapshot.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Engines:
    writer: AsyncEngine
    reader: AsyncEngine
    url: str

    @property
    def is_postgres(self) -> bool:
        return self.writer.dialect.name == "postgresql"

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader.sync_engine.pool is not self.writer.sync_engine.pool:
            await self.reader.dispose()


def make_engines(url: str, *, pool_size: int = 10) -> Engines:
    """Build the engines for ``url`` (``sqlite+aiosqlite:///…`` or ``postgresql+asyncpg://…``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("learnpath needs a SQLite file, not an in-memory database")
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        writer = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=600)
        reader = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
        _configure_sqlite(writer, immediate=True)
        _configure_sqlite(reader, immediate=False)
        return Engines(writer=writer, reader=reader, url=url)
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_timeout=120)
    event.listen(engine.sync_engine, "handle_error", _mark_disconnects)
    event.listen(engine.sync_engine.pool, "checkout", _refuse_closed)
    reader = engine.execution_options(isolation_level="AUTOCOMMIT")
    return Engines(writer=engine, reader=reader, url=url)


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pool ``checkout`` hook: a connection asyncpg knows is closed is replaced, not used.

    Raising ``DisconnectionError`` makes the pool discard it and check out another (or
    connect anew), without a round trip to the server for the connections that are fine.
    """
    connection = getattr(dbapi_connection, "_connection", None)
    if connection is not None and connection.is_closed():
        raise DisconnectionError("the server closed this connection while it was idle")


#: asyncpg errors that mean the server dropped the connection (matched by class name:
#: SQLAlchemy re-raises some of them under its own adapter classes of the same name).
_DROPPED = frozenset(
    {
        "AdminShutdownError",
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "CrashShutdownError",
    }
)
#: What asyncpg says about a connection whose server side went away mid-protocol.
_DROPPED_TEXT = ("another operation", "connection was closed in the middle of operation")


def is_dropped_connection(error: BaseException) -> bool:
    """True when ``error`` (or its cause) says the PostgreSQL connection is dead."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__name__ in _DROPPED or isinstance(current, ConnectionResetError):
            return True
        driver = type(current).__name__ == "InternalClientError" or "asyncpg" in (
            type(current).__module__
        )
        if driver and any(sign in str(current) for sign in _DROPPED_TEXT):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def _mark_disconnects(context: Any) -> None:
    """``handle_error`` hook: a dropped connection is a disconnect (see the module docs)."""
    if not context.is_disconnect and is_dropped_connection(context.original_exception):
        context.is_disconnect = True
    if context.is_disconnect:
        _quiet_orphaned_waiters()


_ORPHANED = "unexpected connection_lost() call"


def _quiet_orphaned_waiters() -> None:
    """Keep asyncpg's orphaned waiters of discarded connections out of the error log.

    A statement refused by a dead connection (the state error above) leaves asyncpg's
    waiter for it behind; when the socket finally closes, asyncpg fails that waiter with
    ``ConnectionError('unexpected connection_lost() call')`` and, as nobody awaits it,
    asyncio logs "Future exception was never retrieved". The connection was already
    discarded and its caller told, so that report is noise; any other goes through.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    previous = loop.get_exception_handler()
    if getattr(previous, "learnpath_orphans", False):
        return

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, ConnectionError) and _ORPHANED in str(error):
            log.debug("an abandoned connection's waiter failed: %s", error)
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler.learnpath_orphans = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
