"""Group commit: submits that arrive while a submit transaction is in flight are written
together in the next one.

A submit's transaction costs about ten statements and a commit (``store.queue``); at
hundreds of submits a second the commits, not the rows, are the work. So one submit
writes at once, and those that arrive meanwhile wait for it and then go in one
transaction with multi-row inserts (``QueueQueries._submit_together``): no submit waits
for a timer, and a batch is as large as the traffic makes it (at most ``MAX_BATCH``).

Every submit keeps its own guarantees inside the shared transaction (atomic task, job and
first event; the user's quota with earlier members of the batch counted; idempotency
keys; fair ranks), and one that cannot be written does not fail the others: the batch is
then written again one submit at a time. ``GroupCommit`` itself only collects callers,
runs one writer task at a time and hands each caller its own outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

#: The most submits written in one transaction.
MAX_BATCH = 200

In = TypeVar("In")
Out = TypeVar("Out")

#: A batch writer: one outcome per item, in order; an exception is that item's alone.
Writer = Callable[[list[In]], Awaitable[list[Out | BaseException]]]


class GroupCommit(Generic[In, Out]):
    """Collects items and writes them in batches, one batch at a time (see module docs)."""

    def __init__(self, write: Writer[In, Out], *, max_batch: int = MAX_BATCH) -> None:
        self._write = write
        self._max_batch = max_batch
        self._pending: list[tuple[In, asyncio.Future[Out]]] = []
        self._runner: asyncio.Task[None] | None = None
        #: Batches written and items in them (for the benchmark and tests).
        self.batches = 0
        self.items = 0

    async def submit(self, item: In) -> Out:
        """Write ``item`` with whatever else is waiting; its outcome, or its exception.

        A caller that is cancelled while waiting stops waiting; its item is still written
        if its batch had started (as a request cut off after its commit would be).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Out] = loop.create_future()
        self._pending.append((item, future))
        runner = self._runner
        if runner is None or runner.done() or runner.get_loop() is not loop:
            self._runner = loop.create_task(self._run(), name="store-group-commit")
        return await future

    async def _run(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                outcomes = await self._write([item for item, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch + self._pending:
                    future.cancel()
                self._pending.clear()
                raise
            except Exception as exc:  # the whole batch failed (the database is down...)
                outcomes = [exc] * len(batch)
            self.batches += 1
            self.items += len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # its caller stopped waiting
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
