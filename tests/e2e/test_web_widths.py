"""Every page fits a phone (390 px) and a desktop (1280 px) without sideways scrolling."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import StartServer
from tests.e2e.test_web_browser import browser, database_url  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
WIDTHS = (390, 1280)


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_pages_do_not_scroll_sideways(live_server: StartServer, browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    app = live_server(auth="none", team=TinyTeam(concepts=2))
    login = live_server(auth="token")
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(app.url + "/")
    page.fill("#goal", "Learn relational databases with PostgreSQL and SQLAlchemy Core in depth")
    page.click("button[type=submit]:has-text('Generate roadmap')")
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    task_url = page.url
    expect(page.locator("#task-status .badge")).to_have_attribute("data-status", "completed")
    roadmap_url = page.locator("#open-roadmap").get_attribute("href")
    assert roadmap_url
    pages = {
        "new": app.url + "/",
        "tasks": app.url + "/tasks",
        "task": task_url,
        "roadmap": app.url + roadmap_url,
        "login": login.url + "/login",
    }
    too_wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in pages.items():
            page.goto(url)
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            if not _fits(page):
                too_wide.append(f"{name} at {width}px")
    context.close()
    assert not too_wide, f"pages scroll sideways: {too_wide}"
