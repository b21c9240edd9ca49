"""In-process wake-ups: "something changed, look at the database again".

A signal carries no data; the database is the truth. Waiters note the version, look at
the database, and only then wait, so a notification between the look and the wait is
never missed.

Commits in this process notify the store's signals directly. Commits in other
processes reach them through the store's wake-ups (``store.wakeup``), which a signal
starts on its first wait: ``before_wait`` is that hook.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

#: The PostgreSQL NOTIFY channels that mirror the store's two signals across processes.
JOBS_CHANNEL = "learnpath_jobs"
EVENTS_CHANNEL = "learnpath_events"
#: A token was revoked or a user's record changed: stores forget the tokens they cached.
TOKENS_CHANNEL = "learnpath_tokens"


class Signal:
    def __init__(self) -> None:
        self._version = 0
        self._event: asyncio.Event | None = None
        #: Called at the start of every wait (the store starts its wake-ups with it).
        self.before_wait: Callable[[], None] | None = None

    @property
    def version(self) -> int:
        return self._version

    def notify(self) -> None:
        self._version += 1
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, seen_version: int, timeout: float) -> bool:
        """Wait until notified after ``seen_version``; False when ``timeout`` passed first."""
        if self.before_wait is not None:
            self.before_wait()
        if self._version != seen_version:
            return True
        if self._event is None:
            self._event = asyncio.Event()
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        return True
