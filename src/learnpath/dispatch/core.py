"""The worker core: the one place that claims, runs and releases jobs on an event loop.

Both executors are this core plus a way of choosing jobs:

* the embedded executor (``dispatch.local``) claims the next runnable job whenever a
  slot is free (``claim_next``) and wakes on the store's job signal;
* a Celery worker (``dispatch.worker_loop``) claims the job a message names
  (``claim``), waiting for a free slot first, which holds the message and so stops the
  worker taking more than it can run.

Either way the database lease decides who runs a job. Claims follow the fair order
across users (``store.fairness``). The embedded executor also keeps ``reserve`` of its
slots for newcomers: when the other slots are all taken, a reserved one only takes a job
of a user who has no task running, so one user's backlog filling the worker cannot keep
another user's first task waiting for a slot to free up.

The core runs each leased job
under ``JobRunner`` (heartbeat, failures recorded, resumed after a dropped
connection), keeps the ``running`` table, frees the slot when the job ends, and on
shutdown cancels what runs and gives the leases back (``drain``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from learnpath.dispatch.runner import Handler, JobRunner
from learnpath.store import Lease, Store

log = logging.getLogger(__name__)


def newcomer_reserve(capacity: int) -> int:
    """Slots of an embedded executor kept for users with nothing running: a tenth, up to 50."""
    return min(50, capacity // 10)


class WorkerCore:
    """Runs up to ``capacity`` leased jobs at once, each as a task on the running loop.

    ``reserve`` of them are taken only by ``claim_next`` for a newcomer's job.
    """

    def __init__(
        self,
        store: Store,
        handler: Handler,
        *,
        capacity: int,
        owner: str,
        reserve: int = 0,
        on_finished: Callable[[Lease], None] | None = None,
    ) -> None:
        if not 0 <= reserve < capacity:
            raise ValueError("the reserve must leave at least one ordinary slot")
        self.store = store
        self.runner = JobRunner(store, handler)
        self.capacity = capacity
        self.owner = owner
        self.on_finished = on_finished
        self.running: dict[int, tuple[Lease, asyncio.Task[None]]] = {}
        self._slots = asyncio.Semaphore(capacity - reserve)
        self._reserve = asyncio.Semaphore(reserve)
        self._in_reserve: set[int] = set()

    @property
    def in_flight(self) -> int:
        """Jobs running now."""
        return len(self.running)

    async def claim_next(self) -> Lease | None:
        """Claim and start the next runnable job, if a slot is free.

        When only reserved slots are free, only a newcomer's job. None when no slot is
        free or no job fits.
        """
        if not self._slots.locked():
            await self._slots.acquire()  # free, so this does not wait
            return await self._start(lambda: self.store.claim_next_job(self.owner))
        if self._reserve.locked():
            return None
        await self._reserve.acquire()
        lease = await self._start(
            lambda: self.store.claim_next_job(self.owner, newcomers_only=True),
            slots=self._reserve,
        )
        if lease is not None:
            self._in_reserve.add(lease.job_id)
        return lease

    async def claim(self, job_id: int) -> Lease | None:
        """Wait for a free slot, then claim and start ``job_id``.

        None when the job is leased elsewhere, finished or unknown.
        """
        await self._slots.acquire()
        return await self._start(lambda: self.store.claim_job(job_id, self.owner))

    async def drain(self, *, release: bool = True) -> None:
        """Cancel every running job and, with ``release``, give its lease back.

        A released job is queued again without using an attempt; one that cannot be
        released is requeued by the reconciler when its lease expires.
        """
        in_flight = list(self.running.values())
        for _, task in in_flight:
            task.cancel()
        await asyncio.gather(*(task for _, task in in_flight), return_exceptions=True)
        if not release:
            return
        for lease, _ in in_flight:
            try:
                await self.store.release(lease)
            except Exception:
                log.warning(
                    "could not release job %s; its lease will expire", lease.job_id, exc_info=True
                )

    async def _start(
        self,
        claim: Callable[[], Awaitable[Lease | None]],
        slots: asyncio.Semaphore | None = None,
    ) -> Lease | None:
        """Claim into the slot just taken; the slot is given back unless a job starts."""
        slots = slots or self._slots
        try:
            lease = await claim()
        except BaseException:
            slots.release()
            raise
        if lease is None:
            slots.release()
            return None
        task = asyncio.create_task(self._run(lease), name=f"run-job-{lease.job_id}")
        self.running[lease.job_id] = (lease, task)
        return lease

    async def _run(self, lease: Lease) -> None:
        try:
            await self.runner.run(lease)
        finally:
            self.running.pop(lease.job_id, None)
            if lease.job_id in self._in_reserve:
                self._in_reserve.discard(lease.job_id)
                self._reserve.release()
            else:
                self._slots.release()
            if self.on_finished is not None:
                self.on_finished(lease)
