"""The bounded link check against a loopback fake web server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from learnpath.search import LinkChecker
from tests.fakes.web_server import FakeWebServer


@pytest.fixture
def web() -> Iterator[FakeWebServer]:
    with FakeWebServer(slow_seconds=1.5) as server:
        yield server


async def test_status_decides_and_slow_links_time_out(web: FakeWebServer) -> None:
    checker = LinkChecker(timeout=0.5, concurrency=4)
    urls = ["/ok/a", "/missing/b", "/slow/c", "/nohead/d", "/moved/e"]
    alive = await checker.check_all([web.url(p) for p in urls])
    assert alive == {
        web.url("/ok/a"): True,
        web.url("/missing/b"): False,
        web.url("/slow/c"): False,
        web.url("/nohead/d"): True,
        web.url("/moved/e"): True,
    }
    assert ("GET", "/nohead/d") in web.log and ("HEAD", "/nohead/d") in web.log
    assert await LinkChecker(timeout=1).alive("http://127.0.0.1:9/closed") is False


async def test_each_url_is_checked_once(web: FakeWebServer) -> None:
    checker = LinkChecker(timeout=2)
    url = web.url("/ok/same")
    results = await asyncio.gather(*(checker.alive(url) for _ in range(10)))
    assert results == [True] * 10
    assert await checker.alive(url) is True
    assert web.log.count(("HEAD", "/ok/same")) == 1


async def test_concurrency_is_capped(web: FakeWebServer) -> None:
    web.slow_seconds = 0.3
    checker = LinkChecker(timeout=2, concurrency=2)
    await checker.check_all([web.url(f"/slow/{i}") for i in range(6)])
    assert web.peak == 2


async def test_the_cache_is_bounded(web: FakeWebServer) -> None:
    checker = LinkChecker(timeout=2, cache_size=2)
    for path in ("/ok/1", "/ok/2", "/ok/3", "/ok/1"):
        assert await checker.alive(web.url(path)) is True
    assert web.log.count(("HEAD", "/ok/1")) == 2  # evicted by /ok/3, checked again
    assert checker.requests == 4


def test_one_checker_serves_several_event_loops(web: FakeWebServer) -> None:
    checker = LinkChecker(timeout=2, concurrency=1)
    assert asyncio.run(checker.check_all([web.url("/ok/x"), web.url("/ok/y")]))
    assert asyncio.run(checker.alive(web.url("/ok/z"))) is True  # a new loop, same checker
    assert asyncio.run(checker.alive(web.url("/ok/x"))) is True  # cached
    assert web.log.count(("HEAD", "/ok/x")) == 1
