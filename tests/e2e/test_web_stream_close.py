"""Closing the task page's live stream leaves nothing pending behind on the server."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from pathlib import Path

import httpx
import pytest

from learnpath.testing.teams import TinyTeam
from tests.e2e.conftest import StartServer
from tests.e2e.test_web_pages import browser_client, submit, wait_status


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The error came from aiosqlite, so this runs on SQLite."""
    return f"sqlite+aiosqlite:///{tmp_path / 'learnpath.db'}"


async def _watch_for(url: str, task_url: str, seconds: float) -> None:
    async with (
        httpx.AsyncClient(base_url=url, timeout=10) as viewer,
        viewer.stream("GET", f"{task_url}/stream") as stream,
    ):
        try:
            async with asyncio.timeout(seconds):
                async for _line in stream.aiter_lines():
                    pass
        except TimeoutError:
            pass


def test_closing_live_streams_logs_no_pending_task(
    live_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()

    async def block(name: str, subject: object) -> None:
        while name == "intent" and not release.is_set():
            await asyncio.sleep(0.02)

    app = live_server(auth="none", team=TinyTeam(hook=block))
    caplog.set_level(logging.DEBUG)
    with browser_client(app) as client:
        task_url = submit(client, goal="Learn SQL", weeks="4").headers["location"]
        wait_status(client, task_url.rsplit("/", 1)[1], "processing")
        for index in range(12):
            asyncio.run(_watch_for(app.url, task_url, index * 0.15))
        release.set()
        wait_status(client, task_url.rsplit("/", 1)[1], "completed")
    time.sleep(1.5)
    gc.collect()
    app.server.stop()
    gc.collect()
    pending = [
        r.getMessage() for r in caplog.records if "destroyed but it is pending" in r.getMessage()
    ]
    assert not pending, pending
