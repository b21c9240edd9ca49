"""Transport retry policy as data plus pure functions.

Which failures are worth retrying, and how long to wait before the next attempt: 429 and
503 honour the provider's ``Retry-After``; other 5xx, dropped connections and timeouts back
off exponentially. Everything here is pure so it is tested without a clock or a network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelConnectionError,
    ModelHTTPError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    ModelRequestTimeout,
    ModelServerError,
    ModelTimeoutError,
    ModelUnavailableError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry a failed model call and how long to wait in between.

    ``retries`` is the number of retries after the first attempt (0 = no retry). The n-th
    retry waits ``base_delay * multiplier**(n-1)`` seconds, capped at ``max_delay``; a
    provider's ``Retry-After`` replaces that (capped at ``max_retry_after``).
    """

    retries: int = 3
    base_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 30.0
    max_retry_after: float = 120.0


def next_delay(policy: RetryPolicy, attempt: int, retry_after: float | None = None) -> float | None:
    """Seconds to wait after failed ``attempt`` (1-based), or None when no retry is left."""
    if attempt > policy.retries:
        return None
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, policy.max_retry_after)
    return min(policy.base_delay * policy.multiplier ** (attempt - 1), policy.max_delay)


def is_retryable(exc: BaseException) -> bool:
    """True for failures that may pass on a later attempt: 429, 5xx, connection, timeout."""
    if isinstance(exc, ModelQuotaExceededError | ModelRequestRejectedError):
        return False
    if isinstance(exc, TimeoutError):
        return True
    if isinstance(
        exc, ModelRateLimitError | ModelUnavailableError | ModelServerError | ModelConnectionError
    ):
        return True
    if isinstance(exc, ModelHTTPError):
        return exc.status_code == 429 or exc.status_code >= 500
    return False


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value: delay seconds (fractions accepted) or an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if 0 <= seconds < float("inf") else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def retry_after_of(exc: BaseException) -> float | None:
    """The wait the provider asked for, honoured only on 429 and 503 responses."""
    if not isinstance(exc, ModelAPIError):
        return None
    if isinstance(exc, ModelHTTPError):
        if exc.status_code not in (429, 503):
            return None
        header = (exc.headers or {}).get("retry-after")
        parsed = parse_retry_after(header)
        if parsed is not None:
            return parsed
    return exc.retry_after


def outcome_of(exc: BaseException, *, retried: bool) -> str:
    """The usage outcome of an attempt that failed with ``exc``: ``retried_429``, ``timed_out``…

    ``retried`` says whether another attempt follows (``retried_*``) or the call failed for
    good (``failed_*``; a final timeout is ``timed_out``).
    """
    prefix = "retried" if retried else "failed"
    if isinstance(exc, TimeoutError | ModelTimeoutError | ModelRequestTimeout):
        return f"{prefix}_timeout" if retried else "timed_out"
    if isinstance(exc, ModelHTTPError):
        return f"{prefix}_{exc.status_code}"
    if isinstance(exc, ModelRateLimitError):
        return f"{prefix}_429"
    if isinstance(exc, ModelConnectionError):
        return f"{prefix}_connection"
    return f"{prefix}_error"
