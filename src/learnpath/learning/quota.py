"""Per-user rate limits: the tutor's questions per minute (``LEARNPATH_USER_CHAT_PER_MINUTE``)
and the submit limits' defaults (``LEARNPATH_USER_MAX_ACTIVE_TASKS``, ``…_SUBMITS_PER_MINUTE``).

``check_chat_rate`` is the one place the API, the web UI and the CLI ask before a question is
stored; the decision itself (``retry_after``) is a pure function of the count and the limit.
"""

from __future__ import annotations

from learnpath.domain.quota import WINDOW, QuotaExceeded, SubmitLimits, retry_after
from learnpath.settings import Settings
from learnpath.store import Store

__all__ = ["QuotaExceeded", "check_chat_rate", "retry_after", "submit_limits"]


def submit_limits(settings: Settings) -> SubmitLimits:
    """The submit limits every submit path passes to ``store.submit_task`` (a user's own
    override, stored on the user, wins over these defaults)."""
    return SubmitLimits(
        max_active=settings.user_max_active_tasks, per_minute=settings.user_submits_per_minute
    )


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
            "chat_per_minute",
        )
