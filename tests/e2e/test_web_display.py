"""Dark mode, the Chinese UI and one ``<h1>`` per page, checked in Chromium at 390 and 1280 px."""

from __future__ import annotations

import re
from typing import Any

import pytest

from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import StartServer
from tests.e2e.test_web_browser import browser, database_url  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser

WIDTHS = (390, 1280)


def _luminance(css_colour: str) -> float:
    red, green, blue = (int(v) for v in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def _colours(page: Any) -> tuple[float, float]:
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.body).color")
    return _luminance(background), _luminance(text)


def _roadmap_pages(app_url: str, page: Any) -> dict[str, str]:
    from playwright.sync_api import expect

    page.goto(app_url + "/")
    page.fill("#goal", "Learn relational databases with PostgreSQL in depth")
    page.click("form.roadmap-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    task_url = page.url
    expect(page.locator("#task-status .badge")).to_have_attribute("data-status", "completed")
    roadmap = page.locator("#open-roadmap").get_attribute("href")
    assert roadmap
    return {
        "new": app_url + "/",
        "tasks": app_url + "/tasks",
        "task": task_url,
        "roadmap": app_url + roadmap,
    }


def test_dark_mode_one_h1_and_both_widths(live_server: StartServer, browser: Any) -> None:  # noqa: F811
    app = live_server(auth="none", team=TinyTeam(concepts=2))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    context.set_default_timeout(30_000)
    page = context.new_page()
    pages = _roadmap_pages(app.url, page)
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in pages.items():
            page.goto(url)
            h1s = page.locator("h1").count()
            if h1s != 1:
                problems.append(f"{name} at {width}px has {h1s} h1")
            background, text = _colours(page)
            if not (background < 0.25 and text > 0.6):
                problems.append(f"{name} at {width}px is not dark ({background:.2f}/{text:.2f})")
    page.emulate_media(color_scheme="light")
    page.goto(pages["roadmap"])
    background, text = _colours(page)
    assert background > 0.8 and text < 0.4, "light mode is light"
    context.close()
    assert not problems, problems


def test_chinese_ui_from_accept_language_and_the_switch(
    live_server: StartServer,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    app = live_server(auth="none", team=TinyTeam(concepts=2))
    context = browser.new_context(
        viewport={"width": 390, "height": 900},
        extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(app.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh"
    expect(page.locator("nav")).to_contain_text("新建路线图")
    expect(page.locator("button[type=submit]:has-text('生成路线图')")).to_be_visible()
    page.click("#language-switch button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("nav")).to_contain_text("New roadmap")
    page.goto(app.url + "/tasks")
    expect(page.locator("nav")).to_contain_text("My tasks")  # the choice is remembered
    page.click("#language-switch button[value=zh]")
    expect(page.locator("nav")).to_contain_text("我的任务")
    expect(page).to_have_url(re.compile(r"/tasks$"))
    context.close()
