"""The tutor, notes, reviews and calendar pages in a real browser (Chromium).

The tutor's model is a real OpenAI-compatible HTTP server on loopback that streams its answer
a few words at a time, so the page can be seen filling in before the answer ends.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from learnpath.testing import FakeLLMServer
from learnpath.testing.teams import StudyTeam
from tests.e2e.conftest import API, StartServer
from tests.e2e.test_web_browser import browser, database_url, page  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture
def fake_model() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def finished_roadmap(url: str, *, done: str | None = None) -> str:
    with httpx.Client(base_url=url, timeout=30) as client:
        task_id = client.post(f"{API}/roadmaps/generate", json={"goal": "Learn SQL"}).json()[
            "task_id"
        ]
        deadline = time.monotonic() + 30
        while (task := client.get(f"{API}/tasks/{task_id}").json())["status"] != "completed":
            assert time.monotonic() < deadline, task
            time.sleep(0.05)
        if done:
            client.put(f"{API}/roadmaps/{task_id}/concepts/{done}/progress", json={"done": True})
        return str(task["roadmap_id"])


def test_the_tutor_streams_its_answer_and_the_conversation_reopens(
    live_server: StartServer,
    page: Any,  # noqa: F811
    fake_model: FakeLLMServer,
) -> None:
    from playwright.sync_api import expect

    fake_model.chunk_delay = 0.06
    app = live_server(auth="none", team=StudyTeam(concepts=2), model=fake_model.model_setting)
    roadmap = finished_roadmap(app.url)
    page.goto(f"{app.url}/roadmaps/{roadmap}")
    page.locator("#concept-c1 .learn-link").click()
    expect(page).to_have_url(re.compile(rf"/roadmaps/{roadmap}/concepts/c1/learn$"))
    expect(page.locator("h1")).to_have_text("Concept 1")
    expect(page.locator("#no-messages")).to_be_visible()

    page.fill("#question", "Why does Concept 1 matter?")
    page.click("#ask-button")
    # Tokens appear while the answer is still being written (this element exists only then).
    streaming = page.locator("#conversation li.message-streaming .answer-text")
    expect(streaming).to_contain_text("You asked")
    partial = streaming.inner_text()
    expect(page.locator("#conversation li.message-streaming")).to_have_count(1)
    done = page.locator("#conversation li.message-answer.message-completed")
    expect(done).to_have_count(1)
    full = done.locator(".answer-text").inner_text()
    assert len(full) > len(partial) > 0
    # The answer cites its sources as links: [3] to the tutorial section, a resource's URL.
    expect(done.locator(".answer-text a[href*='#ref-']").first).to_be_visible()
    expect(done.locator(".references")).to_contain_text("Why it matters")
    expect(done.locator(".references a[href='https://example.org/c1']")).to_be_visible()
    expect(page.locator("#conversation .message-question")).to_contain_text("Why does Concept 1")

    # Reloading while an answer is being written: the page picks it up and it completes.
    page.fill("#question", "Show me a worked example")
    page.click("#ask-button")
    expect(page.locator("#conversation li.message-streaming .answer-text")).to_contain_text(
        "You asked"
    )
    page.reload()
    expect(page.locator("#conversation li.message-answer")).to_have_count(2)
    expect(page.locator("#conversation li.message-answer.message-completed")).to_have_count(2)
    expect(page.locator("#conversation li.message-answer").nth(1)).to_contain_text("Worked example")
    assert fake_model.requests_by_agent == {"tutor": 2}

    # Keep an answer as a note; it survives a reload with its references.
    page.locator("#conversation li.message-completed .save-note button").first.click()
    expect(page.locator("#notes .note")).to_have_count(1)
    expect(page.locator("#notes .note")).to_contain_text("References:")
    page.fill("#note-markdown", "**Remember**: practise daily")
    page.click("#note-form button")
    expect(page.locator("#notes .note")).to_have_count(2)
    expect(page.locator("#notes .note strong").last).to_have_text("Remember")
    page.goto(f"{app.url}/roadmaps/{roadmap}")
    expect(page.locator("#concept-c1 .learn-link")).to_contain_text("2 notes")


def test_answering_a_review_card_moves_its_next_due_date(
    live_server: StartServer,
    page: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    app = live_server(auth="none", team=StudyTeam(concepts=2))
    roadmap = finished_roadmap(app.url, done="c2")
    page.goto(f"{app.url}/roadmaps/{roadmap}")
    expect(page.locator("#reviews-due")).to_contain_text("3 reviews due today")
    page.locator("#reviews-due a").click()
    expect(page.locator("h1")).to_have_text("Reviews due today")
    expect(page.locator("#due-count")).to_have_text("3")
    first = page.locator(".review-card").first
    expect(first.locator(".review-question")).to_have_text("What is Concept 2?")
    was_due = first.locator(".card-due").inner_text()
    today = dt.date.fromisoformat(was_due)

    first.locator("input[name=option][value='0']").check()
    first.locator("button.check").click()
    expect(page.locator("#result")).to_contain_text("Right.")
    next_due = dt.date.fromisoformat(page.locator("#next-due").inner_text())
    assert next_due == today + dt.timedelta(days=2)
    expect(page.locator("#due-count")).to_have_text("2")

    page.locator(".review-card").first.locator("button.rating-again").click()
    again = dt.date.fromisoformat(page.locator("#next-due").inner_text())
    assert again == today + dt.timedelta(days=1)
    expect(page.locator("#result")).to_contain_text("Rated: Again")
    expect(page.locator("#due-count")).to_have_text("1")


def test_learning_pages_fit_phones_and_desktops_in_both_languages(
    live_server: StartServer,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    app = live_server(auth="none", team=StudyTeam(concepts=2))
    roadmap = finished_roadmap(app.url, done="c1")
    with httpx.Client(base_url=app.url, timeout=30) as client:
        client.post(
            f"{API}/roadmaps/{roadmap}/concepts/c1/chat?stream=false",
            json={"question": "A long question about " + "joins " * 40},
        )
        client.post(
            f"{API}/roadmaps/{roadmap}/concepts/c1/notes",
            json={"markdown": "A note with a long link https://example.org/" + "x" * 120},
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    too_wide = []
    for language in ("en", "zh"):
        context = browser.new_context(
            locale=language, extra_http_headers={"Accept-Language": language}
        )
        context.set_default_timeout(30_000)
        tab = context.new_page()
        for width in (390, 1280):
            tab.set_viewport_size({"width": width, "height": 900})
            for name, path in (
                ("learn", f"/roadmaps/{roadmap}/concepts/c1/learn"),
                ("reviews", "/reviews"),
                ("calendar", "/calendar"),
                ("roadmap-learning", f"/roadmaps/{roadmap}"),
            ):
                tab.goto(app.url + path)
                expect(tab.locator("h1")).to_have_count(1)
                tab.screenshot(path=str(SHOTS / f"{name}-{language}-{width}.png"), full_page=True)
                if not tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
                    too_wide.append(f"{name} ({language}) at {width}px")
        tab.goto(f"{app.url}/roadmaps/{roadmap}/concepts/c1/learn")
        heading = {"en": "Ask the tutor", "zh": "向导师提问"}[language]
        expect(tab.locator("#tutor h2")).to_have_text(heading)
        tab.goto(app.url + "/reviews")
        expect(tab.locator(".rating-again").first).to_have_text(
            {"en": "Again", "zh": "忘了"}[language]
        )
        context.close()
    assert not too_wide, f"pages scroll sideways: {too_wide}"


def test_the_calendar_page_makes_rotates_and_revokes_the_feed(
    live_server: StartServer,
    page: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    app = live_server(auth="none", team=StudyTeam(concepts=1))
    finished_roadmap(app.url, done="c1")
    page.goto(app.url + "/calendar")
    expect(page.locator("#feed-status")).to_contain_text("no calendar feed")
    page.select_option("#timezone", "Asia/Shanghai")
    page.click("#zone-form button")
    expect(page.locator("#timezone")).to_have_value("Asia/Shanghai")
    page.click("#rotate-feed")
    url = page.locator("#feed-url").input_value()
    assert url.startswith(app.url + "/calendar/cal_") and url.endswith(".ics")
    with httpx.Client(timeout=30) as client:
        feed = client.get(url)
        assert feed.status_code == 200 and b"learnpath: 3 reviews due" in feed.content
        page.goto(app.url + "/calendar")
        expect(page.locator("#feed-status")).to_contain_text("A feed exists")
        page.click("#revoke-feed")
        expect(page.locator("#feed-status")).to_contain_text("no calendar feed")
        assert client.get(url).status_code == 404
