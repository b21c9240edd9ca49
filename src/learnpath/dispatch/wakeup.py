"""Cross-process wake-ups on PostgreSQL: LISTEN for the NOTIFYs sent inside commits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from learnpath.store import Store
from learnpath.store.base import EVENTS_CHANNEL, JOBS_CHANNEL
from learnpath.store.engine import is_dropped_connection

log = logging.getLogger(__name__)


class PgListener:
    """Turns PostgreSQL notifications into the store's in-process signals.

    If the connection drops it reconnects with backoff; meanwhile polling (the
    executor's poll interval) still bounds how late anything is noticed.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.store.is_postgres and self._task is None:
            self._task = asyncio.create_task(self._listen(), name="pg-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _listen(self) -> None:
        url = make_url(self.store.engines.url).set(drivername="postgresql")
        delay = 0.5
        while True:
            connection: Any = None
            try:
                connection = await asyncpg.connect(url.render_as_string(hide_password=False))
                closed = asyncio.Event()
                connection.add_termination_listener(lambda _, done=closed: done.set())
                await connection.add_listener(JOBS_CHANNEL, self._on_jobs)
                await connection.add_listener(EVENTS_CHANNEL, self._on_events)
                delay = 0.5
                # Missed notifications while disconnected: wake everyone once.
                self.store.jobs_signal.notify()
                self.store.events_signal.notify()
                while not connection.is_closed():
                    # A terminated backend ends the wait at once; the ping finds a server
                    # that went away silently. A dead connection is never pinged again.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(closed.wait(), 5)
                    if closed.is_set() or connection.is_closed():
                        raise ConnectionResetError("the server closed the connection")
                    await connection.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                why = "closed by the server" if is_dropped_connection(exc) else type(exc).__name__
                log.warning("LISTEN connection lost (%s); reconnecting in %.1fs", why, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                if connection is not None and not connection.is_closed():
                    await connection.close()

    def _on_jobs(self, *_: Any) -> None:
        self.store.jobs_signal.notify()

    def _on_events(self, *_: Any) -> None:
        self.store.events_signal.notify()
