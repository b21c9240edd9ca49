"""Grounded resources end to end: fake SearXNG/Tavily search and a fake web server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from learnpath.dispatch.local import LocalExecutor
from learnpath.runtime import make_workflow
from learnpath.settings import Settings
from learnpath.store import Store
from tests.fakes.search_server import FakeSearchServer
from tests.fakes.web_server import FakeWebServer

REQUEST: dict[str, Any] = {"goal": "Become a backend engineer, I know some Python", "weeks": 26}


@pytest.fixture
def web() -> Iterator[FakeWebServer]:
    # Far past the 0.5 s check timeout, so a starved event loop that wakes late still finds
    # no answer waiting (daemon handler threads: nothing waits for them at the end).
    with FakeWebServer(slow_seconds=10) as server:
        yield server


@pytest.fixture
def search(web: FakeWebServer) -> Iterator[FakeSearchServer]:
    results = [
        {"url": web.url("/ok/guide"), "title": "A guide", "content": "Worked examples"},
        {"url": web.url("/missing/page"), "title": "Gone", "content": "Deleted page"},
        {"url": web.url("/slow/page"), "title": "Slow", "content": "Takes too long"},
    ]
    with FakeSearchServer(results) as server:
        yield server


async def resources_of(store: Store, settings: Settings) -> list[dict[str, Any]]:
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request=REQUEST)
    executor = LocalExecutor(store, make_workflow(settings, store).run, poll_seconds=0.1)
    await executor.run_until_idle(timeout=120)
    done = await store.get_task(task.id, user.id)
    assert done.status == "completed", done.error
    assert done.roadmap_id is not None
    items = [i for i in await store.latest_content(done.roadmap_id) if i.kind == "resources"]
    assert items and all(i.status == "completed" for i in items)
    return [r for i in items for r in (i.body or {})["resources"]]


@pytest.mark.parametrize("provider", ["searxng", "tavily"])
async def test_only_found_and_live_links_are_verified(
    store: Store,
    make_settings: Any,
    search: FakeSearchServer,
    web: FakeWebServer,
    provider: str,
) -> None:
    extra = {"search_api_key": "tvly-test"} if provider == "tavily" else {}
    settings = make_settings(
        search=provider, search_url=search.base_url, link_check_timeout_seconds=0.5, **extra
    )
    found = await resources_of(store, settings)
    by_url = {r["url"]: r for r in found if r["url"]}
    assert by_url[web.url("/ok/guide")]["verified"] is True
    assert by_url[web.url("/missing/page")]["verified"] is False
    assert "did not answer" in by_url[web.url("/missing/page")]["description"]
    assert by_url[web.url("/slow/page")]["verified"] is False
    assert all(not r["verified"] for r in found if r["url"] is None)
    assert search.requests and all(
        method == ("GET" if provider == "searxng" else "POST") for method, _ in search.requests
    )
    # One check per URL for the whole roadmap, not one per concept.
    assert web.log.count(("HEAD", "/ok/guide")) == 1


async def test_a_failing_search_degrades_to_unverified_resources(
    store: Store, make_settings: Any, search: FakeSearchServer, web: FakeWebServer
) -> None:
    search.status = 500
    found = await resources_of(store, make_settings(search_url=search.base_url))
    assert found and not any(r["verified"] for r in found)
    assert not web.log  # nothing to check: no URL came from search
