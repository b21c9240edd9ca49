"""Wake-ups from other processes, owned by the store: LISTEN on PostgreSQL, nothing on SQLite.

Every commit that queues a job or appends an event notifies the store's signals in
this process (``StoreBase.write``) and, on PostgreSQL, sends a ``NOTIFY`` that is
delivered when it commits (``Tx.announce_job``, ``Tx.append_event``). ``Wakeups``
turns those notifications into the same signals, so a waiter wakes for a commit in any
process. A store has one ``Wakeups``: one LISTEN connection per store, and so per
process. It starts on the first wait on either signal (nobody else starts it) and
stops with ``store.close()``.

On SQLite the in-process signals are all there is; a waiter's poll interval bounds how
late a commit by another process is noticed. On PostgreSQL, while the LISTEN
connection is down, the same poll interval bounds it, and the connection is made again
with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from learnpath.backoff import Backoff
from learnpath.store.engine import Engines, is_dropped_connection
from learnpath.store.signals import EVENTS_CHANNEL, JOBS_CHANNEL, TOKENS_CHANNEL, Signal

log = logging.getLogger(__name__)

#: The LISTEN connection's ``application_name``: an operator (and a test) can count them.
APPLICATION_NAME = "learnpath-wakeups"
#: Seconds between pings of an idle LISTEN connection (finds a server that went away).
PING_SECONDS = 5.0
#: How long to wait before connecting again after the n-th failure in a row.
RECONNECT = Backoff(base=0.5, cap=10.0)


class Wakeups:
    """The store's one LISTEN connection (PostgreSQL), feeding its in-process signals."""

    def __init__(
        self, engines: Engines, *, jobs: Signal, events: Signal, tokens: Signal | None = None
    ) -> None:
        self.engines = engines
        self.jobs = jobs
        self.events = events
        self.tokens = tokens if tokens is not None else Signal()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        #: True while the LISTEN connection is up and registered for both channels.
        self.connected = False

    @property
    def listening(self) -> bool:
        """True while the listener runs (connected, or connecting again)."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Listen from the running event loop, unless already listening (idempotent).

        A no-op on SQLite and after ``close``. Called by the signals before every wait.
        """
        if self._closed or not self.engines.is_postgres:
            return
        task = self._task
        if task is not None and not task.done() and not task.get_loop().is_closed():
            return
        self._task = asyncio.get_running_loop().create_task(self._listen(), name="store-wakeups")

    async def close(self) -> None:
        """Stop listening for good (``store.close()`` calls this)."""
        self._closed = True
        task, self._task = self._task, None
        if task is None or task.done():
            return
        loop = task.get_loop()
        if loop is asyncio.get_running_loop():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        elif not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)

    async def _listen(self) -> None:
        url = make_url(self.engines.url).set(drivername="postgresql")
        failures = 0
        while True:
            connection: Any = None
            try:
                connection = await asyncpg.connect(
                    url.render_as_string(hide_password=False),
                    server_settings={"application_name": APPLICATION_NAME},
                )
                closed = asyncio.Event()
                connection.add_termination_listener(lambda _, done=closed: done.set())
                await connection.add_listener(JOBS_CHANNEL, self._on_jobs)
                await connection.add_listener(EVENTS_CHANNEL, self._on_events)
                await connection.add_listener(TOKENS_CHANNEL, self._on_tokens)
                failures = 0
                self.connected = True
                # Notifications sent while not listening are lost: wake everyone once.
                self.jobs.notify()
                self.events.notify()
                self.tokens.notify()
                while not connection.is_closed():
                    # A terminated backend ends the wait at once; the ping finds a server
                    # that went away silently. A dead connection is never pinged again.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(closed.wait(), PING_SECONDS)
                    if closed.is_set() or connection.is_closed():
                        raise ConnectionResetError("the server closed the connection")
                    await connection.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = RECONNECT.delay(failures)
                failures += 1
                why = "closed by the server" if is_dropped_connection(exc) else type(exc).__name__
                log.warning("LISTEN connection lost (%s); reconnecting in %.1fs", why, delay)
                await asyncio.sleep(delay)
            finally:
                self.connected = False
                if connection is not None and not connection.is_closed():
                    await connection.close()

    def _on_jobs(self, *_: Any) -> None:
        self.jobs.notify()

    def _on_events(self, *_: Any) -> None:
        self.events.notify()

    def _on_tokens(self, *_: Any) -> None:
        self.tokens.notify()
