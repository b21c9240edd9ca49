"""The adaptive window per provider: shrinks on 429, recovers on answers, honours Retry-After."""

from __future__ import annotations

import asyncio

import pytest

from learnpath.llm.limits import ModelLimiter, ProviderLimiter


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def settle() -> None:
    """Let every task that can run, run."""
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_429_takes_a_quarter_off_the_window_and_it_never_goes_below_one() -> None:
    clock = Clock()
    window = ProviderLimiter(16, clock=clock)
    sizes = []
    for _ in range(12):
        clock.now += 1
        window.rate_limited(sent_at=clock.now)
        sizes.append(window.allowed)
    assert sizes == [12, 9, 6, 5, 3, 2, 2, 1, 1, 1, 1, 1]
    assert window.window == 1.0


def test_429s_of_calls_sent_before_the_last_decrease_count_once() -> None:
    clock = Clock()
    window = ProviderLimiter(16, clock=clock)
    sent = clock.now
    clock.now += 0.5
    for _ in range(10):  # ten calls in flight together, all refused
        window.rate_limited(sent_at=sent)
    assert window.allowed == 12 and window.decreases == 1
    clock.now += 0.5
    window.rate_limited(sent_at=clock.now)  # a call sent after the decrease: new news
    assert window.allowed == 9 and window.decreases == 2


def test_calls_sent_during_the_providers_pause_do_not_shrink_the_window_again() -> None:
    clock = Clock()
    window = ProviderLimiter(16, clock=clock)
    window.rate_limited(sent_at=clock.now, retry_after=2.0)
    assert window.allowed == 12
    clock.now += 1.0
    window.rate_limited(sent_at=clock.now - 0.1, retry_after=1.5)  # sent during the pause
    assert window.allowed == 12 and window.paused_until == clock.now + 1.5
    clock.now += 2.0
    window.rate_limited(sent_at=clock.now - 0.1)  # sent after the pauses ended
    assert window.allowed == 9


def test_answers_widen_the_window_back_up_to_the_limit_and_no_further() -> None:
    clock = Clock()
    window = ProviderLimiter(4, clock=clock)
    window.rate_limited(sent_at=clock.now)
    window.rate_limited(sent_at=clock.now + 1)
    assert window.window == 2.25
    for _ in range(3):  # 2.25 -> 2.69 -> 3.07: about one more per window of answers
        window.succeeded()
    assert window.allowed == 3
    for _ in range(100):
        window.succeeded()
    assert window.window == 4.0


async def test_the_window_caps_calls_in_flight_and_hands_places_over_in_order() -> None:
    clock = Clock()
    window = ProviderLimiter(3, clock=clock)
    window.rate_limited(sent_at=clock.now)  # window 2.25: two in flight
    release = asyncio.Event()
    started: list[int] = []

    async def call(n: int) -> None:
        async with window.slot():
            started.append(n)
            await release.wait()

    tasks = [asyncio.create_task(call(n)) for n in range(5)]
    await settle()
    assert started == [0, 1]
    release.set()
    await asyncio.gather(*tasks)
    assert started == [0, 1, 2, 3, 4]


async def test_retry_after_pauses_new_calls_but_lets_a_resumed_call_go_first() -> None:
    clock = Clock()
    window = ProviderLimiter(4, clock=clock)
    window.rate_limited(sent_at=clock.now, retry_after=30.0)
    order: list[str] = []
    hold = asyncio.Event()

    async def call(name: str, *, resume: bool = False) -> None:
        async with window.slot(resume=resume):
            order.append(name)
            await hold.wait()

    fresh = asyncio.create_task(call("new"))
    await settle()
    assert order == []  # paused: the provider asked for 30 s
    resumed = asyncio.create_task(call("resumed", resume=True))
    await settle()
    assert order == ["resumed"]  # it already waited its own Retry-After
    clock.now += 31  # the pause is over; the next release lets the waiting call go
    hold.set()
    await asyncio.gather(fresh, resumed)
    assert order == ["resumed", "new"]


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    window = ProviderLimiter(1)
    hold = asyncio.Event()

    async def call() -> None:
        async with window.slot():
            await hold.wait()

    first = asyncio.create_task(call())
    waiting = asyncio.create_task(call())
    await settle()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    hold.set()
    await first
    async with window.slot():  # the place is free again
        pass


async def test_each_provider_has_its_own_window_inside_the_process_cap() -> None:
    limiter = ModelLimiter(4)
    busy = limiter.provider("busy")
    busy.rate_limited(sent_at=busy.now())
    busy.rate_limited(sent_at=busy.now() + 1)
    assert busy.allowed == 2
    assert limiter.provider("other").allowed == 4
    hold = asyncio.Event()

    async def call(provider: str) -> None:
        async with limiter.slot(provider):
            await hold.wait()

    tasks = [asyncio.create_task(call(p)) for p in ["busy"] * 3 + ["other"] * 3]
    await settle()
    assert limiter.in_flight == 4  # busy: 2 of its window; other: 2 until the cap of 4
    hold.set()
    await asyncio.gather(*tasks)
    assert limiter.peak == 4


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ProviderLimiter(0)
