"""The app in-process: unexpected errors, the body limit at the ASGI level, serve's guard."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from learnpath.api import create_app, serve
from learnpath.api.middleware import BodyLimit
from learnpath.api.sse import format_event
from learnpath.runtime import open_runtime
from learnpath.settings import Settings
from learnpath.store.records import EventRecord
from learnpath.testing.teams import TinyTeam


async def test_unexpected_errors_are_500_problems_without_internals(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_runtime(settings, background=False, team=TinyTeam()) as runtime:
        _, token = await runtime.store.create_user("alice")

        async def broken(*_: Any, **__: Any) -> Any:
            raise RuntimeError("password=hunter2 at /srv/secret.py line 3")

        monkeypatch.setattr(runtime.store, "list_tasks", broken)
        app = create_app(settings, runtime=runtime)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://localhost") as client,
        ):
            response = await client.get(
                "/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}
            )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "internal_error"
    assert len(body["reference"]) == 12
    assert body["reference"] in body["detail"]
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


async def _run(app: BodyLimit, messages: list[Message]) -> tuple[int, bytes]:
    queue = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return int(status), body


async def test_body_limit_counts_chunks_without_content_length() -> None:
    received: list[bytes] = []

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        chunks = b""
        while True:
            message = await receive()
            chunks += message.get("body", b"")
            if not message.get("more_body"):
                break
        received.append(chunks)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = BodyLimit(echo, max_bytes=1024)
    chunk = {"type": "http.request", "body": b"x" * 400, "more_body": True}
    status, body = await _run(limited, [chunk, chunk, chunk, {"type": "http.request", "body": b""}])
    assert status == 413
    assert json.loads(body)["code"] == "payload_too_large"
    assert received == []
    status, _ = await _run(limited, [chunk, chunk, {"type": "http.request", "body": b"end"}])
    assert status == 200
    assert received == [b"x" * 800 + b"end"]


def test_serve_refuses_a_public_host_without_authentication(make_settings: Any) -> None:
    open_settings: Settings = make_settings(auth="none")
    with pytest.raises(ValueError, match="LEARNPATH_AUTH=none"):
        serve(open_settings, "0.0.0.0", 8000)


def test_events_are_formatted_as_server_sent_events() -> None:
    event = EventRecord(
        task_id="t1",
        seq=7,
        type="concept_completed",
        data={"concept_id": "c1", "note": "line\nbreak 学"},
        created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    text = format_event(event)
    lines = text.split("\n")
    assert lines[:2] == ["id: 7", "event: concept_completed"]
    assert text.endswith("\n\n")
    assert text.count("\n") == 4
    payload = json.loads(lines[2].removeprefix("data: "))
    assert payload == {
        "seq": 7,
        "type": "concept_completed",
        "task_id": "t1",
        "data": {"concept_id": "c1", "note": "line\nbreak 学"},
        "created_at": "2025-01-01T00:00:00+00:00",
    }


async def _client_call(
    settings: Settings, method: str, path: str, *, admin: bool = False, **kwargs: Any
) -> httpx.Response:
    async with open_runtime(settings, background=False, team=TinyTeam()) as runtime:
        _, token = await runtime.store.create_user("ops", admin=admin)
        app = create_app(settings, runtime=runtime)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://localhost") as client,
        ):
            return await client.request(
                method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )


async def test_a_deadline_that_has_passed_is_refused_at_submit(settings: Settings) -> None:
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    response = await _client_call(
        settings,
        "POST",
        "/api/v1/roadmaps/generate",
        json={"goal": "Learn Go", "deadline": yesterday},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert "not in the future" in response.json()["detail"]


async def test_admin_diagnostics_in_celery_mode_include_the_cluster(make_settings: Any) -> None:
    settings = make_settings(executor="celery", broker_url="redis://127.0.0.1:1/0")
    response = await _client_call(settings, "GET", "/api/v1/admin/diagnostics", admin=True)
    assert response.status_code == 200
    cluster = response.json()["cluster"]
    assert cluster["broker_ok"] is False
    assert cluster["healthy"] is False and cluster["verdict"]
