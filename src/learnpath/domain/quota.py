"""Per-user limits as data plus pure functions: how long until one more action is allowed.

The tutor's question rate (``learning.quota``) and the submit limits (checked inside the
submit transaction by the store) share ``QuotaExceeded`` and ``retry_after``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

WINDOW = dt.timedelta(minutes=1)

# A task that is not terminal holds its slot until it ends; nobody can say when, so a
# refused submit is told to come back after this many seconds.
ACTIVE_RETRY_AFTER_S = 30

LIMIT_ACTIVE = "active_tasks"
LIMIT_PER_MINUTE = "submits_per_minute"
LIMITS = (LIMIT_ACTIVE, LIMIT_PER_MINUTE)


class QuotaExceeded(Exception):
    """The user asked too much too fast; ``retry_after`` seconds until the next is allowed.

    ``limit`` names the limit that refused (``active_tasks``, ``submits_per_minute`` or
    ``chat_per_minute``); ``code`` is the API problem's code; ``params`` are the numbers
    the message names, so a page can word it in its own language.
    """

    def __init__(
        self,
        code: str,
        message: str,
        retry_after: int,
        limit: str = "",
        params: dict[str, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.limit = limit
        self.params = params or {}


@dataclass(frozen=True)
class SubmitLimits:
    """How many tasks a user may have running, and submit per minute (the settings'
    defaults; a user's own override wins)."""

    max_active: int
    per_minute: int

    def for_user(self, max_active: int | None, per_minute: int | None) -> SubmitLimits:
        return SubmitLimits(
            max_active=self.max_active if max_active is None else max_active,
            per_minute=self.per_minute if per_minute is None else per_minute,
        )


def retry_after(recent: list[dt.datetime], limit: int, now: dt.datetime) -> int | None:
    """Seconds to wait before one more action is allowed, or None when it is allowed now.

    ``recent`` are the times of the actions taken in the last ``WINDOW``.
    """
    if len(recent) < limit:
        return None
    return wait_for(sorted(recent)[-limit], now)


def wait_for(oldest_counted: dt.datetime, now: dt.datetime) -> int:
    """Seconds until ``oldest_counted``, the action at the limit, leaves the window."""
    return max(1, math.ceil((oldest_counted + WINDOW - now).total_seconds()))


def submit_refusal(
    limits: SubmitLimits, active: int, oldest_counted: dt.datetime | None, now: dt.datetime
) -> QuotaExceeded | None:
    """Why one more submit is refused (the active limit first), or None when it is allowed.

    ``oldest_counted`` is the ``per_minute``-th newest submit of the last ``WINDOW``
    (None when there were fewer): the one whose leaving the window allows the next.
    """
    if active >= limits.max_active:
        return QuotaExceeded(
            "quota_exceeded",
            f"you have {active} unfinished tasks and the limit "
            f"(LEARNPATH_USER_MAX_ACTIVE_TASKS) is {limits.max_active}; wait for one to "
            "finish, or cancel one, then submit again",
            ACTIVE_RETRY_AFTER_S,
            LIMIT_ACTIVE,
            {"count": active, "limit": limits.max_active, "wait": ACTIVE_RETRY_AFTER_S},
        )
    if oldest_counted is not None:
        wait = wait_for(oldest_counted, now)
        return QuotaExceeded(
            "quota_exceeded",
            f"you submitted {limits.per_minute} tasks in the last minute and the limit "
            f"(LEARNPATH_USER_SUBMITS_PER_MINUTE) is {limits.per_minute}; "
            f"submit again in {wait} s",
            wait,
            LIMIT_PER_MINUTE,
            {"count": limits.per_minute, "limit": limits.per_minute, "wait": wait},
        )
    return None
