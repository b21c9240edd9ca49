"""The embedded executor: claims jobs from the database and runs many of them on one event loop."""

from __future__ import annotations

import asyncio
import logging
import time

from learnpath.dispatch.core import WorkerCore, newcomer_reserve
from learnpath.dispatch.reconciler import Reconciler
from learnpath.dispatch.runner import Handler, worker_identity
from learnpath.store import Lease, Store

log = logging.getLogger(__name__)


class LocalExecutor:
    """Claim-and-run loop for embedded mode, on the shared ``WorkerCore``.

    Wakes on the store's job signal: at once for a commit in this process, and through
    the store's wake-ups (LISTEN/NOTIFY on PostgreSQL) for one in any process;
    ``poll_seconds`` only bounds recovery latency. Runs up to ``concurrency`` jobs at
    once: LLM-bound workflows are I/O and share the loop. A tenth of the slots (up to 50)
    are kept for users with nothing running (``newcomer_reserve``).
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
        self.poll_seconds = poll_seconds
        self.core = WorkerCore(
            store,
            handler,
            capacity=concurrency,
            reserve=newcomer_reserve(concurrency),
            owner=owner or worker_identity("local"),
            on_finished=self._slot_freed,
        )
        self.reconciler = Reconciler(store, interval=poll_seconds) if reconcile else None
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def owner(self) -> str:
        return self.core.owner

    @property
    def running(self) -> dict[int, tuple[Lease, asyncio.Task[None]]]:
        return self.core.running

    async def start(self) -> None:
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
        await self.core.drain(release=release)

    async def run_until_idle(self, timeout: float | None = None) -> None:
        """Claim and run until no job is runnable and none is running (burst mode)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            seen = self.store.jobs_signal.version
            await self._reconcile()
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
                await self._reconcile()
                await self._fill()
            except Exception:
                log.warning(
                    "executor: claim failed; retrying in %.1fs", self.poll_seconds, exc_info=True
                )
            await self.store.jobs_signal.wait(seen, self.poll_seconds)

    async def _reconcile(self) -> None:
        if self.reconciler is not None:
            await self.reconciler.due()

    async def _fill(self) -> None:
        while not self._stopping and await self.core.claim_next() is not None:
            pass

    def _slot_freed(self, _lease: Lease) -> None:
        # A slot is free: let the loop claim again.
        self.store.jobs_signal.notify()
