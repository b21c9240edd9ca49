"""The web UI over real HTTP: forms, CSRF, sign-in, ownership, error pages and the live stream."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from learnpath.llm.errors import ModelCallError
from learnpath.settings import Settings
from learnpath.store import open_store
from learnpath.store.migrate import upgrade
from learnpath.testing.teams import TinyTeam
from learnpath.web.markdown import render_markdown
from tests.e2e.conftest import LiveApp, StartServer

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def create_users(settings: Settings, *names: str) -> dict[str, str]:
    """Users in the server's database (migrated first); returns name -> token."""

    async def run() -> dict[str, str]:
        store = open_store(settings)
        try:
            await upgrade(store.engines.writer)
            return {name: (await store.create_user(name))[1] for name in names}
        finally:
            await store.close()

    # A thread of its own: the sync browser API keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def browser_client(app: LiveApp) -> httpx.Client:
    return httpx.Client(base_url=app.url, timeout=30, follow_redirects=False)


def submit(client: httpx.Client, **fields: Any) -> httpx.Response:
    csrf = csrf_of(client.get("/").text)
    return client.post("/", data={"csrf_token": csrf, **fields})


def wait_status(
    client: httpx.Client, task_id: str, status: str, timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state: dict[str, Any] = client.get(f"/tasks/{task_id}/state").json()
        if state["status"] == status:
            return state
        assert time.monotonic() < deadline, f"task stayed {state['status']}, wanted {status}"
        time.sleep(0.05)


def test_markdown_escapes_html_and_unsafe_links() -> None:
    html = str(
        render_markdown(
            "# Title <script>alert(1)</script>\n\n"
            "[bad](javascript:alert(1)) [good](https://example.org/x) ![img](https://e.org/i.png)\n\n"
            "```python\nprint('<b>')\n```\n\n<img src=x onerror=alert(1)>\n\n- *one*\n- **two**"
        )
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<img" not in html
    assert "&lt;img" in html
    assert 'href="javascript' not in html
    assert 'href="https://example.org/x"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert '<pre><code class="language-python">' in html
    assert "&lt;b&gt;" in html
    assert "<em>one</em>" in html
    assert "<strong>two</strong>" in html


def test_form_posts_need_the_csrf_token(live_server: StartServer) -> None:
    app = live_server(auth="none")
    with browser_client(app) as client:
        client.get("/")
        refused = client.post("/", data={"goal": "Learn SQL", "csrf_token": "forged"})
        assert refused.status_code == 403
        assert "nothing was changed" in refused.text
        assert "Traceback" not in refused.text
        assert client.get("/tasks").text.count('data-task-id="') == 0

        created = submit(client, goal="Learn SQL", weeks="4", timeframe="weeks")
        assert created.status_code == 303
        assert created.headers["location"].startswith("/tasks/")
        cookie = created.request.headers["cookie"]
        assert "lp_csrf=" in cookie


def test_invalid_form_keeps_what_was_typed(live_server: StartServer) -> None:
    app = live_server(auth="none")
    with browser_client(app) as client:
        response = submit(
            client,
            goal="ab",
            hours_per_week="500",
            timeframe="deadline",
            deadline="2001-01-01",
            background="Some <b>Python</b>",
            tech_stack="Python, SQL",
            language="de",
            review="1",
        )
        assert response.status_code == 422
        page = response.text
        assert "at least 3 characters" in page
        assert "between 1 and 168" in page
        assert "The deadline is in the past" in page
        assert ">ab</textarea>" in page
        assert 'value="500"' in page
        assert 'value="Python, SQL"' in page
        assert "Some &lt;b&gt;Python&lt;/b&gt;</textarea>" in page
        assert '<option value="de" selected>' in page
        assert 'name="review" value="1" checked' in page


def test_task_page_stream_replays_and_ends(live_server: StartServer) -> None:
    app = live_server(auth="none", team=TinyTeam(concepts=2))
    with browser_client(app) as client:
        task_url = submit(client, goal="Learn SQL", weeks="4").headers["location"]
        task_id = task_url.rsplit("/", 1)[1]
        wait_status(client, task_id, "completed")
        page = client.get(task_url)
        assert page.status_code == 200
        assert 'id="open-roadmap"' in page.text
        with client.stream("GET", f"{task_url}/stream", headers={"Last-Event-ID": "2"}) as stream:
            lines = [line for line in stream.iter_lines()]
        ids = [int(line[4:]) for line in lines if line.startswith("id: ")]
        assert ids[0] == 3, "the replay starts after Last-Event-ID"
        assert ids == sorted(ids)
        assert "event: end" in lines
        assert '"task_completed"' in "\n".join(lines)


def test_token_sign_in_and_ownership(live_server: StartServer, make_settings: Any) -> None:
    tokens = create_users(make_settings(), "alice", "bob")
    app = live_server(auth="token")
    with browser_client(app) as alice, browser_client(app) as bob:
        first = alice.get("/tasks")
        assert first.status_code == 303
        assert first.headers["location"] == "/login?next=%2Ftasks"

        login = alice.get("/login?next=/tasks")
        wrong = alice.post(
            "/login",
            data={"csrf_token": csrf_of(login.text), "token": "lp_wrong", "next": "/tasks"},
        )
        assert wrong.status_code == 401
        assert "That token is not valid" in wrong.text
        assert "lp_token" not in alice.cookies

        right = alice.post(
            "/login",
            data={"csrf_token": csrf_of(login.text), "token": tokens["alice"], "next": "//evil"},
        )
        assert right.status_code == 303
        assert right.headers["location"] == "/tasks"
        set_cookie = right.headers["set-cookie"].lower()
        assert "httponly" in set_cookie
        assert "samesite=strict" in set_cookie

        bob.post(
            "/login", data={"csrf_token": csrf_of(bob.get("/login").text), "token": tokens["bob"]}
        )
        bobs_task = submit(bob, goal="Bob's secret plan").headers["location"]

        assert "Bob&#39;s secret plan" not in alice.get("/tasks").text
        stolen = alice.get(bobs_task)
        assert stolen.status_code == 404
        assert "no such task" in stolen.text
        assert alice.get(f"{bobs_task}/state").status_code == 404
        assert alice.get(f"{bobs_task}/stream").status_code == 404
        canceled = alice.post(
            f"{bobs_task}/cancel", data={"csrf_token": csrf_of(alice.get("/").text)}
        )
        assert canceled.status_code == 404
        assert "Bob&#39;s secret plan" in bob.get("/tasks").text


def test_error_pages_say_what_to_do(live_server: StartServer, tmp_path: Path) -> None:
    app = live_server(auth="none")
    with browser_client(app) as client:
        missing = client.get("/roadmaps/does-not-exist")
        assert missing.status_code == 404
        assert "What to do:" in missing.text
        assert "Traceback" not in missing.text
        bad_link = client.get("/tasks", params={"cursor": "x" * 300})
        assert bad_link.status_code == 400
        assert "What to do:" in bad_link.text
        finished = submit(client, goal="Learn SQL").headers["location"]
        wait_status(client, finished.rsplit("/", 1)[1], "completed")
        again = client.post(
            f"{finished}/cancel", data={"csrf_token": csrf_of(client.get("/").text)}
        )
        assert again.status_code == 409
        assert "The task has already ended (Completed)." in again.text
        in_chinese = client.post(
            f"{finished}/cancel",
            data={"csrf_token": csrf_of(client.get("/").text)},
            headers={"Accept-Language": "zh-CN,zh;q=0.9"},
        )
        assert in_chinese.status_code == 409
        assert "任务已经结束(已完成)。" in in_chinese.text
        assert "already" not in in_chinese.text


def test_failed_task_shows_the_error_and_retries(live_server: StartServer) -> None:
    failures = {"curriculum": 1}

    async def fail_once(name: str, subject: object) -> None:
        if failures.get(name):
            failures[name] -= 1
            raise ModelCallError("model_unavailable", "The model did not answer; try again later.")

    app = live_server(auth="none", team=TinyTeam(concepts=1, hook=fail_once))
    with browser_client(app) as client:
        task_url = submit(client, goal="Learn SQL").headers["location"]
        wait_status(client, task_url.rsplit("/", 1)[1], "failed")
        page = client.get(task_url).text
        assert 'id="error-box"' in page
        assert "Designing the curriculum" in page
        assert "model_unavailable" in page
        assert "The model did not answer; try again later." in page
        assert 'id="retry-form"' in page
        assert 'id="cancel-form"' not in page

        retried = client.post(f"{task_url}/retry", data={"csrf_token": csrf_of(page)})
        assert retried.status_code == 303
        wait_status(client, task_url.rsplit("/", 1)[1], "completed")
        again = client.post(f"{task_url}/retry", data={"csrf_token": csrf_of(page)})
        assert again.status_code == 409
        assert "Only a failed task can be retried; this one is Completed." in again.text


def test_cancel_from_the_task_page(live_server: StartServer) -> None:
    release = threading.Event()

    async def block(name: str, subject: object) -> None:
        while name == "intent" and not release.is_set():
            await asyncio.sleep(0.02)

    app = live_server(auth="none", team=TinyTeam(hook=block))
    with browser_client(app) as client:
        task_url = submit(client, goal="Learn SQL").headers["location"]
        wait_status(client, task_url.rsplit("/", 1)[1], "processing")
        page = client.get(task_url).text
        assert 'id="cancel-form"' in page
        canceled = client.post(f"{task_url}/cancel", data={"csrf_token": csrf_of(page)})
        assert canceled.status_code == 303
        assert "Canceling…" in client.get(task_url).text
        release.set()
        wait_status(client, task_url.rsplit("/", 1)[1], "canceled")
        assert "This task was canceled" in client.get(task_url).text


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Web tests run on SQLite: the store's behaviour on PostgreSQL is covered elsewhere."""
    return f"sqlite+aiosqlite:///{tmp_path / 'learnpath.db'}"
