"""Every route against every kind of caller: no token, a bad token, another user, the
owner and an administrator. Another user's things are 404, never 403."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.e2e.conftest import API, StartServer, Tokens, wait_for_task

MISSING = "00000000-0000-4000-8000-000000000000"
CALLERS = ("none", "bad", "other", "owner", "admin")

# (method, path, body, expected status per caller in CALLERS order). Rows run in order:
# the owner trashes the roadmap and restores it on the next row; the regenerate row
# changes the roadmap's state and comes last.
MATRIX: list[tuple[str, str, Any, tuple[int, int, int, int, int]]] = [
    ("POST", "/api/v1/roadmaps/generate", {"goal": "Learn SQL"}, (401, 401, 202, 202, 202)),
    ("GET", "/api/v1/tasks", None, (401, 401, 200, 200, 200)),
    ("GET", "/api/v1/tasks/{task}", None, (401, 401, 404, 200, 404)),
    ("GET", "/api/v1/tasks/{task}/events", None, (401, 401, 404, 200, 404)),
    ("GET", "/api/v1/tasks/{task}/trace", None, (401, 401, 404, 200, 404)),
    ("POST", "/api/v1/tasks/{task}/review", {"decision": "approve"}, (401, 401, 404, 409, 404)),
    ("POST", "/api/v1/tasks/{task}/cancel", None, (401, 401, 404, 409, 404)),
    ("POST", "/api/v1/tasks/{task}/retry", None, (401, 401, 404, 409, 404)),
    ("GET", "/api/v1/roadmaps", None, (401, 401, 200, 200, 200)),
    ("GET", "/api/v1/roadmaps/{task}", None, (401, 401, 404, 200, 404)),
    ("GET", "/api/v1/roadmaps/{task}/concepts/c1", None, (401, 401, 404, 200, 404)),
    (
        "PUT",
        "/api/v1/roadmaps/{task}/concepts/c1/progress",
        {"done": True},
        (401, 401, 404, 200, 404),
    ),
    (
        "POST",
        "/api/v1/roadmaps/{task}/concepts/c1/quiz",
        {"answers": [1]},
        (401, 401, 404, 200, 404),
    ),
    ("GET", "/api/v1/roadmaps/{task}/progress", None, (401, 401, 404, 200, 404)),
    # Learning: the tutor, notes, reviews and the calendar (owner's ids made in the test).
    (
        "POST",
        "/api/v1/roadmaps/{task}/concepts/c1/chat?stream=false",
        {"question": "Why?"},
        (401, 401, 404, 202, 404),
    ),
    ("GET", "/api/v1/roadmaps/{task}/concepts/c1/chat", None, (401, 401, 404, 200, 404)),
    (
        "GET",
        "/api/v1/roadmaps/{task}/concepts/c1/chat/{message}/events",
        None,
        (401, 401, 404, 200, 404),
    ),
    ("GET", "/api/v1/roadmaps/{task}/notes", None, (401, 401, 404, 200, 404)),
    ("GET", "/api/v1/roadmaps/{task}/concepts/c1/notes", None, (401, 401, 404, 200, 404)),
    (
        "POST",
        "/api/v1/roadmaps/{task}/concepts/c1/notes",
        {"markdown": "mine"},
        (401, 401, 404, 201, 404),
    ),
    ("PUT", "/api/v1/notes/{note}", {"markdown": "edited"}, (401, 401, 404, 200, 404)),
    ("DELETE", "/api/v1/notes/{note}", None, (401, 401, 404, 204, 404)),
    ("GET", "/api/v1/reviews/due", None, (401, 401, 200, 200, 200)),
    ("POST", "/api/v1/reviews/{card}/answer", {"rating": "good"}, (401, 401, 404, 200, 404)),
    ("GET", "/api/v1/calendar", None, (401, 401, 200, 200, 200)),
    ("PUT", "/api/v1/calendar", {"timezone": "Europe/Paris"}, (401, 401, 200, 200, 200)),
    ("GET", "/calendar/{feed}.ics", None, (200, 200, 200, 200, 200)),
    ("POST", "/api/v1/calendar/feed", None, (401, 401, 201, 201, 201)),
    ("DELETE", "/api/v1/calendar/feed", None, (401, 401, 204, 204, 204)),
    ("GET", "/api/v1/roadmaps/{task}/export?format=md", None, (401, 401, 404, 200, 404)),
    ("GET", "/api/v1/roadmaps/{task}/export?format=apkg", None, (401, 401, 404, 200, 404)),
    ("GET", "/api/v1/roadmaps/{task}/schedule", None, (401, 401, 404, 200, 404)),
    ("GET", "/api/v1/roadmaps/{task}/map.svg", None, (401, 401, 404, 200, 404)),
    (
        "POST",
        "/api/v1/roadmaps/{task}/edits",
        {"operations": [{"op": "rename", "target_id": "c1", "name": "Renamed"}]},
        (401, 401, 404, 200, 404),
    ),
    ("GET", "/api/v1/roadmaps/{task}/edits", None, (401, 401, 404, 200, 404)),
    ("PATCH", "/api/v1/roadmaps/{task}", {"title": "Mine"}, (401, 401, 404, 200, 404)),
    ("POST", "/api/v1/roadmaps/{task}/share", None, (401, 401, 404, 201, 404)),
    ("DELETE", "/api/v1/roadmaps/{task}/share", None, (401, 401, 404, 204, 404)),
    # No token needed to read a shared roadmap, but the token must be a live one.
    ("GET", "/api/v1/shared/lps_" + "x" * 43, None, (404, 404, 404, 404, 404)),
    ("POST", "/api/v1/shared/lps_" + "x" * 43 + "/fork", None, (401, 401, 404, 404, 404)),
    ("GET", "/api/v1/trash", None, (401, 401, 200, 200, 200)),
    ("DELETE", "/api/v1/roadmaps/{task}", None, (401, 401, 404, 200, 404)),
    ("POST", "/api/v1/roadmaps/{task}/restore", None, (401, 401, 404, 200, 404)),
    ("GET", "/api/v1/admin/diagnostics", None, (401, 401, 403, 403, 200)),
    ("GET", "/healthz", None, (200, 200, 200, 200, 200)),
    ("GET", "/readyz", None, (200, 200, 200, 200, 200)),
    ("GET", "/metrics", None, (200, 200, 200, 200, 200)),
    (
        "POST",
        "/api/v1/roadmaps/{task}/concepts/c1/regenerate",
        {"instructions": "shorter"},
        (401, 401, 404, 202, 404),
    ),
]


async def test_authorization_matrix(live_server: StartServer, tokens: Tokens) -> None:
    app = live_server()
    headers = {
        "none": {},
        "bad": {"Authorization": "Bearer lp_not-a-real-token"},
        "other": {"Authorization": f"Bearer {tokens.bob}"},
        "owner": {"Authorization": f"Bearer {tokens.alice}"},
        "admin": {"Authorization": f"Bearer {tokens.admin}"},
    }
    async with app.client(tokens.alice) as alice:
        task_id = (await alice.post(f"{API}/roadmaps/generate", json={"goal": "Learn C"})).json()[
            "task_id"
        ]
        await wait_for_task(alice, task_id, {"completed"})
        ids = await learning_ids(alice, task_id)
    missing = dict.fromkeys(ids, MISSING)
    failures = []
    async with app.client() as client:
        for method, template, body, expected in MATRIX:
            path = template.format(**ids)
            for caller, want in zip(CALLERS, expected, strict=True):
                response = await client.request(method, path, json=body, headers=headers[caller])
                if response.status_code != want:
                    failures.append(f"{method} {template} as {caller}: {response.status_code}")
                    continue
                if want >= 400:
                    problem = response.json()
                    assert response.headers["content-type"] == "application/problem+json"
                    assert problem["status"] == want
                    if want == 401:
                        assert problem["code"] == "unauthenticated"
                        assert response.headers["www-authenticate"] == "Bearer"
                    if want == 404:
                        assert problem["code"] == "not_found"
                        # Indistinguishable from a task that does not exist at all.
                        unknown = await client.request(
                            method,
                            template.format(**missing),
                            json=body,
                            headers=headers[caller],
                        )
                        assert unknown.status_code == 404
                        detail = problem["detail"]
                        for name, value in ids.items():
                            detail = detail.replace(value, missing[name])
                        assert unknown.json() == {**problem, "detail": detail}
                    if want == 403:
                        assert problem["code"] == "forbidden"
    assert not failures, "\n".join(failures)


async def learning_ids(alice: Any, task_id: str) -> dict[str, str]:
    """The owner's tutor answer, note, due review card and calendar feed secret."""
    base = f"{API}/roadmaps/{task_id}/concepts/c1"
    asked = await alice.post(f"{base}/chat?stream=false", json={"question": "What is it?"})
    message = asked.json()["answer"]["message_id"]
    while (await alice.get(f"{base}/chat")).json()["messages"][-1]["status"] == "streaming":
        await asyncio.sleep(0.05)
    note = (await alice.post(f"{base}/notes", json={"markdown": "a note"})).json()["note_id"]
    await alice.put(f"{base}/progress", json={"done": True})
    card = (await alice.get(f"{API}/reviews/due")).json()["cards"][0]["card_id"]
    feed = (await alice.post(f"{API}/calendar/feed")).json()["token"]
    return {"task": task_id, "message": message, "note": note, "card": card, "feed": feed}


@pytest.mark.parametrize("header", ["Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer a b", "Token x"])
async def test_malformed_authorization_headers_are_401(
    live_server: StartServer, tokens: Tokens, header: str
) -> None:
    app = live_server()
    async with app.client() as client:
        response = await client.get(f"{API}/tasks", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


async def test_a_share_link_reads_one_roadmap_and_nothing_else(
    live_server: StartServer, tokens: Tokens
) -> None:
    """The link's token is not a credential: it opens the shared document only."""
    app = live_server()
    async with app.client(tokens.alice) as alice, app.client() as anyone:
        task_id = (await alice.post(f"{API}/roadmaps/generate", json={"goal": "Learn C"})).json()[
            "task_id"
        ]
        await wait_for_task(alice, task_id, {"completed"})
        token = (await alice.post(f"{API}/roadmaps/{task_id}/share")).json()["token"]
        assert (await anyone.get(f"{API}/shared/{token}")).status_code == 200
        as_bearer = {"Authorization": f"Bearer {token}"}
        for method, path in [
            ("GET", f"/roadmaps/{task_id}"),
            ("GET", f"/roadmaps/{task_id}/export"),
            ("GET", f"/tasks/{task_id}"),
            ("GET", "/roadmaps"),
            ("POST", f"/roadmaps/{task_id}/edits"),
            ("DELETE", f"/roadmaps/{task_id}"),
            ("POST", f"/shared/{token}/fork"),
        ]:
            response = await anyone.request(method, API + path, headers=as_bearer)
            assert response.status_code == 401, (method, path, response.status_code)
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = await anyone.request(method, f"{API}/shared/{token}")
            assert response.status_code == 405, (method, response.status_code)


def test_workspace_pages_belong_to_their_owner(
    live_server: StartServer, make_settings: Any
) -> None:
    """Another user's roadmap pages, downloads and forms are 404 on the web too."""
    from tests.e2e.test_web_pages import browser_client, create_users, csrf_of, submit

    users = create_users(make_settings(), "alice", "bob")
    app = live_server(auth="token")
    with browser_client(app) as alice, browser_client(app) as bob:
        for client, name in ((alice, "alice"), (bob, "bob")):
            login = client.get("/login")
            client.post("/login", data={"csrf_token": csrf_of(login.text), "token": users[name]})
        task = submit(alice, goal="Alice's plan").headers["location"]
        rid = task.rsplit("/", 1)[-1]
        deadline = time.monotonic() + 30
        while "Open roadmap" not in alice.get(task).text:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        for path in ("", "/edit", "/export?format=md", "/map.svg"):
            assert alice.get(f"/roadmaps/{rid}{path}").status_code == 200, path
            assert bob.get(f"/roadmaps/{rid}{path}").status_code == 404, path
        csrf = csrf_of(bob.get("/").text)
        for action in ("edit", "rename", "trash", "restore", "share", "unshare"):
            response = bob.post(
                f"/roadmaps/{rid}/{action}", data={"csrf_token": csrf, "op": "remove", "title": "x"}
            )
            assert response.status_code == 404, action
        assert "Alice&#39;s plan" not in bob.get("/roadmaps").text
        assert alice.get(f"/roadmaps/{rid}").status_code == 200
