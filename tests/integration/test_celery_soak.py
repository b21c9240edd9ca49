"""Fault soak: roadmaps on three Celery worker processes while everything breaks.

Workers are SIGKILLed and restarted at random, Redis is restarted without persistence
(every queued message is lost), and PostgreSQL backends are terminated. Afterwards every
task is ``completed``, each exactly once: no duplicate content, nothing left queued or
running, no foreign-key violation, and the retried attempts are recorded.

The CI-sized run (30 roadmaps) always runs; the full run is
``pytest -p no:cacheprovider -m slow tests/integration/test_celery_soak.py``.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest

from learnpath.dispatch.relay import Relay
from learnpath.settings import Settings
from learnpath.store import open_store
from learnpath.store.migrate import upgrade
from tests.conftest import require_service
from tests.integration.celery_support import (
    WorkerGroup,
    flush_redis_db,
    redis_available,
    redis_restored,
    scalar_rows,
    start_redis,
    stop_redis,
    terminate_backends,
    tiny_worker_command,
    wait_terminal,
    worker_env,
)

pytestmark = [pytest.mark.celery, pytest.mark.postgres]

WORKERS = 3
CONCEPTS = 3
LEASE_SECONDS = 3.0
MAX_ATTEMPTS = 25


@pytest.mark.parametrize(
    ("roadmaps", "submit_window"),
    [
        pytest.param(30, 8.0, id="ci-30"),
        pytest.param(300, 40.0, id="full-300", marks=[pytest.mark.slow, pytest.mark.timeout(1200)]),
    ],
)
async def test_fault_soak_every_task_completes_exactly_once(
    roadmaps: int, submit_window: float, postgres_url: str, tmp_path: Path
) -> None:
    require_service(redis_available(), "Redis at 127.0.0.1:6379")
    db = random.randint(1, 15)
    flush_redis_db(db)
    broker = f"redis://127.0.0.1:6379/{db}"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        broker_url=broker,
        executor="celery",
        lease_seconds=LEASE_SECONDS,
        poll_seconds=0.3,
        publish_deadline_seconds=4.0,
        max_attempts=MAX_ATTEMPTS,  # jobs take this from the submitting store
    )
    store = open_store(settings, pool_size=10)
    await upgrade(store.engines.writer)
    database = postgres_url.rsplit("/", 1)[1]
    env = worker_env(
        postgres_url,
        broker,
        lease_seconds=LEASE_SECONDS,
        poll_seconds=0.5,
        publish_deadline_seconds=4.0,
        max_attempts=MAX_ATTEMPTS,
        extra={"LPTEST_TEAM_DELAY": "0.2", "LPTEST_TEAM_CONCEPTS": str(CONCEPTS)},
    )
    rng = random.Random(roadmaps)
    faults: list[str] = []
    relay = Relay(store, settings)
    try:
        with redis_restored(), WorkerGroup(tiny_worker_command(), env, tmp_path) as group:
            for _ in range(WORKERS):
                group.add(wait=False)
            for worker in group.workers:
                await asyncio.to_thread(worker.wait_ready)
            await relay.start()
            user = await store.local_user()
            task_ids: list[str] = []
            stop_faults = asyncio.Event()

            async def submit_all() -> None:
                for n in range(roadmaps):
                    task, _ = await store.submit_task(
                        user_id=user.id, request={"goal": f"Learn distributed systems {n}"}
                    )
                    task_ids.append(task.id)
                    await asyncio.sleep(submit_window / roadmaps)

            async def break_things() -> None:
                started = time.monotonic()
                redis_at, pg_at = submit_window * 0.3, submit_window * 0.6
                while not stop_faults.is_set():
                    await asyncio.sleep(rng.uniform(0.8, 2.0))
                    elapsed = time.monotonic() - started
                    if redis_at is not None and elapsed >= redis_at:
                        redis_at = None
                        await asyncio.to_thread(stop_redis)
                        await asyncio.sleep(1.0)
                        await asyncio.to_thread(start_redis)
                        faults.append("redis restarted")
                    elif pg_at is not None and elapsed >= pg_at:
                        pg_at = None
                        killed = await asyncio.to_thread(terminate_backends, database)
                        faults.append(f"terminated {killed} postgres backends")
                    else:
                        victim = await asyncio.to_thread(group.kill_random, rng)
                        if victim is not None:
                            faults.append(f"SIGKILL {victim.name}")
                        if len(group.alive) < WORKERS:
                            group.add(wait=False)

            chaos = asyncio.create_task(break_things())
            await submit_all()
            await asyncio.sleep(3.0)  # faults go on a little after the last submit
            stop_faults.set()
            await chaos
            while len(group.alive) < WORKERS:
                group.add(wait=False)
            try:
                tasks = await wait_terminal(store, task_ids, timeout=120 + roadmaps)
            except TimeoutError as exc:
                raise AssertionError(f"{exc}\nfaults: {faults}\n{group.logs()[-6000:]}") from exc
            logs = group.logs()
    finally:
        await relay.stop()

    try:
        assert "redis restarted" in faults
        assert any(f.startswith("terminated") for f in faults)
        assert sum(f.startswith("SIGKILL") for f in faults) >= 2, faults
        not_done = [(t.id, t.status, t.error) for t in tasks if t.status != "completed"]
        assert not_done == [], not_done
        assert all(t.progress_done == t.progress_total == CONCEPTS for t in tasks)

        left = await scalar_rows(
            store, "SELECT state, count(*) FROM jobs GROUP BY state ORDER BY state"
        )
        assert dict(left) == {"done": roadmaps}, left
        statuses = await scalar_rows(store, "SELECT status, count(*) FROM tasks GROUP BY status")
        assert dict(statuses) == {"completed": roadmaps}
        duplicates = await scalar_rows(
            store,
            "SELECT roadmap_id, concept_id, kind, count(*) FROM concept_content "
            "GROUP BY roadmap_id, concept_id, kind HAVING count(*) > 1",
        )
        assert duplicates == []
        [(content_rows,)] = await scalar_rows(
            store, "SELECT count(*) FROM concept_content WHERE status = 'completed'"
        )
        assert content_rows == roadmaps * CONCEPTS * 3
        [(roadmap_rows,)] = await scalar_rows(store, "SELECT count(*) FROM roadmaps")
        assert roadmap_rows == roadmaps
        assert "violates foreign key" not in logs
        assert "ForeignKeyViolation" not in logs

        # Retried attempts are recorded, on the job and on the step runs of each attempt.
        [(retried,)] = await scalar_rows(store, "SELECT count(*) FROM jobs WHERE attempt > 1")
        assert retried >= 1, faults
        mismatched = await scalar_rows(
            store,
            "SELECT s.id FROM step_runs s JOIN jobs j ON j.id = s.job_id "
            "WHERE s.attempt > j.attempt",
        )
        assert mismatched == []
        [(requeued_events,)] = await scalar_rows(
            store, "SELECT count(*) FROM task_events WHERE type = 'task_requeued'"
        )
        assert requeued_events >= retried
    finally:
        await store.close()
