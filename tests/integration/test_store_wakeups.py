"""Wake-ups belong to the store: one LISTEN connection per process on PostgreSQL, whoever
waits (the embedded executor, the relay, event streams), and none on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from learnpath.api import create_app
from learnpath.dispatch.local import LocalExecutor
from learnpath.dispatch.relay import Relay
from learnpath.runtime import open_runtime
from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.wakeup import APPLICATION_NAME
from learnpath.testing.teams import TinyTeam
from learnpath.workflow import Workflow

#: Generous bound for a condition that normally holds within milliseconds.
PATIENCE_SECONDS = 30.0


def listen_connections(database_url: str) -> int:
    """Connections to the test's own database that listen (or are the store's listener)."""
    url = make_url(database_url)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True
    ) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND (application_name = %s OR query ILIKE 'LISTEN%%')",
            (url.database, APPLICATION_NAME),
        ).fetchone()
    assert row is not None
    return int(row[0])


async def eventually(condition: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    """Wait until ``condition`` holds; fail after ``PATIENCE_SECONDS``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE_SECONDS
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            pytest.fail(f"still not {what} after {PATIENCE_SECONDS}s")
        await asyncio.sleep(0.05)


async def test_the_api_with_the_embedded_executor_listens_on_one_connection(
    settings: Settings,
) -> None:
    # Each step waits a moment, so the event stream waits for the executor's commits.
    app = create_app(settings, team=TinyTeam(concepts=2, delay=0.1))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://localhost") as client,
    ):
        store: Store = app.state.runtime.store
        assert isinstance(app.state.runtime.background, LocalExecutor)
        _, token = await store.create_user("ada")
        headers = {"Authorization": f"Bearer {token}"}
        submitted = await client.post(
            "/api/v1/roadmaps/generate", json={"goal": "Learn SQL"}, headers=headers
        )
        assert submitted.status_code == 202
        task_id = submitted.json()["task_id"]
        stream = await client.get(f"/api/v1/tasks/{task_id}/events", headers=headers)
        assert stream.status_code == 200
        assert "event: task_completed" in stream.text
        task = await client.get(f"/api/v1/tasks/{task_id}", headers=headers)
        assert task.json()["status"] == "completed"
        if store.is_postgres:
            assert store.wakeups.listening
            assert listen_connections(settings.resolved_database_url) == 1
        else:
            assert not store.wakeups.listening  # SQLite: in-process signals only


@pytest.fixture
def postgres_settings(tmp_path: Path, postgres_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        lease_seconds=5.0,
        poll_seconds=0.2,
    )


@pytest.fixture
async def pg_store(postgres_settings: Settings) -> AsyncIterator[Store]:
    async with open_runtime(postgres_settings, background=False, team=TinyTeam()) as runtime:
        yield runtime.store


@pytest.mark.postgres
async def test_executor_relay_and_streams_of_one_store_share_its_listen_connection(
    postgres_settings: Settings, pg_store: Store
) -> None:
    """Everything that waits in one process shares the store's one LISTEN connection."""
    url = postgres_settings.resolved_database_url
    relay_settings = postgres_settings.model_copy(
        update={"executor": "celery", "broker_url": "redis://127.0.0.1:1/0"}
    )
    executor = LocalExecutor(pg_store, Workflow(pg_store, TinyTeam()).run, poll_seconds=0.2)
    relay = Relay(pg_store, relay_settings)
    await executor.start()
    await relay.start()
    try:
        streams = [
            asyncio.create_task(pg_store.events_signal.wait(pg_store.events_signal.version, 60))
            for _ in range(3)
        ]
        await eventually(lambda: pg_store.wakeups.connected, "connected")
        assert listen_connections(url) == 1
        for stream in streams:
            stream.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
    finally:
        await relay.stop()
        await executor.stop()
    await pg_store.close()
    assert not pg_store.wakeups.listening
    await eventually(lambda: listen_connections(url) == 0, "closed")


@pytest.mark.postgres
async def test_a_commit_in_another_process_wakes_a_waiter(
    postgres_settings: Settings, pg_store: Store
) -> None:
    """A job queued through another store (as by another process) wakes this one's waiter."""
    seen = pg_store.jobs_signal.version
    # The first wait starts the listener; connecting wakes every waiter once.
    await pg_store.jobs_signal.wait(seen, 0.01)
    await eventually(lambda: pg_store.wakeups.connected, "connected")
    seen = pg_store.jobs_signal.version
    other = open_store(postgres_settings, pool_size=2)
    try:
        user = await other.local_user()
        woken = asyncio.create_task(pg_store.jobs_signal.wait(seen, PATIENCE_SECONDS))
        await other.submit_task(user_id=user.id, request={"goal": "Learn Rust"})
        assert await woken
        assert not other.wakeups.listening  # it never waited: no connection of its own
    finally:
        await other.close()
