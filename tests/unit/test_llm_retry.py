"""The transport retry policy: pure functions, no clock, no network."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    ModelServerError,
    ModelUnavailableError,
)

from learnpath.backoff import Backoff
from learnpath.llm.retry import (
    RetryPolicy,
    is_rate_limit,
    is_retryable,
    next_delay,
    parse_retry_after,
    rate_limit_delay,
    retry_after_of,
)
from learnpath.settings import Settings

CATEGORIES: dict[int, Any] = {
    429: ModelRateLimitError,
    500: ModelServerError,
    502: ModelServerError,
    503: ModelUnavailableError,
    400: ModelRequestRejectedError,
    401: ModelAuthenticationError,
    404: ModelNotFoundError,
}


def http_error(status: int, headers: dict[str, str] | None = None) -> ModelHTTPError:
    """The error pydantic-ai's models raise for an HTTP status (a category and ModelHTTPError)."""
    return ModelHTTPError.for_category(
        CATEGORIES[status], status_code=status, model_name="m", headers=headers
    )


def test_backoff_is_exponential_and_capped() -> None:
    policy = RetryPolicy(retries=6, base_delay=0.5, multiplier=2.0, max_delay=4.0)
    delays = [next_delay(policy, attempt) for attempt in range(1, 7)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_no_delay_once_retries_are_used_up() -> None:
    policy = RetryPolicy(retries=2)
    assert next_delay(policy, 2) is not None
    assert next_delay(policy, 3) is None
    assert next_delay(RetryPolicy(retries=0), 1) is None


def test_retry_after_replaces_backoff_and_is_capped() -> None:
    policy = RetryPolicy(retries=3, base_delay=0.5, max_retry_after=10.0)
    assert next_delay(policy, 1, retry_after=7.0) == 7.0
    assert next_delay(policy, 1, retry_after=0.0) == 0.0
    assert next_delay(policy, 1, retry_after=3600.0) == 10.0
    assert next_delay(policy, 4, retry_after=1.0) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0.25", 0.25),
        ("0", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-1", None),
    ],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    now = dt.datetime(2026, 1, 5, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Mon, 05 Jan 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Mon, 05 Jan 2026 11:00:00 GMT", now) == 0.0


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(429, True), (500, True), (502, True), (503, True), (400, False), (401, False), (404, False)],
)
def test_which_statuses_are_retried(status: int, retryable: bool) -> None:
    assert is_retryable(http_error(status)) is retryable


def test_timeouts_and_category_errors_are_retried_but_plain_errors_are_not() -> None:
    assert is_retryable(TimeoutError())
    assert is_retryable(ModelRateLimitError("m", "slow down"))
    assert is_retryable(ModelServerError("m", "boom"))
    assert not is_retryable(ValueError("bug"))
    assert not is_retryable(ModelAPIError("m", "unknown"))


def test_retry_after_is_read_from_429_and_503_only() -> None:
    assert retry_after_of(http_error(429, {"Retry-After": "2"})) == 2.0
    assert retry_after_of(http_error(503, {"Retry-After": "0.5"})) == 0.5
    assert retry_after_of(http_error(500, {"Retry-After": "9"})) is None
    assert retry_after_of(http_error(429)) is None
    assert retry_after_of(ValueError()) is None


def test_plain_http_errors_are_classified_by_status() -> None:
    assert is_retryable(ModelHTTPError(504, "m"))
    assert is_retryable(ModelHTTPError(429, "m"))
    assert not is_retryable(ModelHTTPError(422, "m"))


def test_the_exponential_waits_are_the_projects_backoff_policy() -> None:
    policy = RetryPolicy(retries=8, base_delay=0.25, multiplier=3.0, max_delay=5.0)
    assert policy.backoff == Backoff(base=0.25, cap=5.0, multiplier=3.0)
    assert [next_delay(policy, n) for n in range(1, 6)] == [
        policy.backoff.delay(n - 1) for n in range(1, 6)
    ]


def test_rate_limit_waits_do_not_count_retries_but_end_at_the_patience() -> None:
    policy = RetryPolicy(retries=0, rate_limit_patience=60.0)
    assert next_delay(policy, 1) is None  # no retries left for a real failure...
    assert rate_limit_delay(policy, 1, waited=0.0) == 0.5  # ...but a 429 still waits
    assert rate_limit_delay(policy, 40, waited=20.0) == 30.0  # backoff capped at max_delay
    assert rate_limit_delay(policy, 3, waited=10.0, retry_after=12.0) == 12.0
    assert rate_limit_delay(policy, 3, waited=50.0, retry_after=12.0) is None  # 62 s > 60 s
    assert rate_limit_delay(policy, 2, waited=59.0, retry_after=1.0) == 1.0  # exactly 60 s


def test_only_a_429_is_a_rate_limit_not_an_exhausted_quota() -> None:
    assert is_rate_limit(http_error(429))
    assert is_rate_limit(ModelHTTPError(429, "m"))
    assert is_rate_limit(ModelRateLimitError("m", "slow down"))
    assert not is_rate_limit(ModelQuotaExceededError("m", "no credits"))
    assert not is_rate_limit(http_error(503))
    assert not is_rate_limit(TimeoutError())


def test_retry_after_ms_is_preferred_to_whole_seconds() -> None:
    both = http_error(429, {"Retry-After": "1", "retry-after-ms": "250"})
    assert retry_after_of(both) == 0.25
    assert retry_after_of(http_error(429, {"retry-after-ms": "bad", "Retry-After": "3"})) == 3.0


def test_the_policy_comes_from_settings() -> None:
    settings = Settings(_env_file=None, model_retries=5, model_rate_limit_patience_seconds=42)
    assert RetryPolicy.from_settings(settings) == RetryPolicy(retries=5, rate_limit_patience=42)
