"""The learning pages over plain HTTP (no script): forms, CSRF, errors, ownership, safe notes."""

from __future__ import annotations

import re
import time

import httpx

from learnpath.testing.teams import StudyTeam
from tests.e2e.conftest import StartServer
from tests.e2e.test_web_pages import create_users, csrf_of


def sign_in(url: str, token: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
    page = client.get("/login")
    client.post("/login", data={"csrf_token": csrf_of(page.text), "token": token, "next": "/"})
    return client


def roadmap(client: httpx.Client) -> str:
    csrf = csrf_of(client.get("/").text)
    created = client.post("/", data={"csrf_token": csrf, "goal": "Learn SQL", "weeks": "4"})
    task_id = created.headers["location"].rsplit("/", 1)[-1]
    deadline = time.monotonic() + 30
    while client.get(f"/tasks/{task_id}/state").json()["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return task_id


def test_the_tutor_page_works_without_script(
    live_server: StartServer, make_settings: object
) -> None:
    tokens = create_users(make_settings(), "alice", "bob")  # type: ignore[operator]
    app = live_server(auth="token", team=StudyTeam(concepts=2))
    alice, bob = sign_in(app.url, tokens["alice"]), sign_in(app.url, tokens["bob"])
    rid = roadmap(alice)
    learn = f"/roadmaps/{rid}/concepts/c1/learn"
    page = alice.get(learn)
    assert page.status_code == 200 and 'id="ask-form"' in page.text
    csrf = csrf_of(page.text)

    asked = alice.post(
        f"/roadmaps/{rid}/concepts/c1/chat", data={"csrf_token": csrf, "question": "Why?"}
    )
    assert asked.status_code == 303 and asked.headers["location"].startswith(learn + "#message-")
    deadline = time.monotonic() + 30
    while 'data-status="streaming"' in (shown := alice.get(learn).text):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert "Offline tutor (sample answer)" in shown and 'class="references"' in shown
    assert re.search(r'href="#ref-[0-9a-f-]+-3"', shown)  # [3] links to its reference

    # The same with script: JSON with both messages' HTML and the stream to follow.
    js = alice.post(
        f"/roadmaps/{rid}/concepts/c2/chat",
        data={"csrf_token": csrf, "question": "And this?"},
        headers={"Accept": "application/json"},
    )
    assert js.status_code == 201 and js.json()["stream_url"].endswith("/stream?offset=0")
    with alice.stream("GET", js.json()["stream_url"]) as stream:
        body = "".join(stream.iter_text())
    assert "event: delta" in body and "event: done" in body and "Offline tutor" in body

    refused = alice.post(f"/roadmaps/{rid}/concepts/c1/chat", data={"question": "no csrf"})
    assert refused.status_code == 403
    empty = alice.post(
        f"/roadmaps/{rid}/concepts/c1/chat",
        data={"csrf_token": csrf, "question": " "},
        headers={"Accept": "application/json"},
    )
    assert empty.status_code == 422 and "at most 2000 characters" in empty.json()["error"]

    # Notes: Markdown rendered safely; bob can neither see nor change alice's.
    note = alice.post(
        f"/roadmaps/{rid}/concepts/c1/notes",
        data={"csrf_token": csrf, "markdown": "**bold** <script>alert(1)</script>"},
    )
    assert note.status_code == 303
    note_id = note.headers["location"].rsplit("#note-", 1)[-1]
    shown = alice.get(learn).text
    assert "<strong>bold</strong>" in shown and "<script>alert(1)</script>" not in shown
    bob_csrf = csrf_of(bob.get("/").text)
    assert bob.get(learn).status_code == 404
    stolen = bob.post(f"/notes/{note_id}", data={"csrf_token": bob_csrf, "action": "delete"})
    assert stolen.status_code == 404
    assert bob.get(f"/roadmaps/{rid}/concepts/c1/chat/{note_id}/stream").status_code == 404
    blank = alice.post(f"/notes/{note_id}", data={"csrf_token": csrf, "markdown": ""})
    assert blank.status_code == 422 and "needs some text" in blank.text
    deleted = alice.post(f"/notes/{note_id}", data={"csrf_token": csrf, "action": "delete"})
    assert deleted.status_code == 303 and "**bold**" not in alice.get(learn).text


def test_reviews_and_calendar_forms(live_server: StartServer, make_settings: object) -> None:
    tokens = create_users(make_settings(), "alice")  # type: ignore[operator]
    app = live_server(auth="token", team=StudyTeam(concepts=1))
    alice = sign_in(app.url, tokens["alice"])
    rid = roadmap(alice)
    csrf = csrf_of(alice.get("/").text)
    alice.post(f"/roadmaps/{rid}/concepts/c1/done", data={"csrf_token": csrf, "done": "1"})
    page = alice.get("/reviews").text
    card = re.search(r'data-card-id="([0-9a-f-]+)"', page)
    assert card and '<strong id="due-count">3</strong>' in page
    nothing = alice.post(f"/reviews/{card.group(1)}/answer", data={"csrf_token": csrf})
    assert nothing.status_code == 422 and "Pick one of the options" in nothing.text
    answered = alice.post(
        f"/reviews/{card.group(1)}/answer", data={"csrf_token": csrf, "option": "1"}
    )
    assert answered.status_code == 303
    result = alice.get(answered.headers["location"].split("#")[0]).text
    assert "Not quite: the answer is “a start”." in result and "(tomorrow)" in result
    again = alice.post(f"/reviews/{card.group(1)}/answer", data={"csrf_token": csrf, "option": "0"})
    assert again.status_code == 409 and "not due yet" in again.text

    made = alice.post("/calendar", data={"csrf_token": csrf, "action": "rotate"})
    feed = re.search(r'id="feed-url" readonly value="([^"]+)"', made.text)
    assert made.status_code == 200 and feed
    assert httpx.get(feed.group(1), timeout=30).status_code == 200
    bad = alice.post("/calendar", data={"csrf_token": csrf, "action": "timezone", "timezone": "X"})
    assert bad.status_code == 422 and "Unknown time zone" in bad.text
    alice.post("/calendar", data={"csrf_token": csrf, "action": "revoke"})
    assert httpx.get(feed.group(1), timeout=30).status_code == 404
    zh = alice.get("/calendar", headers={"Accept-Language": "zh-CN"}).text
    assert "提醒日历" in zh and "你还没有日历源。" in zh
