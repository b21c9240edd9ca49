"""Persistence: one ``Store`` whose methods are named after what the app needs."""

from __future__ import annotations

from learnpath.settings import Settings
from learnpath.store.accounts import AccountQueries
from learnpath.store.base import Conflict, Lease, LeaseLost, NotFound
from learnpath.store.commands import CommandQueries
from learnpath.store.diagnostics import DiagnosticQueries, QueueReport
from learnpath.store.engine import Engines, make_engines
from learnpath.store.reads import Page, ReadQueries
from learnpath.store.reviews import ReviewQueries
from learnpath.store.runs import RunQueries, RunState
from learnpath.store.tutoring import TutoringQueries
from learnpath.store.users import UserQueries
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


def open_store(settings: Settings, *, pool_size: int = 10) -> Store:
    return Store(
        make_engines(settings.resolved_database_url, pool_size=pool_size),
        lease_seconds=settings.lease_seconds,
        max_attempts=settings.max_attempts,
        crash_loop_limit=settings.crash_loop_limit,
        token_cache_seconds=settings.token_cache_seconds,
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
