"""A real uvicorn server on a loopback port running the app, and helpers to talk to it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from learnpath.agents import AgentTeam
from learnpath.api import create_app
from learnpath.settings import Settings
from learnpath.store import Store
from learnpath.testing.server import ServerThread
from learnpath.testing.teams import TinyTeam

API = "/api/v1"
TERMINAL = {"completed", "partial_failure", "failed", "canceled"}


@dataclass
class LiveApp:
    url: str
    settings: Settings
    server: ServerThread

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30, **kwargs)


StartServer = Callable[..., LiveApp]


@pytest.fixture
def live_server(make_settings: Any) -> Iterator[StartServer]:
    """Start the app under uvicorn: ``live_server(team=…, sse_keepalive_seconds=…, **settings)``."""
    servers: list[ServerThread] = []

    def start(
        *, team: AgentTeam | None = None, sse_keepalive_seconds: float = 15.0, **overrides: Any
    ) -> LiveApp:
        settings: Settings = make_settings(**overrides)
        app = create_app(
            settings,
            team=team if team is not None else TinyTeam(concepts=2),
            sse_keepalive_seconds=sse_keepalive_seconds,
        )
        server = ServerThread(app)
        servers.append(server)
        url = server.start()
        return LiveApp(url=url, settings=settings, server=server)

    yield start
    for server in servers:
        server.stop()


@dataclass(frozen=True)
class Tokens:
    alice: str
    bob: str
    admin: str


@pytest.fixture
async def tokens(store: Store) -> Tokens:
    """Two ordinary users and an administrator, in the test's database."""
    _, alice = await store.create_user("alice")
    _, bob = await store.create_user("bob")
    _, admin = await store.create_user("root", admin=True)
    return Tokens(alice=alice, bob=bob, admin=admin)


async def wait_for_task(
    client: httpx.AsyncClient, task_id: str, statuses: set[str], timeout: float = 30.0
) -> dict[str, Any]:
    """Poll the task until its status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"{API}/tasks/{task_id}")
        assert response.status_code == 200, response.text
        task: dict[str, Any] = response.json()
        if task["status"] in statuses:
            return task
        if time.monotonic() > deadline:
            raise AssertionError(f"task stayed {task['status']}, wanted {statuses}: {task}")
        await asyncio.sleep(0.05)


async def read_events(
    client: httpx.AsyncClient,
    task_id: str,
    *,
    last_event_id: int | None = None,
    after: int | None = None,
    stop_after: int | None = None,
    timeout: float = 30.0,
) -> list[dict[str, Any]]:
    """Read the SSE stream until it ends (or ``stop_after`` events, then disconnect).

    Each event is its JSON ``data`` plus the SSE ``id`` and ``event`` fields.
    """
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    params = {} if after is None else {"after": after}
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        async with client.stream(
            "GET", f"{API}/tasks/{task_id}/events", headers=headers, params=params
        ) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            fields: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    continue
                if line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                    continue
                if "data" in fields:
                    event = json.loads(fields["data"])
                    event["sse_id"] = int(fields["id"])
                    event["sse_event"] = fields["event"]
                    events.append(event)
                    if stop_after is not None and len(events) >= stop_after:
                        break
                fields = {}
    return events
