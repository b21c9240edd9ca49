"""Run one leased job: keep its lease alive, and make sure any failure reaches the database."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from learnpath.backoff import Backoff
from learnpath.store import Lease, LeaseLost, Store
from learnpath.store.outage import is_database_outage

log = logging.getLogger(__name__)

Handler = Callable[[Lease], Coroutine[Any, Any, None]]

#: How long a workflow interrupted by dropped database connections keeps resuming in
#: place without saving any progress; saved progress starts the clock again.
DISCONNECT_PATIENCE_SECONDS = 300.0

Progress = Callable[[int], Coroutine[Any, Any, int | None]]

#: How long a workflow waits before resuming after the n-th dropped connection in a row.
RESUME = Backoff(base=0.5, cap=8.0)


def is_disconnect(exc: BaseException) -> bool:
    """True for a lost database connection (a restart, a terminated backend): retryable."""
    if is_database_outage(exc):  # includes a server that is shutting down or starting
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or isinstance(
            exc, OperationalError | InterfaceError
        )
    return isinstance(exc, ConnectionError)


def resume_on_disconnect(
    handler: Handler,
    *,
    patience: float = DISCONNECT_PATIENCE_SECONDS,
    progress: Progress | None = None,
) -> Handler:
    """Wrap a job handler so a dropped DB connection resumes the workflow from its checkpoint.

    Every step's output is committed with the step, so running the handler again under
    the same lease redoes nothing already saved. Other exceptions pass through. Dropped
    connections are the infrastructure's doing, not the task's: the workflow resumes
    (backing off as ``RESUME`` says, up to 8 s) for as long as it keeps saving progress (read from
    ``progress(job_id)``, the job's progress counter), and gives up only after
    ``patience`` seconds of disconnects with nothing saved; ``JobRunner`` then records
    the failure. Meanwhile the lease still bounds it: if this worker cannot renew it, the
    job is requeued elsewhere and this run's writes are refused.
    """
    clock = time.monotonic

    async def saved(job_id: int) -> int | None:
        if progress is None:
            return None
        try:
            return await progress(job_id)
        except Exception:
            return None  # the database is still away: count it as no progress

    async def run(lease: Lease) -> None:
        streak = 0
        mark = await saved(lease.job_id)
        since = clock()
        while True:
            try:
                await handler(lease)
                return
            except Exception as exc:
                if not is_disconnect(exc):
                    raise
                now = await saved(lease.job_id)
                if now is not None and (mark is None or now > mark):
                    mark, since, streak = now, clock(), 0
                if clock() - since > patience:
                    raise
                delay = RESUME.delay(streak)
                streak += 1
                log.warning(
                    "job %s: database connection lost (%s); resuming in %.1fs",
                    lease.job_id,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)

    return run


def worker_identity(kind: str = "worker") -> str:
    """A lease owner name that tells an operator where the job runs."""
    return f"{kind}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class JobRunner:
    """Runs a handler under a lease, renewing it every ``lease_seconds / 3``.

    When the lease is lost (the job was reclaimed after this worker stalled) the
    handler is cancelled: its writes would be rejected by fencing anyway. Any other
    exception fails the task in the same transaction that ends the job.
    """

    def __init__(self, store: Store, handler: Handler) -> None:
        self.store = store
        self.handler = resume_on_disconnect(handler, progress=store.job_progress)

    async def run(self, lease: Lease) -> None:
        work = asyncio.create_task(self.handler(lease), name=f"job-{lease.job_id}")
        beat = asyncio.create_task(self._heartbeat(lease, work), name=f"heartbeat-{lease.job_id}")
        try:
            await work
        except LeaseLost:
            log.warning("job %s: lease lost, stopped without writing", lease.job_id)
        except asyncio.CancelledError:
            if not beat.done() or not beat.result():
                raise
            log.warning("job %s: lease lost during the run; stopped", lease.job_id)
        except Exception as exc:
            await self._record_failure(lease, exc)
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)

    async def _heartbeat(self, lease: Lease, work: asyncio.Task[None]) -> bool:
        """Renew until the work ends; returns True when the lease was lost."""
        interval = self.store.lease_seconds / 3
        while not work.done():
            await asyncio.sleep(interval)
            try:
                if not await self.store.heartbeat(lease) and await self._taken_over(lease):
                    work.cancel()
                    return True
            except Exception as exc:
                if is_database_outage(exc):
                    self.store.outage.failed(exc)  # one line per outage, not one per beat
                else:
                    log.warning(
                        "job %s: heartbeat failed; will try again", lease.job_id, exc_info=True
                    )
        return False

    async def _taken_over(self, lease: Lease) -> bool:
        """True when another worker may own the job now; False when it simply finished."""
        job = await self.store.get_job(lease.job_id)
        return job is None or job.state in ("queued", "running")

    async def _record_failure(self, lease: Lease, exc: Exception) -> None:
        reference = uuid.uuid4().hex[:12]
        log.error("job %s failed (reference %s)", lease.job_id, reference, exc_info=exc)
        try:
            state = await self.store.load_run_state(lease.task_id)
            step = state.task.current_step
            await self.store.fail_run(
                lease,
                None,
                None,
                step=step,
                code="internal_error",
                message=(
                    f"An unexpected {type(exc).__name__} stopped the {step} step "
                    f"(reference {reference} in the worker's log). Retry the task; "
                    "if it fails again, report the reference."
                ),
            )
        except LeaseLost:
            log.warning("job %s: lease lost while recording its failure", lease.job_id)
        except Exception:
            # The lease will expire and the reconciler retries the job: the failure is not lost.
            log.exception(
                "job %s: could not record its failure; the reconciler will retry it", lease.job_id
            )
