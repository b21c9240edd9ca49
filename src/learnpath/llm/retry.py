"""Transport retry policy as data plus pure functions.

Which failures are worth retrying, and how long to wait before the next attempt: 429 and
503 honour the provider's ``Retry-After``; other 5xx, dropped connections and timeouts back
off exponentially (``learnpath.backoff.Backoff``). Everything here is pure so it is tested
without a clock or a network.

A rate limit (429) is not a failure of the call: it is the provider saying "not now". So
429s do not use up ``retries``; a call keeps waiting and retrying for up to
``rate_limit_patience`` seconds from its first 429 (``rate_limit_delay``), and only a provider
that is still refusing after that ends the call with ``model_rate_limited``.
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

from learnpath.backoff import Backoff
from learnpath.settings import Settings


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry a failed model call and how long to wait in between.

    ``retries`` is the number of retries after the first attempt (0 = no retry) for real
    failures (5xx, dropped connections, timeouts). The n-th retry waits
    ``base_delay * multiplier**(n-1)`` seconds, capped at ``max_delay`` (``backoff``); a
    provider's ``Retry-After`` replaces that (capped at ``max_retry_after``).

    429s do not count as retries: a rate-limited call waits and tries again until
    ``rate_limit_patience`` seconds have passed since its first 429.
    """

    retries: int = 3
    base_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    rate_limit_patience: float = 900.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """``LEARNPATH_MODEL_RETRIES`` and ``LEARNPATH_MODEL_RATE_LIMIT_PATIENCE_SECONDS``."""
        return cls(
            retries=settings.model_retries,
            rate_limit_patience=settings.model_rate_limit_patience_seconds,
        )

    @property
    def backoff(self) -> Backoff:
        """The exponential part of the waits, as the project's one backoff policy."""
        return Backoff(base=self.base_delay, cap=self.max_delay, multiplier=self.multiplier)


def next_delay(policy: RetryPolicy, attempt: int, retry_after: float | None = None) -> float | None:
    """Seconds to wait after failed ``attempt`` (1-based), or None when no retry is left."""
    if attempt > policy.retries:
        return None
    return _wait(policy, attempt, retry_after)


def rate_limit_delay(
    policy: RetryPolicy, limited: int, waited: float, retry_after: float | None = None
) -> float | None:
    """Seconds to wait after a call's ``limited``-th 429 in a row (1-based), or None to give up.

    ``waited`` is how long the call has been rate-limited so far (since its first 429); the
    call gives up when the next wait would take it past ``rate_limit_patience``.
    """
    delay = _wait(policy, limited, retry_after)
    if waited + delay > policy.rate_limit_patience:
        return None
    return delay


def _wait(policy: RetryPolicy, attempt: int, retry_after: float | None) -> float:
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, policy.max_retry_after)
    return policy.backoff.delay(attempt - 1)


def is_rate_limit(exc: BaseException) -> bool:
    """True for a provider's "too many requests right now" (429), not an exhausted quota."""
    if isinstance(exc, ModelQuotaExceededError):
        return False
    if isinstance(exc, ModelRateLimitError):
        return True
    return isinstance(exc, ModelHTTPError) and exc.status_code == 429


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
    """The wait the provider asked for, honoured only on 429 and 503 responses.

    ``retry-after-ms`` (milliseconds, sent by some OpenAI-compatible providers next to the
    whole seconds of ``Retry-After``) wins, being the more precise of the two.
    """
    if not isinstance(exc, ModelAPIError):
        return None
    if isinstance(exc, ModelHTTPError):
        if exc.status_code not in (429, 503):
            return None
        headers = {name.lower(): value for name, value in (exc.headers or {}).items()}
        millis = parse_retry_after(headers.get("retry-after-ms"))
        if millis is not None:
            return millis / 1000
        parsed = parse_retry_after(headers.get("retry-after"))
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
