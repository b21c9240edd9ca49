"""Event streams end after ``LEARNPATH_STREAM_MAX_SECONDS`` and resume without gaps, and a
user's open streams are capped (``LEARNPATH_USER_MAX_STREAMS``), on a real server."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx

from learnpath.sse import LIFETIME_REACHED
from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import API, TERMINAL, LiveApp, StartServer, Tokens
from tests.e2e.test_web_pages import csrf_of

TERMINAL_EVENTS = {"task_completed", "task_partially_failed", "task_failed", "task_canceled"}


async def _slow(name: str, subject: object) -> None:
    await asyncio.sleep(0.4)


async def _read_stream(
    client: httpx.AsyncClient, url: str, last_event_id: int | None
) -> tuple[list[tuple[int, str, dict[str, Any]]], str, float]:
    """One connection: its ``(id, event, data)`` triples, the raw text and how long it lasted."""
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    started = time.monotonic()
    events: list[tuple[int, str, dict[str, Any]]] = []
    raw = ""
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        async for chunk in response.aiter_text():
            raw += chunk
    for block in raw.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if not line.startswith(":")
        )
        if "data" in fields and "id" in fields:
            events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
    return events, raw, time.monotonic() - started


async def _follow_with_reconnects(
    client: httpx.AsyncClient, url: str, done: set[str]
) -> tuple[list[int], int, list[float]]:
    """Follow ``url`` across lifetime ends, reconnecting with Last-Event-ID like a browser."""
    ids: list[int] = []
    connections = 0
    lengths: list[float] = []
    last: int | None = None
    while True:
        events, raw, seconds = await _read_stream(client, url, last)
        connections += 1
        lengths.append(seconds)
        ids += [seq for seq, kind, _ in events if kind != "end"]
        if any(kind in done for _, kind, _ in events):
            return ids, connections, lengths
        assert raw.endswith(LIFETIME_REACHED), raw[-200:]
        last = ids[-1] if ids else last
        assert connections < 60, "the stream never reached the end of the task"


@asynccontextmanager
async def _signed_in(app: LiveApp, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client signed in on the web UI with ``token``."""
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        csrf = csrf_of((await client.get("/login")).text)
        signed = await client.post("/login", data={"csrf_token": csrf, "token": token})
        assert signed.status_code == 303, signed.text
        yield client


async def test_streams_end_at_their_lifetime_and_resume_without_gaps(
    live_server: StartServer, tokens: Tokens
) -> None:
    app = live_server(team=TinyTeam(concepts=3, hook=_slow), stream_max_seconds=0.7)
    async with app.client(tokens.alice) as alice:
        task = (await alice.post(f"{API}/roadmaps/generate", json={"goal": "Learn SQL"})).json()
        url = f"{API}/tasks/{task['task_id']}/events"
        api_task, web_task = await asyncio.gather(
            _follow_with_reconnects(alice, url, TERMINAL_EVENTS),
            _follow_web(app, tokens.alice, task["task_id"]),
        )
        final = (await alice.get(f"{API}/tasks/{task['task_id']}")).json()
    assert final["status"] in TERMINAL
    for ids, connections, lengths in (api_task, web_task):
        assert connections >= 3, (connections, lengths)
        assert max(lengths) < 5.0, lengths
        assert ids == list(range(1, len(ids) + 1)), ids
    assert api_task[0] == web_task[0]


async def _follow_web(app: LiveApp, token: str, task_id: str) -> tuple[list[int], int, list[float]]:
    async with _signed_in(app, token) as client:
        return await _follow_with_reconnects(client, f"/tasks/{task_id}/stream", {"end"})


async def test_open_streams_are_capped_per_user(live_server: StartServer, tokens: Tokens) -> None:
    release = threading.Event()

    async def block(name: str, subject: object) -> None:
        while name == "intent" and not release.is_set():
            await asyncio.sleep(0.02)

    app = live_server(team=TinyTeam(hook=block), user_max_streams=2)
    async with (
        app.client(tokens.alice) as alice,
        app.client(tokens.bob) as bob,
        AsyncExitStack() as open_streams,
    ):
        task = (await alice.post(f"{API}/roadmaps/generate", json={"goal": "Learn SQL"})).json()
        url = f"{API}/tasks/{task['task_id']}/events"
        held = [await open_streams.enter_async_context(alice.stream("GET", url)) for _ in "ab"]
        assert [r.status_code for r in held] == [200, 200]

        refused = await alice.get(url)
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "too_many_streams"
        assert int(refused.headers["Retry-After"]) > 0
        async with _signed_in(app, tokens.alice) as web:
            page = await web.get(f"/tasks/{task['task_id']}/stream")
        assert page.status_code == 429 and "Retry-After" in page.headers
        assert page.headers["content-type"].startswith("text/html")

        bobs = (await bob.post(f"{API}/roadmaps/generate", json={"goal": "Learn Go"})).json()
        async with bob.stream("GET", f"{API}/tasks/{bobs['task_id']}/events") as other:
            assert other.status_code == 200

        await held[0].aclose()
        deadline = time.monotonic() + 10
        while True:
            async with alice.stream("GET", url) as again:
                if again.status_code == 200:
                    break
            assert time.monotonic() < deadline, "a closed stream never gave its slot back"
            await asyncio.sleep(0.1)
        release.set()
