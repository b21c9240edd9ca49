"""How many model calls may be in flight: a process-wide cap and an adaptive window per provider.

All agents built in one process share one ``ModelLimiter`` per configured limit (see
``process_limiter``): at most ``limit`` calls are in flight at once in the process. Inside
that cap every provider (an endpoint: ``openai`` at its base URL, a local server…) gets a
``ProviderLimiter``, an adaptive concurrency window that follows the provider's rate limit:

* **additive increase**: each answered call widens the window by ``1 / window`` (about one
  more call in flight per window's worth of answers), up to ``limit``;
* **multiplicative decrease**: a 429 takes the window down by a quarter, never below 1. Only a call sent
  after the last decrease, and after the pause that decrease asked for, can shrink it
  again: a burst of 429s from calls that were in flight together, or that went out while
  the provider's ``Retry-After`` was running, counts as one signal, not as many;
* **Retry-After**: a 429 that says how long to wait closes the provider to new calls until
  then. Calls that were refused and already waited their own ``Retry-After`` resume ahead
  of the queue (``slot(resume=True)``), so a rate-limited call keeps its place.

An ``asyncio.Semaphore`` (and any waiter) belongs to one event loop, so the cap and the
queues are kept per running loop (a worker process has one long-lived loop, tests may
create many); the window and the pause are the provider's and shared by every loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

#: The window a 429 leaves: ``window * DECREASE`` (never below 1). Gentler than halving:
#: the provider's ``Retry-After`` pause already spaces the calls, and on a rate limit a
#: deeper cut leaves admissions unused (``bench/goodput.py``).
DECREASE = 0.75
#: The key of calls that name no provider.
DEFAULT_PROVIDER = "default"

Clock = Callable[[], float]


@dataclass(eq=False)
class _Waiter:
    future: asyncio.Future[None]
    resume: bool


@dataclass
class _Queue:
    """One event loop's calls in flight and waiting, for one provider."""

    in_flight: int = 0
    waiters: deque[_Waiter] = field(default_factory=deque)
    timer: asyncio.TimerHandle | None = None


class ProviderLimiter:
    """An AIMD concurrency window for one provider, between 1 and ``limit`` calls in flight."""

    def __init__(self, limit: int, *, clock: Clock = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("the model concurrency limit must be at least 1")
        self.limit = limit
        self.window = float(limit)
        self.paused_until = 0.0
        self.decreases = 0
        self._news_after = float("-inf")
        self._clock = clock
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    @property
    def allowed(self) -> int:
        """How many calls may be in flight now (the window, rounded down)."""
        return max(1, int(self.window))

    def now(self) -> float:
        return self._clock()

    def succeeded(self) -> None:
        """An answered call: widen the window by ``1 / window``."""
        with self._lock:
            self.window = min(float(self.limit), self.window + 1.0 / self.window)
        self._wake_all()

    def rate_limited(self, sent_at: float, retry_after: float | None = None) -> None:
        """A call sent at ``sent_at`` was answered 429, asking to wait ``retry_after`` seconds."""
        now = self._clock()
        with self._lock:
            if retry_after is not None and retry_after > 0:
                self.paused_until = max(self.paused_until, now + retry_after)
            if sent_at >= self._news_after:
                self.window = max(1.0, self.window * DECREASE)
                self.decreases += 1
                # Calls already in flight, and calls sent before the pause asked for is
                # over, were sent on stale information: their 429s are not new news.
                self._news_after = max(now, self.paused_until)

    @asynccontextmanager
    async def slot(self, *, resume: bool = False) -> AsyncIterator[float]:
        """Hold a place in the window for the block; yields the time the call was let go.

        ``resume`` is for a call that was refused with 429 and has waited since: it goes
        ahead of the queue and does not wait for the provider's pause again.
        """
        queue = self._queue()
        await self._acquire(queue, resume=resume)
        try:
            yield self._clock()
        finally:
            queue.in_flight -= 1
            self._wake(queue)

    def _queue(self) -> _Queue:
        loop = asyncio.get_running_loop()
        with self._lock:
            queue = self._queues.get(loop)
            if queue is None:
                queue = self._queues[loop] = _Queue()
            return queue

    def _may_start(self, queue: _Queue, *, resume: bool) -> bool:
        if queue.in_flight >= self.allowed:
            return False
        return resume or self._clock() >= self.paused_until

    async def _acquire(self, queue: _Queue, *, resume: bool) -> None:
        if not queue.waiters and self._may_start(queue, resume=resume):
            queue.in_flight += 1
            return
        waiter = _Waiter(asyncio.get_running_loop().create_future(), resume)
        if resume:
            queue.waiters.appendleft(waiter)
        else:
            queue.waiters.append(waiter)
        self._wake(queue)
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                queue.in_flight -= 1  # the slot was handed over just as we were cancelled
                self._wake(queue)
            else:
                with suppress(ValueError):
                    queue.waiters.remove(waiter)
            raise

    def _wake(self, queue: _Queue) -> None:
        """Hand free places to waiters in order; come back when the provider's pause ends."""
        while queue.waiters and queue.in_flight < self.allowed:
            # Resumed calls sit at the front and skip the pause; a new call waits for it.
            waiter = queue.waiters[0]
            if waiter.future.done():
                queue.waiters.popleft()
                continue
            pause = self.paused_until - self._clock()
            if pause > 0 and not waiter.resume:
                self._wake_later(queue, pause)
                return
            queue.waiters.popleft()
            queue.in_flight += 1
            waiter.future.set_result(None)

    def _wake_later(self, queue: _Queue, delay: float) -> None:
        if queue.timer is not None and not queue.timer.cancelled():
            return
        loop = asyncio.get_running_loop()

        def fire() -> None:
            queue.timer = None
            self._wake(queue)

        queue.timer = loop.call_later(delay, fire)

    def _wake_all(self) -> None:
        """Other loops' queues are woken by their own releases; this loop's by ours."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        queue = self._queues.get(loop)
        if queue is not None:
            self._wake(queue)


class ModelLimiter:
    """At most ``limit`` model calls in flight at once (per event loop), across providers.

    ``provider(key)`` is the adaptive window of one provider inside this cap; ``slot(key)``
    holds a place in both.
    """

    def __init__(self, limit: int, *, clock: Clock = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("the model concurrency limit must be at least 1")
        self.limit = limit
        self._clock = clock
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()
        self._providers: dict[str, ProviderLimiter] = {}
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def provider(self, key: str = DEFAULT_PROVIDER) -> ProviderLimiter:
        """The adaptive window of the provider ``key`` (created on first use)."""
        with self._lock:
            limiter = self._providers.get(key)
            if limiter is None:
                limiter = self._providers[key] = ProviderLimiter(self.limit, clock=self._clock)
            return limiter

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._lock:
            semaphore = self._semaphores.get(loop)
            if semaphore is None:
                semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
            return semaphore

    @asynccontextmanager
    async def slot(
        self, provider: str = DEFAULT_PROVIDER, *, resume: bool = False
    ) -> AsyncIterator[float]:
        """Hold a place in ``provider``'s window and one of the ``limit`` slots for the block.

        Yields the time the call was let go (the limiter's clock), for ``rate_limited``.
        """
        async with self.provider(provider).slot(resume=resume) as sent_at, self._semaphore():
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                yield sent_at
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
