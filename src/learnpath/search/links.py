"""A bounded link check: a timeout per URL, a concurrency cap, and one check per URL.

``alive(url)`` is True when the URL answers 2xx or 3xx to HEAD (or, when HEAD is refused,
to GET). Results, good or bad, are cached for the checker's lifetime, and concurrent checks of
the same URL share one request.
"""

from __future__ import annotations

import asyncio
import weakref

import httpx

HEAD_REFUSED = {403, 405, 501}


class LinkChecker:
    """Checks whether URLs answer, at most ``concurrency`` at once, each within ``timeout``."""

    def __init__(
        self, *, timeout: float = 5.0, concurrency: int = 8, cache_size: int = 10_000
    ) -> None:
        self.timeout = timeout
        self.concurrency = concurrency
        self.cache_size = cache_size
        # A semaphore and a future belong to one event loop: keep them per running loop.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._pending: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Future[bool]]
        ] = weakref.WeakKeyDictionary()
        self._results: dict[str, bool] = {}
        self.requests = 0

    async def alive(self, url: str) -> bool:
        """True when ``url`` answered 2xx/3xx; False on 4xx/5xx, a timeout or no connection."""
        if url in self._results:
            return self._results[url]
        loop = asyncio.get_running_loop()
        in_flight = self._pending.setdefault(loop, {})
        pending = in_flight.get(url)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bool] = loop.create_future()
        in_flight[url] = future
        try:
            result = await self._check(url)
        except BaseException:
            future.cancel()
            raise
        else:
            future.set_result(result)
            self._remember(url, result)
        finally:
            del in_flight[url]
        return result

    def _remember(self, url: str, result: bool) -> None:
        if len(self._results) >= self.cache_size:
            self._results.pop(next(iter(self._results)))  # the oldest entry
        self._results[url] = result

    async def check_all(self, urls: list[str]) -> dict[str, bool]:
        """``alive`` for each URL, checked concurrently within the cap."""
        unique = list(dict.fromkeys(urls))
        results = await asyncio.gather(*(self.alive(url) for url in unique))
        return dict(zip(unique, results, strict=True))

    async def _check(self, url: str) -> bool:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.concurrency)
        async with slots:
            try:
                async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as c:
                    self.requests += 1
                    response = await c.head(url)
                    if response.status_code in HEAD_REFUSED:
                        self.requests += 1
                        async with c.stream("GET", url) as streamed:
                            status = streamed.status_code
                    else:
                        status = response.status_code
            except (httpx.HTTPError, ValueError):
                return False
        return 200 <= status < 400
