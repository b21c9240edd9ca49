"""Celery mode against real PostgreSQL, Redis (and RabbitMQ), with real worker processes.

Each test starts ``celery worker`` subprocesses and a relay in the test's own loop, then
checks the database: a job runs exactly once whatever the broker and the relay do.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from learnpath.dispatch.celery_app import TASK_NAME, make_celery
from learnpath.dispatch.cluster import cluster_report, fix_cluster
from learnpath.dispatch.relay import Relay
from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.migrate import upgrade
from tests.conftest import require_service
from tests.integration.celery_support import (
    WorkerGroup,
    celery_worker_command,
    flush_redis_db,
    rabbitmq_available,
    redis_available,
    redis_restored,
    scalar_rows,
    start_redis,
    stop_redis,
    tiny_worker_command,
    wait_terminal,
    worker_env,
)

pytestmark = [pytest.mark.celery, pytest.mark.postgres]

RABBIT_BROKER = "amqp://guest:guest@127.0.0.1:5672//"


def celery_settings(database_url: str, broker_url: str, tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=database_url,
        broker_url=broker_url,
        executor="celery",
        lease_seconds=3.0,
        poll_seconds=0.3,
        publish_deadline_seconds=5.0,
    )


@pytest.fixture
def redis_broker() -> str:
    """A Redis database of its own (other runs on this machine may share the server)."""
    require_service(redis_available(), "Redis at 127.0.0.1:6379")
    db = random.randint(1, 15)
    flush_redis_db(db)
    return f"redis://127.0.0.1:6379/{db}"


@pytest.fixture
async def celery_store(
    postgres_url: str, redis_broker: str, tmp_path: Path
) -> AsyncIterator[Store]:
    store = open_store(celery_settings(postgres_url, redis_broker, tmp_path), pool_size=10)
    await upgrade(store.engines.writer)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def workers(postgres_url: str, redis_broker: str, tmp_path: Path) -> Any:
    group = WorkerGroup(tiny_worker_command(), worker_env(postgres_url, redis_broker), tmp_path)
    with group:
        yield group


async def submit(store: Store, count: int, goal: str = "Learn SQL") -> list[str]:
    user = await store.local_user()
    return [
        (await store.submit_task(user_id=user.id, request={"goal": f"{goal} {n}"}))[0].id
        for n in range(count)
    ]


async def assert_ran_once(store: Store, task_id: str) -> None:
    runs = await store.step_runs(task_id)
    per_step = Counter(run.step for run in runs)
    assert all(count == 1 for count in per_step.values()), per_step
    jobs = await store.jobs_for_task(task_id)
    assert [(j.state, j.attempt) for j in jobs] == [("done", 1)], jobs
    duplicates = await scalar_rows(
        store,
        "SELECT concept_id, kind, count(*) FROM concept_content "
        "GROUP BY roadmap_id, concept_id, kind HAVING count(*) > 1",
    )
    assert duplicates == []


async def test_relay_crash_between_publish_and_mark_runs_the_job_once(
    celery_store: Store, workers: WorkerGroup, postgres_url: str, redis_broker: str, tmp_path: Path
) -> None:
    class CrashingRelay(Relay):
        async def _mark_published(self, job_ids: list[int], conn: Any) -> None:
            raise RuntimeError("relay died after publishing")

    settings = celery_settings(postgres_url, redis_broker, tmp_path)
    [task_id] = await submit(celery_store, 1)
    crashing = CrashingRelay(celery_store, settings)
    with pytest.raises(RuntimeError, match="relay died"):
        await crashing.publish_once()
    await crashing.stop()
    [job] = await celery_store.jobs_for_task(task_id)
    assert job.published_at is None  # published, but the table does not know it

    fresh = Relay(celery_store, settings)
    try:
        assert await fresh.publish_once() == 1  # the re-scan sends it again
    finally:
        await fresh.stop()
    # Only now a worker starts: it finds the job's message twice in the broker.
    workers.add()
    [task] = await wait_terminal(celery_store, [task_id], timeout=60)
    assert task.status == "completed", task
    await assert_ran_once(celery_store, task_id)


async def test_broker_down_at_submit_then_back(
    celery_store: Store, workers: WorkerGroup, postgres_url: str, redis_broker: str, tmp_path: Path
) -> None:
    workers.add()
    settings = celery_settings(postgres_url, redis_broker, tmp_path)
    relay = Relay(celery_store, settings)
    with redis_restored():
        await asyncio.to_thread(stop_redis)
        await relay.start()
        try:
            task_ids = await submit(celery_store, 2)  # accepted while the broker is down
            await asyncio.sleep(2.0)
            for task_id in task_ids:
                task = await celery_store.get_task(task_id)
                assert (task.status, task.current_step) == ("pending", "queued")
                [job] = await celery_store.jobs_for_task(task_id)
                assert (job.state, job.published_at) == ("queued", None)
            await asyncio.to_thread(start_redis)
            tasks = await wait_terminal(celery_store, task_ids, timeout=90)
        finally:
            await relay.stop()
    assert [t.status for t in tasks] == ["completed", "completed"]
    for task_id in task_ids:
        await assert_ran_once(celery_store, task_id)


async def test_duplicated_message_runs_once_and_unknown_id_is_dropped(
    celery_store: Store, workers: WorkerGroup, postgres_url: str, redis_broker: str, tmp_path: Path
) -> None:
    workers.add()
    workers.add()
    settings = celery_settings(postgres_url, redis_broker, tmp_path)
    app = make_celery(settings)
    try:
        app.send_task(TASK_NAME, args=[987654], task_id="987654")  # no such job
        [task_id] = await submit(celery_store, 1)
        [job] = await celery_store.jobs_for_task(task_id)
        for _ in range(3):  # the same job, three messages, two workers
            app.send_task(TASK_NAME, args=[job.id], task_id=str(job.id))
        [task] = await wait_terminal(celery_store, [task_id], timeout=60)
        assert task.status == "completed", task
        await assert_ran_once(celery_store, task_id)

        dropped = "987654: not in the database after 4 retries"
        for _ in range(150):
            if dropped in workers.logs():
                break
            await asyncio.sleep(0.2)
        assert dropped in workers.logs()
        assert len(workers.alive) == 2
        assert "leased elsewhere or finished; message dropped" in workers.logs()

        report = await cluster_report(celery_store, settings, app=app)
        assert report.broker_ok
        assert len(report.workers) == 2, report
        assert report.healthy, report.verdict
        fixed = await fix_cluster(celery_store, settings)
        assert fixed.publish_error is None
    finally:
        app.close()


async def test_rabbitmq_smoke_one_roadmap_end_to_end(postgres_url: str, tmp_path: Path) -> None:
    require_service(rabbitmq_available(), "RabbitMQ at 127.0.0.1:5672")
    settings = celery_settings(postgres_url, RABBIT_BROKER, tmp_path)
    store = open_store(settings)
    await upgrade(store.engines.writer)
    purger = make_celery(settings)
    await asyncio.to_thread(purger.control.purge)  # messages left by earlier runs
    purger.close()
    command = celery_worker_command()  # the project's own app module, offline model
    with WorkerGroup(command, worker_env(postgres_url, RABBIT_BROKER), tmp_path) as group:
        group.add()
        relay = Relay(store, settings)
        await relay.start()
        try:
            [task_id] = await submit(store, 1, goal="Become a backend engineer")
            [task] = await wait_terminal(store, [task_id], timeout=120)
        finally:
            await relay.stop()
            await store.close()
    assert task.status == "completed", task
    assert task.progress_total > 0
    assert task.progress_done == task.progress_total
