"""The tutor's per-user rate limit: questions per minute (``LEARNPATH_USER_CHAT_PER_MINUTE``).

``check_chat_rate`` is the one place the API, the web UI and the CLI ask before a question is
stored; the decision itself (``retry_after``) is a pure function of the count and the limit.
"""

from __future__ import annotations

import datetime as dt
import math

from learnpath.settings import Settings
from learnpath.store import Store

WINDOW = dt.timedelta(minutes=1)


class QuotaExceeded(Exception):
    """The user asked too much too fast; ``retry_after`` seconds until the next is allowed."""

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


def retry_after(recent: list[dt.datetime], limit: int, now: dt.datetime) -> int | None:
    """Seconds to wait before one more question is allowed, or None when it is allowed now.

    ``recent`` are the times of the questions asked in the last ``WINDOW``.
    """
    if len(recent) < limit:
        return None
    oldest_counted = sorted(recent)[-limit]
    return max(1, math.ceil((oldest_counted + WINDOW - now).total_seconds()))


async def check_chat_rate(store: Store, settings: Settings, user_id: str) -> None:
    """Raise ``QuotaExceeded`` (``chat_rate_limited``) when the user may not ask right now."""
    now = store.clock()
    recent = await store.question_times(user_id, now - WINDOW)
    wait = retry_after(recent, settings.user_chat_per_minute, now)
    if wait is not None:
        raise QuotaExceeded(
            "chat_rate_limited",
            f"you asked the tutor {len(recent)} questions in the last minute (the limit is "
            f"{settings.user_chat_per_minute}); ask again in {wait} s",
            wait,
        )
