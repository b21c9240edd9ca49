"""The process-wide cap on concurrent model calls.

All agents built in one process share one ``ModelLimiter`` per configured limit (see
``process_limiter``). An ``asyncio.Semaphore`` belongs to one event loop, so the limiter keeps
one per running loop: a worker process has one long-lived loop, tests may create many.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ModelLimiter:
    """At most ``limit`` model calls in flight at once (per event loop)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the model concurrency limit must be at least 1")
        self.limit = limit
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._lock:
            semaphore = self._semaphores.get(loop)
            if semaphore is None:
                semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
            return semaphore

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the ``limit`` slots for the duration of the block."""
        async with self._semaphore():
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1


_limiters: dict[int, ModelLimiter] = {}
_limiters_lock = threading.Lock()


def process_limiter(limit: int) -> ModelLimiter:
    """The limiter shared by every agent in this process that is configured with ``limit``."""
    with _limiters_lock:
        limiter = _limiters.get(limit)
        if limiter is None:
            limiter = _limiters[limit] = ModelLimiter(limit)
        return limiter
