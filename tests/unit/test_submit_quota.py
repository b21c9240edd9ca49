"""The submit limits as a pure function: which limit refuses, and when to come back."""

from __future__ import annotations

import datetime as dt

from learnpath.domain.quota import ACTIVE_RETRY_AFTER_S, SubmitLimits, submit_refusal

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
LIMITS = SubmitLimits(max_active=3, per_minute=2)


def test_under_both_limits_a_submit_is_allowed() -> None:
    assert submit_refusal(LIMITS, 2, None, NOW) is None


def test_the_active_limit_refuses_first_and_names_its_setting() -> None:
    refusal = submit_refusal(LIMITS, 3, NOW - dt.timedelta(seconds=2), NOW)
    assert refusal is not None
    assert (refusal.code, refusal.limit) == ("quota_exceeded", "active_tasks")
    assert refusal.retry_after == ACTIVE_RETRY_AFTER_S
    assert "LEARNPATH_USER_MAX_ACTIVE_TASKS" in refusal.message
    assert refusal.params == {"count": 3, "limit": 3, "wait": ACTIVE_RETRY_AFTER_S}


def test_the_rate_limit_waits_until_the_oldest_counted_submit_leaves_the_minute() -> None:
    # The second newest submit of the minute (the limit is 2) was 40 s ago.
    refusal = submit_refusal(LIMITS, 0, NOW - dt.timedelta(seconds=40), NOW)
    assert refusal is not None and refusal.limit == "submits_per_minute"
    assert refusal.retry_after == 20
    assert "LEARNPATH_USER_SUBMITS_PER_MINUTE" in refusal.message
    assert refusal.params == {"count": 2, "limit": 2, "wait": 20}


def test_a_users_own_limits_win_over_the_defaults() -> None:
    assert LIMITS.for_user(10, None) == SubmitLimits(max_active=10, per_minute=2)
    assert LIMITS.for_user(None, None) == LIMITS
