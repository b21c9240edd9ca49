"""The learner's workspace in Chromium: downloads, print, schedule, the edit form and its
history, rename, trash and restore, share links opened without signing in, forks, and the
map at 390 px."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import LiveApp, StartServer
from tests.e2e.test_http_workspace import anki_notes
from tests.e2e.test_web_browser import WAIT_MS, browser, database_url  # noqa: F401
from tests.e2e.test_web_pages import create_users

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def _sign_in(page: Any, app: LiveApp, token: str) -> None:
    page.goto(app.url + "/login")
    page.fill("#token", token)
    page.click("button:has-text('Sign in')")


def _new_roadmap(page: Any, app: LiveApp, goal: str = "Learn SQL") -> str:
    from playwright.sync_api import expect

    page.goto(app.url + "/")
    page.fill("#goal", goal)
    page.fill("#hours_per_week", "2")
    page.fill("#weeks", "4")
    page.click("button[type=submit]:has-text('Generate roadmap')")
    expect(page.locator("#task-status .badge")).to_have_attribute("data-status", "completed")
    href = page.locator("#open-roadmap").get_attribute("href")
    assert href
    page.goto(app.url + href)
    return str(href.rsplit("/", 1)[-1])


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_download_menu_print_and_schedule(live_server: StartServer, context: Any) -> None:
    from playwright.sync_api import expect

    app = live_server(auth="none", team=TinyTeam(concepts=3))
    page = context.new_page()
    rid = _new_roadmap(page, app)

    # The schedule: every concept in a week, the pace, each concept's week on its card.
    expect(page.locator("#schedule-table tbody tr")).to_have_count(2)
    expect(page.locator("#schedule-table tr[data-week='1']")).to_contain_text("Concept 2")
    expect(page.locator("#pace")).to_have_attribute("data-pace", "not_started")
    expect(page.locator("[data-concept-plan='c3'] .concept-week")).to_contain_text("Week 2")
    page.fill("#plan-start", "2020-01-06")
    page.click(".start-form button")
    expect(page).to_have_url(re.compile(r"start=2020-01-06"))
    expect(page.locator("#pace")).to_have_attribute("data-pace", "behind")
    expect(page.locator("#overdue")).to_contain_text("3")

    # The download menu: every format arrives as a file with its name.
    page.click("#download-menu summary")
    expected = {
        "#download-md": ".md",
        "#download-json": ".json",
        "#download-apkg": ".apkg",
        "#download-svg": ".svg",
    }
    files = {}
    for selector, suffix in expected.items():
        if not page.locator(selector).is_visible():
            page.click("#download-menu summary")
        with page.expect_download() as info:
            page.click(selector)
        download = info.value
        assert download.suggested_filename.endswith(suffix), download.suggested_filename
        files[suffix] = Path(download.path()).read_bytes()
    assert b"## Schedule" in files[".md"] and b"#### Concept 3" in files[".md"]
    assert json.loads(files[".json"])["roadmap_id"] == rid
    assert len(anki_notes(files[".apkg"])) == 3
    assert files[".svg"].startswith(b"<svg")

    # Printing: no controls, every concept open, a PDF of several pages.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("#workspace-tools")).to_be_hidden()
    expect(page.locator("#concept-c3 .tutorial")).to_be_visible()
    expect(page.locator("#schedule-table")).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 2
    page.emulate_media(media="screen")
    expect(page.locator(".site-header")).to_be_visible()


def test_edit_form_history_rename_and_trash(live_server: StartServer, context: Any) -> None:
    from playwright.sync_api import expect

    app = live_server(auth="none", team=TinyTeam(concepts=2, delay=0.05))
    page = context.new_page()
    rid = _new_roadmap(page, app)
    page.locator("#concept-c1 button:has-text('Mark as done')").click()
    expect(page.locator("#done-count")).to_have_text("1")

    page.click("#edit-link")
    expect(page).to_have_url(re.compile(rf"/roadmaps/{rid}/edit$"))
    # A cycle is refused with the reason, and nothing changes.
    page.click("#op-update summary")
    page.select_option("#update-target", "c1")
    page.check("#update-set-prerequisites")
    page.select_option("#update-prerequisites", ["c1"])
    page.click("#op-update button[type=submit]")
    expect(page.locator("#edit-error")).to_contain_text("requires itself")
    expect(page.locator("#history-list > li")).to_have_count(0)

    # A new concept: its content is written as a task the page follows live.
    page.select_option("#add-concept-module", "m1")
    page.fill("#add-concept-name", "Window functions")
    page.select_option("#add-concept-prerequisites", ["c2"])
    page.click("#op-add-concept button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/tasks/{rid}$"))
    expect(page.locator("#task-status .badge")).to_have_attribute("data-status", "completed")
    expect(page.locator("#progress-count")).to_have_text("3/3")
    page.goto(f"{app.url}/roadmaps/{rid}?concept=c3")
    expect(page.locator("#concept-c3 .tutorial .markdown")).to_be_visible()
    expect(page.locator("[data-concept-plan='c3'] .prerequisites")).to_contain_text("Concept 2")
    expect(page.locator("#done-count")).to_have_text("1")  # progress on c1 kept

    page.goto(f"{app.url}/roadmaps/{rid}/edit")
    page.click("#op-rename summary")
    page.select_option("#rename-target", "c2")
    page.fill("#rename-name", "Joins")
    page.click("#op-rename button[type=submit]")
    expect(page.locator("#history-list > li").first).to_contain_text("Renamed c2 to “Joins”")
    expect(page.locator("#history-list > li")).to_have_count(2)
    expect(page.locator("#history-list > li").nth(1)).to_contain_text("Window functions")
    expect(page.locator("#history-list > li").first).to_contain_text("you")

    # Rename the roadmap, then trash and restore it.
    page.goto(f"{app.url}/roadmaps/{rid}")
    page.click("#workspace-tools .rename summary")
    page.fill("#rename-title", "My SQL plan")
    page.click("#rename-form button")
    expect(page.locator("h1")).to_have_text("My SQL plan")
    page.click("#trash-form button")
    expect(page).to_have_url(re.compile(r"/roadmaps$"))
    expect(page.locator("#roadmap-table")).to_have_count(0)
    page.goto(f"{app.url}/roadmaps/{rid}")
    expect(page.locator("#in-trash")).to_contain_text("in the trash")
    page.goto(app.url + "/tasks")
    expect(page.locator(f"tr[data-task-id='{rid}']")).to_have_count(0)
    page.goto(app.url + "/roadmaps")
    page.click("#trash-link")
    expect(page.locator("#trash-list")).to_contain_text("My SQL plan")
    page.click("#trash-list button:has-text('Restore')")
    expect(page).to_have_url(re.compile(rf"/roadmaps/{rid}$"))
    expect(page.locator("h1")).to_have_text("My SQL plan")
    page.goto(app.url + "/roadmaps")
    row = page.locator(f"tr[data-roadmap-id='{rid}']")
    expect(row.locator(".learner-done")).to_contain_text("1/3")
    expect(row.locator("[data-pace]")).to_have_attribute("data-pace", "ahead")


def test_share_link_without_signing_in_and_fork(
    live_server: StartServer,
    make_settings: Any,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    tokens = create_users(make_settings(), "alice", "bob")
    app = live_server(auth="token", team=TinyTeam(concepts=2))
    owner = browser.new_context(viewport={"width": 1280, "height": 900})
    owner.set_default_timeout(WAIT_MS)
    page = owner.new_page()
    _sign_in(page, app, tokens["alice"])
    rid = _new_roadmap(page, app)
    page.locator("#concept-c1 button:has-text('Mark as done')").click()
    page.click("#share-form button")
    url = page.locator("#share-url").input_value()
    assert url.startswith(app.url + "/shared/lps_")

    # A fresh browser, never signed in, on a phone.
    stranger = browser.new_context(viewport={"width": 390, "height": 844})
    stranger.set_default_timeout(WAIT_MS)
    visitor = stranger.new_page()
    response = visitor.goto(url)
    assert response is not None and response.status == 200
    assert response.headers.get("referrer-policy") == "no-referrer"
    expect(visitor.locator("h1")).to_have_text("Roadmap: Learn SQL")
    expect(visitor.locator("#concept-c1")).to_be_attached()
    expect(visitor.locator(".is-done, .lp-map-done, #done-count")).to_have_count(0)
    expect(visitor.locator("form[method=post]:not(#language-switch)")).to_have_count(0)
    expect(visitor.locator("#map svg")).to_be_visible()
    assert _fits(visitor)
    visitor.screenshot(path=str(SHOTS / "shared-390.png"), full_page=True)
    # The link opens nothing else: the owner's pages still ask for a sign-in.
    visitor.goto(f"{app.url}/roadmaps/{rid}")
    expect(visitor).to_have_url(re.compile(r"/login\?next="))
    visitor.goto(url)
    visitor.click("#sign-in-to-fork")
    visitor.fill("#token", tokens["bob"])
    visitor.click("button:has-text('Sign in')")
    expect(visitor).to_have_url(url)
    visitor.click("#fork-form button")
    expect(visitor).to_have_url(re.compile(r"/roadmaps/[0-9a-f-]+$"))
    assert rid not in visitor.url
    expect(visitor.locator("h1")).to_have_text("Roadmap: Learn SQL")
    expect(visitor.locator("#done-count")).to_have_text("0")
    expect(visitor.locator("#concept-c1 .tutorial .markdown")).to_be_visible()
    visitor.goto(app.url + "/roadmaps")
    expect(visitor.locator("#roadmap-table tbody tr")).to_have_count(1)

    # Stopping the share ends the link.
    page.goto(f"{app.url}/roadmaps/{rid}")
    page.click("#unshare-form button")
    gone = stranger.new_page().goto(url)
    assert gone is not None and gone.status == 404
    owner.close()
    stranger.close()


def test_map_and_workspace_pages_fit_a_phone(live_server: StartServer, browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    app = live_server(auth="none", team=TinyTeam(concepts=4))
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    rid = _new_roadmap(page, app, goal="Relational databases with PostgreSQL in depth for analysts")
    page.goto(f"{app.url}/roadmaps/{rid}/edit")
    page.click("#op-update summary")
    page.select_option("#update-target", "c4")
    page.check("#update-set-prerequisites")
    page.select_option("#update-prerequisites", ["c1", "c2"])
    page.click("#op-update button[type=submit]")
    expect(page.locator("#history-list > li")).to_have_count(1)
    page.goto(f"{app.url}/roadmaps/{rid}")
    page.locator("#concept-c1 button:has-text('Mark as done')").click()

    too_wide = []
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in {
            "roadmap": f"/roadmaps/{rid}",
            "edit": f"/roadmaps/{rid}/edit",
            "mine": "/roadmaps",
            "trash": "/trash",
        }.items():
            page.goto(app.url + path)
            if name == "roadmap":
                page.click("#map summary")
                expect(page.locator("#map svg")).to_be_visible()
                box = page.locator("#map svg").bounding_box()
                assert box is not None and box["width"] <= width
                # Readable: the map is drawn at (nearly) its own size, not shrunk.
                assert box["width"] >= min(330, width - 60)
            page.screenshot(path=str(SHOTS / f"workspace-{name}-{width}.png"), full_page=True)
            if not _fits(page):
                too_wide.append(f"{name} at {width}px")
    assert not too_wide, f"pages scroll sideways: {too_wide}"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{app.url}/roadmaps/{rid}")
    page.click("#map summary")
    svg = page.locator("#map svg")
    expect(svg.locator(".lp-map-done")).to_have_count(1)
    expect(svg.locator(".lp-map-arrow")).to_have_count(2)
    svg.locator("a").nth(3).click()
    expect(page).to_have_url(re.compile(r"concept=c4#concept-c4$"))
    expect(page.locator("#concept-c4")).to_have_attribute("open", "")
    context.close()


def test_workspace_pages_in_chinese_and_dark(live_server: StartServer, browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    app = live_server(auth="none", team=TinyTeam(concepts=2))
    english = browser.new_context(viewport={"width": 1280, "height": 900})
    english.set_default_timeout(WAIT_MS)
    rid = _new_roadmap(english.new_page(), app)
    english.close()
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        color_scheme="dark",
        extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{app.url}/roadmaps/{rid}")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    expect(page.locator("#schedule h2")).to_have_text("学习计划")
    expect(page.locator("#download-menu summary")).to_have_text("下载")
    expect(page.locator("h1")).to_have_count(1)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 20, 27)"  # the dark palette
    page.click("#map summary")
    node = page.locator("#map .lp-map-node").first
    fill = node.evaluate("el => getComputedStyle(el).fill")
    assert fill != "rgb(255, 255, 255)"  # map boxes follow the dark palette
    for path in ("/roadmaps", f"/roadmaps/{rid}/edit", "/trash"):
        page.goto(app.url + path)
        expect(page.locator("h1")).to_have_count(1)
        assert "Change the roadmap" not in page.content()
        assert _fits(page)
    page.goto(app.url + "/roadmaps")
    expect(page.locator("h1")).to_have_text("我的路线图")
    context.close()
