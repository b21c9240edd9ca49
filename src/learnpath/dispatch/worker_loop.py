"""The per-process event loop host of a Celery worker.

A worker process owns exactly one asyncio loop, running in a thread of its own, and one
store, one workflow (one agent team) and one ``WorkerCore`` opened on that loop. Celery's
pool threads never run a coroutine themselves: they hand it to this loop with
``asyncio.run_coroutine_threadsafe`` and wait for the (fast) answer. No ``asyncio.run``
per task, no engine shared across loops.

``accept(job_id)`` claims the job's lease and starts its workflow in the background on
the loop (``WorkerCore.claim``), then returns; the workflow keeps running after the
Celery message is acked. Up to ``capacity`` workflows run at once; when all slots are
busy, ``accept`` waits for one, which holds the pool thread and so stops this worker
taking more messages (back-pressure).

Suspects run one at a time. A job whose worker died ``SUSPECT_STREAK`` times in a row
without progress may be a poison task, one that kills its worker. A worker runs at most
one suspect at a time (``Outcome.BUSY`` sends the message back to the broker for a
moment, for this or another worker): so when a poison task kills its worker again, the
other suspects are not on it, and only the tasks that die with no progress count deaths.
Without this, a task that happens to share a worker with a poison task, and is killed
with it before it can save anything, would be failed as a crash loop too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Coroutine
from enum import StrEnum
from typing import Any, TypeVar

from learnpath.agents import AgentTeam
from learnpath.dispatch.assembly import make_workflow
from learnpath.dispatch.core import WorkerCore
from learnpath.dispatch.reconciler import Reconciler
from learnpath.dispatch.runner import worker_identity
from learnpath.settings import Settings
from learnpath.store import Lease, Store, open_store
from learnpath.store.migrate import upgrade
from learnpath.workflow import Workflow

log = logging.getLogger(__name__)

T = TypeVar("T")


class Outcome(StrEnum):
    """What became of a delivered job id."""

    STARTED = "started"  # the lease is ours and the workflow runs on this process's loop
    TAKEN = "taken"  # another worker holds the lease, or the job is finished: nothing to do
    UNKNOWN = "unknown"  # no such job in the database
    BUSY = "busy"  # a suspect, and this worker already runs one: deliver it again later


#: Deaths in a row without progress that make a job a suspect (see the module docstring).
SUSPECT_STREAK = 2


class WorkerLoop:
    """One long-lived event loop and one ``WorkerCore`` hosting every workflow of a process."""

    def __init__(
        self,
        settings: Settings,
        *,
        team: AgentTeam | None = None,
        capacity: int | None = None,
    ) -> None:
        self.settings = settings
        self.team = team
        self.capacity = capacity or settings.worker_concurrency
        self.owner = worker_identity("celery")
        self.store: Store | None = None
        self.core: WorkerCore | None = None
        self.workflow: Workflow | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._reconciler: asyncio.Task[None] | None = None
        self.suspects: set[int] = set()

    @property
    def started(self) -> bool:
        return self.core is not None

    @property
    def in_flight(self) -> int:
        """Workflows running on this loop now."""
        return 0 if self.core is None else self.core.in_flight

    def start(self, timeout: float = 120.0) -> None:
        """Start the loop thread and open the store and workflow on it (idempotent, thread-safe)."""
        with self._lock:
            if self._loop is not None:
                return
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="learnpath-worker-loop", daemon=True
            )
            thread.start()
            self._loop, self._thread = loop, thread
            try:
                self.call(self._open(), timeout)
            except BaseException:
                self._halt()
                raise

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop from another thread and wait for its result."""
        if self._loop is None:
            coro.close()
            raise RuntimeError("the worker loop is not running")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def accept(self, job_id: int, timeout: float | None = None) -> Outcome:
        """Claim ``job_id`` and start its workflow in the background (starts the loop if needed)."""
        self.start()
        return self.call(self._accept(job_id), timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Cancel running workflows, give their leases back, close the store and the loop."""
        with self._lock:
            if self._loop is None:
                return
            try:
                self.call(self._close(), timeout)
            except Exception:
                log.warning("worker loop did not close cleanly", exc_info=True)
            finally:
                self._halt()

    def _halt(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(10)
        if not loop.is_running():
            loop.close()

    # --- on the loop ---

    async def _open(self) -> None:
        store = open_store(self.settings)
        try:
            await upgrade(store.engines.writer)
            workflow = make_workflow(self.settings, store, self.team)
        except BaseException:
            await store.close()
            raise
        self.store = store
        self.workflow = workflow
        self.core = WorkerCore(
            store,
            workflow.run,
            capacity=self.capacity,
            owner=self.owner,
            on_finished=self._finished,
        )
        reconciler = Reconciler(
            store,
            interval=max(self.settings.poll_seconds, 0.2),
            publish_deadline_s=self.settings.publish_deadline_seconds,
        )
        self._reconciler = asyncio.create_task(reconciler.forever(), name="reconciler")
        log.info("worker %s ready: up to %d workflows at once", self.owner, self.capacity)

    async def _accept(self, job_id: int) -> Outcome:
        assert self.core is not None
        store = self.core.store
        streak = await store.crash_streak(job_id)
        suspect = streak is not None and streak >= SUSPECT_STREAK
        if suspect:
            if self.suspects:
                return Outcome.BUSY
            self.suspects.add(job_id)  # reserved before any await, so no second one slips in
        try:
            lease = await self.core.claim(job_id)
        except BaseException:
            self.suspects.discard(job_id)
            raise
        if lease is not None:
            return Outcome.STARTED
        self.suspects.discard(job_id)
        return Outcome.UNKNOWN if await store.get_job(job_id) is None else Outcome.TAKEN

    def _finished(self, lease: Lease) -> None:
        self.suspects.discard(lease.job_id)

    async def _close(self) -> None:
        if self._reconciler is not None:
            self._reconciler.cancel()
            await asyncio.gather(self._reconciler, return_exceptions=True)
        if self.core is not None:
            await self.core.drain()
        if self.workflow is not None:  # the loop owns the team it runs
            await self.workflow.team.aclose()
        if self.store is not None:
            await self.store.close()
        self.core = self.store = self.workflow = None
