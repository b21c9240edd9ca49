"""The relay: publishes committed, unpublished jobs to Celery (the outbox; see docs/architecture.md).

Order of operations per batch: read job ids that are committed and unpublished, send
each to the broker (Celery task id = job id), then mark them published. A crash between
sending and marking only means the next scan sends them again, and a second message for
a job is harmless: the worker that gets the DB lease runs it, the other drops its copy.
So the relay keeps no state of its own; after a crash it resumes from the table.

It wakes on ``store.jobs_signal`` (in-process, and PostgreSQL ``NOTIFY`` through the
store's wake-ups), polls every ``poll_seconds`` as a fallback, and runs the reconciler,
which requeues expired leases and republishes jobs published but never claimed within
``publish_deadline_seconds``. When the broker is down nothing breaks upstream: submits
still commit, jobs wait in the table, and the relay retries with backoff.

Several relays (one per API node, plus ``learnpath relay``) may run at once. On
PostgreSQL a transaction-level advisory lock lets one publish at a time, so they do not
all send the same jobs; each one wakes on every new job, so none is missed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from learnpath.backoff import Backoff
from learnpath.dispatch.celery_app import TASK_NAME, make_celery
from learnpath.dispatch.reconciler import Reconciler
from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.migrate import upgrade
from learnpath.store.outage import OutageLog, is_database_outage

log = logging.getLogger(__name__)

#: Advisory lock key shared by every relay of one database.
PUBLISH_LOCK = 7461727
BATCH = 200


#: The longest wait between two tries to reach a broker that is down.
BROKER_BACKOFF_CAP = 10.0


class Relay:
    """Moves committed jobs from the database to the broker; see the module docstring."""

    def __init__(self, store: Store, settings: Settings, *, app: Any = None) -> None:
        self.store = store
        self.settings = settings
        self._owns_app = app is None
        self.app = app if app is not None else make_celery(settings)
        self.published_total = 0
        # The first failure waits two poll intervals, each next one twice as long.
        self.backoff = Backoff(base=settings.poll_seconds * 2, cap=BROKER_BACKOFF_CAP)
        self.reconciler = Reconciler(
            store,
            interval=settings.poll_seconds,
            publish_deadline_s=settings.publish_deadline_seconds,
        )
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="learnpath-relay")
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.broker_outage = OutageLog(
            "broker",
            meanwhile="submitted jobs wait in the database and are published when it is back",
        )

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await asyncio.to_thread(self._sender.shutdown, True)
        if self._owns_app:
            await asyncio.to_thread(self.app.close)

    async def publish_once(self) -> int:
        """Publish every committed, unpublished job; returns how many were sent.

        Raises the broker's error when it cannot be reached (after marking what was sent).
        """
        async with self._lock:
            sent_total = 0
            while True:
                ids, sent, error = await self._publish_batch()
                sent_total += len(sent)
                if error is not None:
                    raise error
                if len(ids) < BATCH:
                    break
            self.published_total += sent_total
            if sent_total:
                log.debug("relay: published %d job(s)", sent_total)
            return sent_total

    async def _publish_batch(self) -> tuple[list[int], list[int], Exception | None]:
        """One round: read up to ``BATCH`` unpublished jobs, send them, mark those sent.

        On PostgreSQL the round is one transaction on one connection, the one holding the
        publish lock: the marks commit with it, right after the sends, so a job row is
        held only for that moment. Returns the ids read, those sent and the broker's error.
        """
        async with self._exclusive() as (ours, conn):
            if not ours:
                return [], [], None
            ids = await self.store.unpublished_jobs(limit=BATCH, conn=conn)
            if not ids:
                return [], [], None
            sent, error = await asyncio.get_running_loop().run_in_executor(
                self._sender, self._send, ids
            )
            if sent:
                await self._mark_published(sent, conn)
        return ids, sent, error

    async def _mark_published(self, job_ids: list[int], conn: AsyncConnection | None) -> None:
        await self.store.mark_published(job_ids, conn=conn)

    def _send(self, job_ids: list[int]) -> tuple[list[int], Exception | None]:
        """In the sender thread: publish in order; stop at the first broker error.

        One producer (and its broker connection) serves the whole round rather than one
        taken from the pool per message.
        """
        sent: list[int] = []
        try:
            with self.app.producer_or_acquire() as producer:
                for job_id in job_ids:
                    self.app.send_task(
                        TASK_NAME, args=[job_id], task_id=str(job_id), producer=producer
                    )
                    sent.append(job_id)
        except Exception as exc:
            return sent, exc
        return sent, None

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[tuple[bool, AsyncConnection | None]]:
        """On PostgreSQL, one relay publishes at a time (the others will see new jobs too);
        whether this one may, and the connection that holds the lock (None on SQLite)."""
        if not self.store.is_postgres:
            yield True, None
            return
        async with self.store.engines.writer.connect() as conn, conn.begin():
            got = await conn.scalar(text(f"SELECT pg_try_advisory_xact_lock({PUBLISH_LOCK})"))
            yield bool(got), conn

    async def _loop(self) -> None:
        failures = 0
        while True:
            seen = self.store.jobs_signal.version
            await self.reconciler.due()
            try:
                await self.publish_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = self.backoff.delay(failures)
                failures += 1
                if is_database_outage(exc):
                    self.store.outage.failed(exc)  # the database's own outage line
                elif not self.broker_outage.down:
                    self.broker_outage.failed(exc)
                    log.debug("relay: publish failed", exc_info=exc)
                await asyncio.sleep(delay)
                continue
            if failures:
                self.broker_outage.succeeded()
                failures = 0
            await self.store.jobs_signal.wait(seen, self.settings.poll_seconds)


def run_relay(settings: Settings) -> None:
    """Run a relay until SIGINT/SIGTERM (``learnpath relay``)."""
    asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> None:
    store = open_store(settings)
    try:
        await upgrade(store.engines.writer)
        relay = Relay(store, settings)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        await relay.start()
        log.info("relay: publishing jobs to %s", _safe_url(settings.broker_url))
        try:
            await stopping.wait()
        finally:
            await relay.stop()
    finally:
        await store.close()


def _safe_url(url: str) -> str:
    from kombu.utils.url import maybe_sanitize_url

    return str(maybe_sanitize_url(url))
