"""Every PostgreSQL backend terminated again and again, and nobody notices.

``learnpath serve --executor celery`` (API, relay, SSE) and two ``learnpath worker``
processes (workflows, heartbeats, reconciler) on a private PostgreSQL and Redis. While
roadmaps run, every backend of the database is terminated every ~``EVERY`` seconds
(``pg_terminate_backend``: what a failover, a pooler restart or an administrator does).
A client submits, reads its tasks and follows one task's event stream all along.

Afterwards every task completed, no request got any 5xx, the event stream delivered
every event once and in order (reconnecting with ``Last-Event-ID`` when told to), and no
process logged an error: in particular no asyncpg ``cannot switch to state …; another
operation is in progress``, the sign of a dead connection handed out again.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.integration.chaos_cluster import (
    API,
    Deployment,
    cluster_env,
    submit,
    unexplained_errors,
)
from tests.integration.private_services import (  # noqa: F401 (fixtures)
    PrivatePostgres,
    PrivateRedis,
    private_postgres,
    private_redis,
)

pytestmark = [pytest.mark.celery, pytest.mark.postgres]

ROADMAPS = 12
EVERY = 1.5
#: Termination rounds at least, however fast the roadmaps finish.
ROUNDS = 10


async def follow(client: httpx.AsyncClient, task_id: str, reconnects: list[int]) -> list[dict]:
    """Read the task's event stream to its end, reconnecting with Last-Event-ID."""
    events: list[dict] = []
    last = 0
    while True:
        headers = {"Last-Event-ID": str(last)} if last else {}
        ended = False
        try:
            async with client.stream(
                "GET", f"{API}/tasks/{task_id}/events", headers=headers
            ) as response:
                assert response.status_code == 200, response.status_code
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        event = json.loads(line[6:])
                        events.append(event)
                        last = event["seq"]
                        if event["type"] in ("task_completed", "task_failed", "task_canceled"):
                            ended = True
        except httpx.TransportError:
            pass
        if ended:
            return events
        reconnects.append(last)
        await asyncio.sleep(0.5)


@pytest.mark.timeout(300)
async def test_terminated_backends_are_invisible_to_clients_and_tasks(
    private_postgres: PrivatePostgres,  # noqa: F811
    private_redis: PrivateRedis,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = cluster_env(private_postgres.url, private_redis.url, tmp_path / "data")
    deployment = Deployment(env, tmp_path, workers=2)
    statuses: list[int] = []
    terminations: list[int] = []
    reconnects: list[int] = []
    rng = random.Random(7)
    try:
        await asyncio.to_thread(deployment.start)
        async with httpx.AsyncClient(base_url=deployment.url, timeout=60) as client:
            first = await submit(client, "Learn PostgreSQL failover", "terminations-0", statuses)
            stream = asyncio.create_task(follow(client, first, reconnects))
            task_ids = [first]
            done = asyncio.Event()

            async def terminate() -> None:
                while not done.is_set() or len(terminations) < ROUNDS:
                    await asyncio.sleep(EVERY * rng.uniform(0.7, 1.3))
                    terminations.append(
                        await asyncio.to_thread(private_postgres.terminate_backends)
                    )

            killer = asyncio.create_task(terminate())
            for n in range(1, ROADMAPS):
                goal = f"Learn replication, part {n}"
                task_ids.append(await submit(client, goal, f"terminations-{n}", statuses))
                await asyncio.sleep(0.5)
            deadline = time.monotonic() + 200
            finished: dict[str, str] = {}
            while len(finished) < ROADMAPS and time.monotonic() < deadline:
                for task_id in task_ids:
                    if task_id in finished:
                        continue
                    response = await client.get(f"{API}/tasks/{task_id}")
                    statuses.append(response.status_code)
                    if response.status_code == 200 and response.json()["status"] in (
                        "completed",
                        "failed",
                        "canceled",
                        "partial_failure",
                    ):
                        finished[task_id] = response.json()["status"]
                listing = await client.get(f"{API}/tasks")
                statuses.append(listing.status_code)
                await asyncio.sleep(0.3)
            done.set()
            await killer
            events = await asyncio.wait_for(stream, 60)
    finally:
        await asyncio.to_thread(deployment.stop)
    logs = deployment.logs()

    assert sum(terminations) >= 2 * ROUNDS and len(terminations) >= ROUNDS, terminations
    assert set(finished.values()) == {"completed"} and len(finished) == ROADMAPS, finished
    assert [s for s in statuses if s >= 500] == [], sorted(set(statuses))
    seqs = [event["seq"] for event in events]
    assert seqs == list(range(1, len(seqs) + 1)), (seqs, reconnects)
    assert events[-1]["type"] == "task_completed"
    joined = "\n".join(logs.values())
    assert "another operation" not in joined
    assert "InternalClientError" not in joined
    errors = unexplained_errors(logs)
    assert errors == [], "\n".join(errors[:40])
    dsn = private_postgres.url.replace("postgresql+asyncpg", "postgresql")
    with psycopg.connect(dsn) as conn:
        twice = conn.execute(
            "SELECT task_id, step FROM step_runs WHERE status = 'completed' "
            "GROUP BY task_id, step HAVING count(*) > 1"
        ).fetchall()
        duplicates = conn.execute(
            "SELECT roadmap_id, concept_id, kind FROM concept_content "
            "GROUP BY roadmap_id, concept_id, kind HAVING count(*) > 1"
        ).fetchall()
    assert twice == [] and duplicates == []
