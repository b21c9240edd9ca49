"""The web UI in a real browser (Chromium): generate, watch live, learn, review, sign in."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from learnpath.agents import build_team
from learnpath.agents.team import ConceptBrief, DesignJournal
from learnpath.domain.content import Quiz, ResourceList, Tutorial
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import EditPlan, Framework, IntentAnalysis, Issue, ValidationResult
from learnpath.settings import Settings
from learnpath.testing.teams import TinyTeam
from tests.conftest import require_service
from tests.e2e.conftest import StartServer
from tests.e2e.test_web_pages import create_users

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path("/tmp/learnpath-web.png")
WAIT_MS = 30_000


class SlowOfflineTeam:
    """The offline team, slowed down so a page can watch the task make progress."""

    def __init__(self, settings: Settings, delay: float) -> None:
        self.inner = build_team(settings)
        self.delay = delay

    @property
    def generated_by(self) -> str:
        return self.inner.generated_by

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def analyse_intent(self, request: LearningRequest) -> IntentAnalysis:
        await asyncio.sleep(self.delay)
        return await self.inner.analyse_intent(request)

    async def design_curriculum(
        self,
        request: LearningRequest,
        intent: IntentAnalysis,
        journal: DesignJournal | None = None,
    ) -> Framework:
        await asyncio.sleep(self.delay)
        return await self.inner.design_curriculum(request, intent, journal)

    async def validate_structure(
        self, request: LearningRequest, intent: IntentAnalysis, framework: Framework
    ) -> ValidationResult:
        await asyncio.sleep(self.delay)
        return await self.inner.validate_structure(request, intent, framework)

    async def edit_roadmap(
        self,
        request: LearningRequest,
        framework: Framework,
        issues: list[Issue],
        feedback: str | None,
    ) -> EditPlan:
        return await self.inner.edit_roadmap(request, framework, issues, feedback)

    async def write_tutorial(self, brief: ConceptBrief) -> Tutorial:
        await asyncio.sleep(self.delay)
        return await self.inner.write_tutorial(brief)

    async def recommend_resources(self, brief: ConceptBrief) -> ResourceList:
        return await self.inner.recommend_resources(brief)

    async def write_quiz(self, brief: ConceptBrief) -> Quiz:
        return await self.inner.write_quiz(brief)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Browser tests run on SQLite: the store's behaviour on PostgreSQL is covered elsewhere."""
    return f"sqlite+aiosqlite:///{tmp_path / 'learnpath.db'}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_service(CHROMIUM.exists(), "Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The server's own Content-Security-Policy is in force: anything it blocks fails the test.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not errors, f"the page raised script errors or broke its security policy: {errors}"


def test_generate_watch_progress_and_learn(
    live_server: StartServer, make_settings: Any, page: Any
) -> None:
    from playwright.sync_api import expect

    app = live_server(auth="none", team=SlowOfflineTeam(make_settings(), delay=0.15))
    page.goto(app.url + "/")
    page.fill("#goal", "Learn SQL databases")
    page.select_option("#level", "beginner")
    page.fill("#hours_per_week", "6")
    page.fill("#weeks", "4")
    page.fill("#background", "I can write a little Python")
    page.fill("#tech_stack", "PostgreSQL, Python")
    page.click("button[type=submit]:has-text('Generate roadmap')")

    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    # Progress arrives live: the step timeline moves and events stream in without a reload.
    expect(page.locator("#live-indicator")).to_be_visible()
    expect(page.locator("#timeline .step-active, #timeline .step-done").first).to_be_visible()
    expect(page.locator("#event-log li").nth(3)).to_be_attached()
    expect(page.locator("#task-status .badge")).to_have_attribute("data-status", "completed")
    expect(page.locator("#progress-count")).to_have_text(re.compile(r"^(\d+)/\1$"))
    seen_steps = page.locator("#timeline .step-done").count()
    assert seen_steps >= 4

    page.click("#open-roadmap")
    expect(page).to_have_url(re.compile(r"/roadmaps/"))
    expect(page.locator("#offline-banner")).to_contain_text("LEARNPATH_MODEL")
    first = page.locator("details.concept[open]").first
    # The tutorial's own headings are demoted below the page's: one <h1> on the page.
    expect(first.locator(".markdown h4").first).to_be_visible()
    expect(first.locator(".markdown h5").first).to_be_visible()
    expect(page.locator("h1")).to_have_count(1)
    expect(first.locator(".resources li").first).to_be_visible()

    questions = first.locator(".quiz-form fieldset.question")
    count = questions.count()
    assert count >= 1
    for index in range(count):
        questions.nth(index).locator("input[type=radio]").first.check()
    first.locator(".quiz-form button[type=submit]").click()

    opened = page.locator("details.concept[open]").first
    expect(opened.locator(".quiz-score")).to_contain_text(re.compile(rf"\d+/{count}"))
    expect(opened.locator(".quiz-results li").first).to_be_visible()
    expect(opened.locator(".concept-meta .badge-score")).to_contain_text("quiz")
    page.reload()
    expect(page.locator("details.concept[open] .quiz-score").first).to_be_visible()

    page.locator("details.concept[open] button:has-text('Mark as done')").first.click()
    expect(page.locator("#done-count")).to_have_text("1")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOT), full_page=False)


def test_review_reject_with_feedback_then_approve(live_server: StartServer, page: Any) -> None:
    from playwright.sync_api import expect

    app = live_server(auth="none", team=TinyTeam(concepts=2, delay=0.05))
    page.goto(app.url + "/")
    page.fill("#goal", "Learn Rust")
    page.check("#review")
    page.click("button[type=submit]:has-text('Generate roadmap')")

    review = page.locator("#review")
    expect(review).to_be_visible()
    expect(page.locator("#framework")).to_contain_text("Concept 1")
    expect(page.locator("#review-issues")).to_be_visible()
    # Under review no content exists yet: no "0/0" counter, and status changes are announced.
    expect(page.locator("#concept-progress")).to_be_hidden()
    expect(page.locator("#task-status")).to_have_attribute("aria-live", "polite")

    page.click("#reject-form button")
    expect(page.locator("#review-error")).to_contain_text("feedback")

    page.fill("#feedback", "add exercises")
    page.click("#reject-form button")
    # The editor revises the roadmap and the page comes back to review by itself.
    expect(page.locator("#framework")).to_contain_text("Stage 1 (add exercises)")
    expect(page.locator("#timeline [data-step=roadmap_edit]")).to_have_attribute(
        "data-state", "done"
    )

    page.click("#approve-form button")
    expect(page.locator("#task-status .badge")).to_have_attribute("data-status", "completed")
    expect(page.locator("#review")).to_have_count(0)
    expect(page.locator("#progress-count")).to_have_text("2/2")
    expect(page.locator("#concept-progress")).to_be_visible()


def test_token_sign_in_shows_only_own_tasks(
    live_server: StartServer, make_settings: Any, page: Any
) -> None:
    from playwright.sync_api import expect

    tokens = create_users(make_settings(), "alice", "bob")
    app = live_server(auth="token")

    page.goto(app.url + "/tasks")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#token", "lp_not-a-real-token")
    page.click("button:has-text('Sign in')")
    expect(page.locator(".alert-error")).to_contain_text("That token is not valid")

    page.fill("#token", tokens["bob"])
    page.click("button:has-text('Sign in')")
    expect(page).to_have_url(re.compile(r"/tasks$"))
    page.goto(app.url + "/")
    page.fill("#goal", "Bob learns Go")
    page.click("button[type=submit]:has-text('Generate roadmap')")
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    bobs_task = page.url
    page.click("button:has-text('Sign out')")
    # Signed out: the login page (a live poll of the open task page may race the redirect
    # and add ``next=`` for it; either way the session is gone).
    expect(page).to_have_url(re.compile(r"/login(\?next=[^&]+)?$"))
    expect(page.locator("#token")).to_be_visible()

    page.fill("#token", tokens["alice"])
    page.click("button:has-text('Sign in')")
    expect(page.locator(".who")).to_contain_text("alice")
    page.goto(app.url + "/")
    page.fill("#goal", "Alice learns SQL")
    page.click("button[type=submit]:has-text('Generate roadmap')")
    expect(page.locator("#task-status .badge")).to_have_attribute("data-status", "completed")

    page.goto(app.url + "/tasks")
    expect(page.locator(".task-table")).to_contain_text("Alice learns SQL")
    expect(page.locator(".task-table")).not_to_contain_text("Bob learns Go")
    response = page.goto(bobs_task)
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")


def test_form_validation_errors_keep_input(live_server: StartServer, page: Any) -> None:
    from playwright.sync_api import expect

    app = live_server(auth="none")
    page.goto(app.url + "/")
    page.fill("#goal", "ab")
    page.fill("#hours_per_week", "500")
    page.fill("#background", "Ten years of Excel")
    page.select_option("#language", "fr")
    page.check("#review")
    page.click("button[type=submit]:has-text('Generate roadmap')")

    expect(page.locator("#goal-error")).to_contain_text("at least 3 characters")
    expect(page.locator("#hours_per_week-error")).to_contain_text("between 1 and 168")
    expect(page.locator("#goal")).to_have_value("ab")
    expect(page.locator("#hours_per_week")).to_have_value("500")
    expect(page.locator("#background")).to_have_value("Ten years of Excel")
    expect(page.locator("#language")).to_have_value("fr")
    expect(page.locator("#review")).to_be_checked()

    page.fill("#goal", "Learn French cooking")
    page.fill("#hours_per_week", "5")
    page.click("button[type=submit]:has-text('Generate roadmap')")
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]+$"))
