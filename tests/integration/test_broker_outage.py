"""The broker goes away in Celery mode, as clients see it.

Decision: while Redis (the broker) is unreachable, submits are still accepted (202): the
task and its job commit to the database, which is the source of truth, and the relay
publishes the job once the broker is back. Nothing a client asks for needs the broker
at that moment, so nothing answers 5xx; ``/readyz`` answers 503 naming the broker, and
``/admin/diagnostics`` still answers, saying the broker is unreachable. The server logs
one line when the outage starts and one when it ends, and no traceback.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.chaos_cluster import (
    API,
    Deployment,
    cluster_env,
    submit,
    unexplained_errors,
)
from tests.integration.private_services import PrivateRedis, private_redis  # noqa: F401

pytestmark = [pytest.mark.celery, pytest.mark.postgres]


async def wait_status(client: httpx.AsyncClient, task_id: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    status = "?"
    while time.monotonic() < deadline:
        status = (await client.get(f"{API}/tasks/{task_id}")).json()["status"]
        if status in ("completed", "failed", "canceled", "partial_failure"):
            return str(status)
        await asyncio.sleep(0.3)
    return str(status)


@pytest.mark.timeout(240)
async def test_broker_outage_accepts_submits_and_reports_the_broker(
    postgres_url: str,
    private_redis: PrivateRedis,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = cluster_env(postgres_url, private_redis.url, tmp_path / "data")
    deployment = Deployment(env, tmp_path, workers=1)
    statuses: list[int] = []
    try:
        await asyncio.to_thread(deployment.start)
        async with httpx.AsyncClient(base_url=deployment.url, timeout=60) as client:
            before = await submit(client, "Learn message brokers", "broker-0", statuses)
            assert await wait_status(client, before, 90) == "completed"

            await asyncio.to_thread(private_redis.kill)
            during = await submit(client, "Learn queues", "broker-1", statuses)
            ready = await client.get("/readyz")
            diagnostics = await client.get(f"{API}/admin/diagnostics")
            listed = await client.get(f"{API}/tasks")
            await asyncio.sleep(3.0)  # the relay retries meanwhile; it must not flood the log
            pending = (await client.get(f"{API}/tasks/{during}")).json()["status"]
            await asyncio.to_thread(private_redis.start)
            after = await wait_status(client, during, 120)
    finally:
        await asyncio.to_thread(deployment.stop)
    logs = deployment.logs()

    assert statuses[-1] == 202  # the submit during the outage was accepted
    assert ready.status_code == 503, ready.text
    problem = ready.json()
    assert problem["code"] == "not_ready"
    assert problem["checks"]["broker"].startswith("unreachable"), problem
    assert problem["checks"]["database"] == "ok"
    assert "broker" in problem["detail"]
    assert diagnostics.status_code == 200, diagnostics.text
    cluster = diagnostics.json()["cluster"]
    assert cluster["broker_ok"] is False
    assert any("broker unreachable" in p for p in cluster["problems"]), cluster
    assert listed.status_code == 200
    assert pending == "pending"
    assert after == "completed"

    server = logs["serve"]
    assert server.count("the broker is unavailable") == 1, server[-3000:]
    assert server.count("the broker is available again") == 1, server[-3000:]
    errors = unexplained_errors(logs)
    assert errors == [], "\n".join(errors[:40])
