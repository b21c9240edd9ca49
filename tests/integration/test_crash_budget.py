"""Worker deaths are not the task's fault: progress between deaths resets the crash budget.

A lease that expires after the task committed a step is a recovery; only deaths at the
same point with no progress in between count toward ``crash_loop_limit``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, text

from learnpath.dispatch.relay import Relay
from learnpath.domain.task import Step, TaskStatus
from learnpath.settings import Settings
from learnpath.store import Lease, Store, open_store
from learnpath.store.engine import make_engines
from learnpath.store.migrate import alembic_config, upgrade
from tests.integration.celery_support import (
    WorkerGroup,
    tiny_worker_command,
    wait_terminal,
    worker_env,
)
from tests.integration.private_services import PrivateRedis, private_redis  # noqa: F401

from .test_queue_failures import Clock


@dataclass
class NoUsage:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[tuple[Store, Clock]]:
    clock = Clock()
    store = Store(
        make_engines(settings.resolved_database_url, pool_size=4),
        lease_seconds=30.0,
        max_attempts=1,
        crash_loop_limit=3,
        clock=clock,
    )
    await upgrade(store.engines.writer)
    try:
        yield store, clock
    finally:
        await store.close()


async def die(store: Store, clock: Clock, owner: str) -> tuple[Lease, tuple[int, int]]:
    """Claim the job, let its lease expire as if the worker was killed, and recover."""
    lease = await store.claim_next_job(owner)
    assert lease is not None
    clock.advance(31)
    return lease, await store.requeue_expired()


async def crash_columns(store: Store, job_id: int) -> tuple[int, int, str | None]:
    async with store.read() as conn:
        row = (
            await conn.execute(
                text("SELECT recoveries, crash_streak, crash_point FROM jobs WHERE id = :j"),
                {"j": job_id},
            )
        ).one()
    return int(row.recoveries), int(row.crash_streak), row.crash_point


async def test_progress_between_deaths_is_a_recovery_and_resets_the_streak(
    clocked: tuple[Store, Clock],
) -> None:
    store, clock = clocked
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn Haskell"})

    # Two deaths before any progress: the streak grows but stays under the limit of 3,
    # and max_attempts=1 uses no budget at all.
    for n in (1, 2):
        lease, outcome = await die(store, clock, f"worker-{n}")
        assert outcome == (1, 0)
        assert await crash_columns(store, lease.job_id) == (n, n, "step queued")

    # This run commits a step before its worker dies: a recovery, the streak restarts.
    claimed = await store.claim_next_job("worker-3")
    assert claimed is not None
    lease = claimed
    run_id = await store.start_step(lease, Step.INTENT_ANALYSIS)
    await store.save_intent(lease, run_id, NoUsage(), {"topic": "Haskell"}, Step.CURRICULUM_DESIGN)
    clock.advance(31)
    assert await store.requeue_expired() == (1, 0)
    assert await crash_columns(store, lease.job_id) == (3, 1, "step curriculum_design")
    requeued = [e for e in await store.events_after(task.id) if e.type == "task_requeued"]
    assert [e.data["progressed"] for e in requeued] == [False, False, True]

    # Two more deaths at curriculum design with no progress reach the limit.
    _, outcome = await die(store, clock, "worker-4")
    assert outcome == (1, 0)
    _, outcome = await die(store, clock, "worker-5")
    assert outcome == (0, 1)

    failed = await store.get_task(task.id)
    assert failed.status is TaskStatus.FAILED
    assert failed.error is not None
    assert failed.error.code == "worker_crash_loop"
    assert failed.error.step == "curriculum_design"
    assert "3 times in a row at step curriculum_design" in failed.error.message
    (job,) = await store.jobs_for_task(task.id)
    assert (job.state, job.attempt) == ("failed", 5)


async def test_crash_budget_migration_adds_and_removes_its_columns(
    database_url: str,
) -> None:
    engine = make_engines(database_url, pool_size=1).writer

    def migrate(target: str, down: bool = False) -> Callable[[Any], None]:
        def run(sync_conn: Any) -> None:
            config = alembic_config(str(engine.url))
            config.attributes["connection"] = sync_conn
            (command.downgrade if down else command.upgrade)(config, target)

        return run

    try:
        async with engine.begin() as conn:
            await conn.run_sync(migrate("0001"))
        async with engine.begin() as conn:
            await conn.run_sync(migrate("0002"))
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("jobs")}
            )
            assert {"progress_seq", "claimed_progress", "recoveries", "crash_streak"} <= columns
            await conn.run_sync(migrate("0001", down=True))
            columns = await conn.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("jobs")}
            )
            assert "crash_streak" not in columns
    finally:
        await engine.dispose()


async def test_doctor_report_counts_recoveries_and_says_why(
    clocked: tuple[Store, Clock],
) -> None:
    store, clock = clocked
    user = await store.local_user()
    first, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn Haskell"})
    await store.submit_task(user_id=user.id, request={"goal": "Learn Rust"})
    assert (await store.queue_report()).recoveries == 0

    await die(store, clock, "worker-a")  # the oldest job: first's
    await die(store, clock, "worker-b")  # first's again (requeued, still the oldest)
    report = await store.queue_report()

    assert report.recoveries == 2
    assert report.recovered_tasks == 1
    assert report.recent_recoveries[0]["task_id"] == first.id
    assert "worker-b" in report.recent_recoveries[0]["reason"]


LEASE_SECONDS = 2.0
POLL_SECONDS = 0.5


@pytest.mark.celery
@pytest.mark.postgres
@pytest.mark.timeout(180)
async def test_a_killed_workers_job_is_back_within_a_lease_and_a_reconciler_tick(
    postgres_url: str,
    private_redis: PrivateRedis,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Recovery speed: SIGKILL the worker running a job; the job is requeued (and then
    completed by the surviving worker) within one lease period plus one reconciler tick."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        broker_url=private_redis.url,
        executor="celery",
        lease_seconds=LEASE_SECONDS,
        poll_seconds=POLL_SECONDS,
        publish_deadline_seconds=5.0,
    )
    store = open_store(settings)
    await upgrade(store.engines.writer)
    env = worker_env(
        postgres_url,
        private_redis.url,
        lease_seconds=LEASE_SECONDS,
        poll_seconds=POLL_SECONDS,
        extra={"LPTEST_TEAM_DELAY": "1.0", "LPTEST_TEAM_CONCEPTS": "4"},
    )
    relay = Relay(store, settings)
    try:
        with WorkerGroup(tiny_worker_command(), env, tmp_path) as group:
            group.add()
            group.add()
            await relay.start()
            user = await store.local_user()
            task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn Erlang"})
            (job,) = await store.jobs_for_task(task.id)
            deadline = time.monotonic() + 60
            while (running := await store.get_job(job.id)) is None or running.state != "running":
                assert time.monotonic() < deadline, "the job never started"
                await asyncio.sleep(0.05)
            assert running.lease_owner is not None
            pid = int(running.lease_owner.split(":")[1])  # celery@host:pid:nonce
            [victim] = [w for w in group.workers if w.process and w.process.pid == pid]
            victim.kill()  # the other worker survives and runs the reconciler
            killed_at = time.monotonic()
            while True:
                current = await store.get_job(job.id)
                assert current is not None
                if current.attempt > job.attempt:
                    break
                assert time.monotonic() - killed_at < 30, "the job was never requeued"
                await asyncio.sleep(0.05)
            requeued_after = time.monotonic() - killed_at
            (done,) = await wait_terminal(store, [task.id], timeout=60)
    finally:
        await relay.stop()
        await store.close()

    # The lease ran out at most LEASE_SECONDS after the kill; the next reconciler tick
    # (every POLL_SECONDS) requeues it. A little slack for a loaded machine.
    assert requeued_after <= LEASE_SECONDS + POLL_SECONDS + 1.0, requeued_after
    assert done.status == "completed"
