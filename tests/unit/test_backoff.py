import pytest

from learnpath.backoff import Backoff


def test_doubles_from_the_base_until_the_cap() -> None:
    policy = Backoff(base=0.5, cap=8.0)
    assert [policy.delay(n) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_a_long_outage_stays_at_the_cap() -> None:
    assert Backoff(base=0.1, cap=10.0).delay(10_000) == 10.0


def test_negative_failures_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Backoff().delay(-1)
