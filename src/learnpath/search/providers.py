"""The search providers behind ``SearchProvider``: SearXNG's JSON API and Tavily.

Both return ``SearchHit`` values with http(s) URLs only. A provider that cannot answer raises
``SearchError`` with a message saying what failed and what to do; callers degrade to
unverified resources instead of failing the item.
"""

from __future__ import annotations

from typing import Any

import httpx

from learnpath.search.hits import SearchHit
from learnpath.search.links import LinkChecker
from learnpath.settings import Settings

HEALTH_QUERY = "learnpath"


class SearchError(Exception):
    """A search that failed: ``message`` says what and what to do (never a key or a body)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _HttpSearch:
    """Shared HTTP plumbing: one client per call, a timeout, clean error messages."""

    name = "search"

    def __init__(self, base_url: str, *, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    async def _call(self, request: httpx.Request) -> Any:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.send(request)
        except httpx.TimeoutException:
            raise SearchError(
                f"{self.name} at {self.base_url} did not answer within {self.timeout:g}s; "
                "check the service or raise LEARNPATH_SEARCH_TIMEOUT_SECONDS"
            ) from None
        except httpx.HTTPError as exc:
            raise SearchError(
                f"could not reach {self.name} at {self.base_url} ({type(exc).__name__}); "
                "check LEARNPATH_SEARCH_URL and that the service runs"
            ) from None
        if response.status_code in (401, 403):
            raise SearchError(
                f"{self.name} rejected the request (HTTP {response.status_code}); "
                "check LEARNPATH_SEARCH_API_KEY"
            )
        if response.status_code >= 400:
            raise SearchError(
                f"{self.name} answered HTTP {response.status_code}; "
                "check the service (for SearXNG, enable the json format in settings.yml)"
            )
        try:
            return response.json()
        except ValueError:
            raise SearchError(f"{self.name} answered with something that is not JSON") from None

    async def search(self, query: str, *, language: str, limit: int) -> list[SearchHit]:
        """Up to ``limit`` results for ``query`` (each provider implements it)."""
        raise NotImplementedError

    async def check(self) -> str:
        """Run one small search; return a short description or raise ``SearchError``."""
        hits = await self.search(HEALTH_QUERY, language="en", limit=1)
        return f"{self.name} at {self.base_url} answered ({len(hits)} result(s))"


def _hits(results: Any, limit: int) -> list[SearchHit]:
    hits: list[SearchHit] = []
    seen: set[str] = set()
    for item in results if isinstance(results, list) else []:
        if not isinstance(item, dict):
            continue
        url = str(item.get("url") or "").strip()
        if not url.startswith(("https://", "http://")) or url in seen or len(url) > 2000:
            continue
        seen.add(url)
        title = str(item.get("title") or url).strip()[:300] or url[:300]
        snippet = str(item.get("content") or "").strip()[:1000]
        hits.append(SearchHit(title=title, url=url, snippet=snippet))
        if len(hits) >= limit:
            break
    return hits


class SearxngSearch(_HttpSearch):
    """A self-hosted SearXNG instance: ``GET {url}/search?q=…&format=json``."""

    name = "SearXNG"

    async def search(self, query: str, *, language: str, limit: int) -> list[SearchHit]:
        request = httpx.Request(
            "GET",
            f"{self.base_url}/search",
            params={"q": query, "format": "json", "language": language},
            headers={"Accept": "application/json"},
        )
        data = await self._call(request)
        return _hits(data.get("results") if isinstance(data, dict) else None, limit)


class TavilySearch(_HttpSearch):
    """Tavily's search API: ``POST {url}/search`` with a bearer API key."""

    name = "Tavily"

    def __init__(self, base_url: str, *, api_key: str, timeout: float) -> None:
        super().__init__(base_url, timeout=timeout)
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"TavilySearch(base_url={self.base_url!r})"

    async def search(self, query: str, *, language: str, limit: int) -> list[SearchHit]:
        request = httpx.Request(
            "POST",
            f"{self.base_url}/search",
            json={"query": query, "max_results": limit, "search_depth": "basic"},
            headers={"Authorization": f"Bearer {self._api_key}"},
        )
        data = await self._call(request)
        return _hits(data.get("results") if isinstance(data, dict) else None, limit)


def search_from(settings: Settings) -> SearxngSearch | TavilySearch | None:
    """The configured provider, or None (offline default: resources stay unverified)."""
    kind = settings.search or ("searxng" if settings.search_url else "none")
    if kind == "searxng":
        if not settings.search_url:
            raise ValueError("LEARNPATH_SEARCH=searxng needs LEARNPATH_SEARCH_URL")
        return SearxngSearch(settings.search_url, timeout=settings.search_timeout_seconds)
    if kind == "tavily":
        if not settings.search_api_key:
            raise ValueError("LEARNPATH_SEARCH=tavily needs LEARNPATH_SEARCH_API_KEY")
        return TavilySearch(
            settings.search_url or settings.tavily_url,
            api_key=settings.search_api_key,
            timeout=settings.search_timeout_seconds,
        )
    return None


def link_checker_from(settings: Settings) -> LinkChecker:
    """The link check configured by ``LEARNPATH_LINK_CHECK_*``."""
    return LinkChecker(
        timeout=settings.link_check_timeout_seconds,
        concurrency=settings.link_check_concurrency,
    )


async def search_health(settings: Settings) -> tuple[str, bool, str, str]:
    """The doctor's ``search`` check: ``(name, ok, detail, hint)``."""
    try:
        provider = search_from(settings)
    except ValueError as exc:
        return (
            "search",
            False,
            str(exc),
            "set the missing search variable, or unset LEARNPATH_SEARCH",
        )
    if provider is None:
        return (
            "search",
            True,
            "not configured: resources are unverified suggestions",
            "set LEARNPATH_SEARCH_URL (SearXNG) or LEARNPATH_SEARCH=tavily for verified links",
        )
    try:
        detail = await provider.check()
    except SearchError as exc:
        return "search", False, exc.message, "resources fall back to unverified links until fixed"
    return "search", True, detail, ""
