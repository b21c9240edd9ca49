"""Persistence: one ``Store`` whose methods are named after what the app needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from learnpath.settings import Settings
from learnpath.store.accounts import AccountQueries
from learnpath.store.base import Conflict, Lease, LeaseLost, NotFound, utcnow
from learnpath.store.commands import CommandQueries
from learnpath.store.diagnostics import DiagnosticQueries, QueueReport
from learnpath.store.engine import Engines, make_engines
from learnpath.store.reads import Page, ReadQueries
from learnpath.store.reviews import ReviewQueries
from learnpath.store.runs import RunQueries, RunState
from learnpath.store.tutoring import TutoringQueries
from learnpath.store.users import UserQueries
from learnpath.store.wakeup import Wakeups
from learnpath.store.workspace import WorkspaceQueries


class Store(
    WorkspaceQueries,
    CommandQueries,
    RunQueries,
    ReadQueries,
    UserQueries,
    DiagnosticQueries,
    TutoringQueries,
    ReviewQueries,
    AccountQueries,
):
    """Every query learnpath makes. Built from engines; close with ``await store.close()``.

    The store also owns its wake-ups (``learnpath.store.wakeup``): waiting on ``jobs_signal`` or
    ``events_signal`` starts them, so a commit in any process wakes the waiter.
    """

    def __init__(
        self,
        engines: Engines,
        *,
        lease_seconds: float = 30.0,
        max_attempts: int = 3,
        crash_loop_limit: int = 5,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        super().__init__(
            engines,
            lease_seconds=lease_seconds,
            max_attempts=max_attempts,
            crash_loop_limit=crash_loop_limit,
            clock=clock,
        )
        self.wakeups = Wakeups(engines, jobs=self.jobs_signal, events=self.events_signal)
        self.jobs_signal.before_wait = self.wakeups.start
        self.events_signal.before_wait = self.wakeups.start

    async def close(self) -> None:
        await self.wakeups.close()
        await self.engines.dispose()


def open_store(settings: Settings, *, pool_size: int = 10) -> Store:
    return Store(
        make_engines(settings.resolved_database_url, pool_size=pool_size),
        lease_seconds=settings.lease_seconds,
        max_attempts=settings.max_attempts,
        crash_loop_limit=settings.crash_loop_limit,
    )


__all__ = [
    "Conflict",
    "Engines",
    "Lease",
    "LeaseLost",
    "NotFound",
    "Page",
    "QueueReport",
    "RunState",
    "Store",
    "open_store",
]
