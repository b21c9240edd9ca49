"""The local executor: claims jobs from the database and runs many of them on one event loop."""

from __future__ import annotations

import asyncio
import logging
import time

from learnpath.dispatch.reconciler import reconcile_once
from learnpath.dispatch.runner import Handler, JobRunner, worker_identity
from learnpath.dispatch.wakeup import PgListener
from learnpath.store import Lease, Store

log = logging.getLogger(__name__)


class LocalExecutor:
    """Claim-and-run loop for embedded mode (and the building block of any worker).

    Wakes instantly on a commit in this process (in-process signal) or, on PostgreSQL,
    in any process (LISTEN/NOTIFY); ``poll_seconds`` only bounds recovery latency. Runs
    up to ``concurrency`` jobs at once: LLM-bound workflows are I/O and share the loop.
    """

    def __init__(
        self,
        store: Store,
        handler: Handler,
        *,
        concurrency: int = 500,
        poll_seconds: float = 2.0,
        owner: str | None = None,
        reconcile: bool = True,
    ) -> None:
        self.store = store
        self.runner = JobRunner(store, handler)
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.owner = owner or worker_identity("local")
        self.reconcile = reconcile
        self.running: dict[int, tuple[Lease, asyncio.Task[None]]] = {}
        self._listener = PgListener(store)
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_reconcile = 0.0

    async def start(self) -> None:
        self._listener.start()
        self._loop_task = asyncio.create_task(self._loop(), name="local-executor")

    async def stop(self, *, release: bool = True) -> None:
        """Stop claiming; cancel running jobs and give their leases back (no attempt used)."""
        self._stopping = True
        self.store.jobs_signal.notify()
        if self._loop_task is not None:
            # Let a claim in progress commit and be registered, rather than cancelling it
            # halfway (a claimed-but-forgotten job would wait for its lease to expire).
            try:
                await asyncio.wait_for(asyncio.shield(self._loop_task), timeout=10)
            except TimeoutError:
                self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        in_flight = list(self.running.values())
        for _, task in in_flight:
            task.cancel()
        await asyncio.gather(*(task for _, task in in_flight), return_exceptions=True)
        if release:
            for lease, _ in in_flight:
                try:
                    await self.store.release(lease)
                except Exception:
                    log.warning(
                        "could not release job %s; its lease will expire",
                        lease.job_id,
                        exc_info=True,
                    )
        await self._listener.stop()

    async def run_until_idle(self, timeout: float | None = None) -> None:
        """Claim and run until no job is runnable and none is running (burst mode)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            await self._maybe_reconcile()
            seen = self.store.jobs_signal.version
            await self._fill()
            if not self.running:
                return
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError(f"{len(self.running)} job(s) still running after {timeout}s")
            await self.store.jobs_signal.wait(
                seen, min(self.poll_seconds, remaining or self.poll_seconds)
            )

    async def _loop(self) -> None:
        while not self._stopping:
            seen = self.store.jobs_signal.version
            try:
                await self._maybe_reconcile()
                await self._fill()
            except Exception:
                log.warning(
                    "executor: claim failed; retrying in %.1fs", self.poll_seconds, exc_info=True
                )
            await self.store.jobs_signal.wait(seen, self.poll_seconds)

    async def _maybe_reconcile(self) -> None:
        now = time.monotonic()
        if self.reconcile and now - self._last_reconcile >= self.poll_seconds:
            self._last_reconcile = now
            await reconcile_once(self.store)

    async def _fill(self) -> None:
        while not self._stopping and len(self.running) < self.concurrency:
            lease = await self.store.claim_next_job(self.owner)
            if lease is None:
                return
            task = asyncio.create_task(self._run(lease), name=f"run-job-{lease.job_id}")
            self.running[lease.job_id] = (lease, task)

    async def _run(self, lease: Lease) -> None:
        try:
            await self.runner.run(lease)
        finally:
            self.running.pop(lease.job_id, None)
            # A slot is free: let the loop claim again.
            self.store.jobs_signal.notify()
