"""SearXNG and Tavily providers against a loopback fake search server; doctor's search check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from learnpath.search import SearchError, SearxngSearch, TavilySearch, search_from
from learnpath.search.hits import SearchHit
from learnpath.search.providers import search_health
from learnpath.settings import Settings
from tests.fakes.search_server import FakeSearchServer

RESULTS = [
    {"url": "https://example.test/a", "title": "Guide A", "content": "About A"},
    {"url": "ftp://example.test/b", "title": "Not http", "content": ""},
    {"url": "https://example.test/a", "title": "Duplicate", "content": ""},
    {"url": "https://example.test/c", "title": "", "content": "No title"},
    {"title": "No url"},
    "not an object",
]


@pytest.fixture
def fake() -> Iterator[FakeSearchServer]:
    with FakeSearchServer(RESULTS) as server:  # type: ignore[arg-type]
        yield server


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


async def test_searxng_results_become_hits(fake: FakeSearchServer) -> None:
    hits = await SearxngSearch(fake.base_url, timeout=5).search("sql joins", language="en", limit=5)
    assert hits == [
        SearchHit(title="Guide A", url="https://example.test/a", snippet="About A"),
        SearchHit(title="https://example.test/c", url="https://example.test/c", snippet="No title"),
    ]
    assert fake.requests == [("GET", "sql joins")]


async def test_tavily_sends_key_and_limit(fake: FakeSearchServer) -> None:
    tavily = TavilySearch(fake.base_url, api_key="tvly-test", timeout=5)
    hits = await tavily.search("sql joins", language="en", limit=1)
    assert [h.url for h in hits] == ["https://example.test/a"]
    assert fake.bodies[0]["query"] == "sql joins" and fake.bodies[0]["max_results"] == 1
    assert "tvly-test" not in repr(tavily)


async def test_failures_are_search_errors_with_a_hint(fake: FakeSearchServer) -> None:
    with pytest.raises(SearchError, match="LEARNPATH_SEARCH_API_KEY"):
        await TavilySearch(fake.base_url, api_key="wrong", timeout=5).search(
            "x", language="en", limit=3
        )
    fake.status = 500
    with pytest.raises(SearchError, match="HTTP 500"):
        await SearxngSearch(fake.base_url, timeout=5).search("x", language="en", limit=3)
    with pytest.raises(SearchError, match="could not reach"):
        await SearxngSearch("http://127.0.0.1:9", timeout=2).search("x", language="en", limit=3)


def test_settings_choose_the_provider(tmp_path: Path) -> None:
    assert search_from(settings(tmp_path)) is None
    assert isinstance(search_from(settings(tmp_path, search_url="http://s")), SearxngSearch)
    tavily = search_from(settings(tmp_path, search="tavily", search_api_key="k"))
    assert isinstance(tavily, TavilySearch) and tavily.base_url == "https://api.tavily.com"
    with pytest.raises(ValidationError, match="LEARNPATH_SEARCH_API_KEY"):
        settings(tmp_path, search="tavily")
    with pytest.raises(ValidationError, match="LEARNPATH_SEARCH_URL"):
        settings(tmp_path, search="searxng")
    with pytest.raises(ValueError, match="LEARNPATH_SEARCH_URL"):
        search_from(Settings.model_construct(search="searxng"))


async def test_doctor_check_reports_search_health(tmp_path: Path, fake: FakeSearchServer) -> None:
    name, ok, detail, _ = await search_health(settings(tmp_path))
    assert (name, ok) == ("search", True) and "not configured" in detail
    ok, detail = (await search_health(settings(tmp_path, search_url=fake.base_url)))[1:3]
    assert ok and "SearXNG" in detail
    fake.status = 502
    ok, detail = (await search_health(settings(tmp_path, search_url=fake.base_url)))[1:3]
    assert not ok and "HTTP 502" in detail
    assert not (await search_health(Settings.model_construct(search="tavily")))[1]


async def test_doctor_report_has_the_search_row(tmp_path: Path, fake: FakeSearchServer) -> None:
    from learnpath.cli.operations import doctor
    from learnpath.runtime import open_runtime

    configured = settings(tmp_path, search_url=fake.base_url)
    async with open_runtime(configured, background=False):
        pass  # the embedded database migrates itself
    report = await doctor(configured, fix=False)
    row = next(c for c in report.as_dict()["checks"] if c["name"] == "search")
    assert row["ok"] is True and "SearXNG" in row["detail"]
    fake.status = 500
    report = await doctor(configured, fix=False)
    row = next(c for c in report.as_dict()["checks"] if c["name"] == "search")
    assert row["ok"] is False and "HTTP 500" in row["detail"] and not report.healthy
