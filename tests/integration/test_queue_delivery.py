"""Delivery: a job delivered twice runs once, a stopping worker hands its job back, and a
submission wakes an idle executor at once rather than at its next poll."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from learnpath.dispatch.local import LocalExecutor
from learnpath.dispatch.runner import JobRunner
from learnpath.domain.task import TaskStatus
from learnpath.settings import Settings
from learnpath.store import Lease, Store, open_store
from learnpath.testing.teams import TinyTeam
from learnpath.workflow import Workflow


@pytest.fixture
async def other_store(store: Store, settings: Settings) -> AsyncIterator[Store]:
    """A second Store on the same database: its own engines and connections."""
    other = open_store(settings, pool_size=4)
    try:
        yield other
    finally:
        await other.close()


async def submit(store: Store, n: int, **request: Any) -> list[str]:
    user = await store.local_user()
    made = [
        await store.submit_task(user_id=user.id, request={"goal": f"Learn topic {i}", **request})
        for i in range(n)
    ]
    return [task.id for task, _ in made]


async def job_of(store: Store, task_id: str) -> int:
    (job,) = await store.jobs_for_task(task_id)
    return job.id


async def test_two_claims_of_one_job_give_exactly_one_lease(
    store: Store, other_store: Store
) -> None:
    task_ids = await submit(store, 20)
    for task_id in task_ids:
        job_id = await job_of(store, task_id)
        leases = await asyncio.gather(
            store.claim_job(job_id, "first"), other_store.claim_job(job_id, "second")
        )
        won = [lease for lease in leases if lease is not None]
        assert len(won) == 1, leases
        assert won[0].job_id == job_id
        assert won[0].attempt == 1
        # A third, late delivery finds the lease taken.
        assert await other_store.claim_job(job_id, "late") is None
        events = [e.type for e in await store.events_after(task_id)]
        assert events == ["task_created", "task_started"]


async def test_concurrent_claim_next_hands_each_job_to_one_claimant(
    store: Store, other_store: Store
) -> None:
    await submit(store, 30)
    claims = [s.claim_next_job(f"claimant-{n}") for n in range(25) for s in (store, other_store)]
    leases = [lease for lease in await asyncio.gather(*claims) if lease is not None]
    assert len(leases) == 30
    assert len({lease.job_id for lease in leases}) == 30
    assert len({lease.token for lease in leases}) == 30
    assert await store.claim_next_job("late") is None


async def test_two_executors_racing_on_one_job_run_it_once(
    store: Store, other_store: Store
) -> None:
    task_ids = await submit(store, 5)
    calls: Counter[int] = Counter()

    def counting(s: Store) -> Any:
        workflow = Workflow(s, TinyTeam(delay=0.01))

        async def run(lease: Lease) -> None:
            calls[lease.job_id] += 1
            await workflow.run(lease)

        return run

    executors = [LocalExecutor(s, counting(s), poll_seconds=0.05) for s in (store, other_store)]
    await asyncio.gather(*(e.run_until_idle(timeout=60) for e in executors))
    assert sorted(calls) == sorted([await job_of(store, t) for t in task_ids])
    assert set(calls.values()) == {1}
    for task_id in task_ids:
        assert (await store.get_task(task_id)).status is TaskStatus.COMPLETED
        assert [(r.step, r.attempt) for r in await store.step_runs(task_id)] == [
            ("intent_analysis", 1),
            ("curriculum_design", 1),
            ("structure_validation", 1),
            ("content_generation", 1),
        ]


async def test_duplicate_deliveries_of_one_job_id_run_the_handler_once(
    store: Store, other_store: Store
) -> None:
    """What a broker's redelivery looks like: the same job id handed to two workers at once."""
    (task_id,) = await submit(store, 1)
    job_id = await job_of(store, task_id)
    calls: list[str] = []

    async def deliver(s: Store, owner: str) -> None:
        lease = await s.claim_job(job_id, owner)
        if lease is None:
            return
        workflow = Workflow(s, TinyTeam(delay=0.01))

        async def handler(lease: Lease) -> None:
            calls.append(owner)
            await workflow.run(lease)

        await JobRunner(s, handler).run(lease)

    await asyncio.gather(deliver(store, "a"), deliver(other_store, "b"), deliver(store, "c"))
    assert len(calls) == 1
    assert (await store.get_task(task_id)).status is TaskStatus.COMPLETED
    # Delivered once more after it finished: nothing happens.
    await deliver(other_store, "d")
    assert len(calls) == 1


async def test_graceful_stop_releases_the_lease_and_another_executor_finishes(
    store: Store, other_store: Store
) -> None:
    (task_id,) = await submit(store, 1)
    blocked = asyncio.Event()

    async def hook(name: str, _subject: object) -> None:
        if name == "curriculum":
            blocked.set()
            await asyncio.Event().wait()

    first_team = TinyTeam(hook=hook)
    first = LocalExecutor(store, Workflow(store, first_team).run, poll_seconds=0.1)
    await first.start()
    await asyncio.wait_for(blocked.wait(), timeout=30)
    await first.stop()

    (job,) = await store.jobs_for_task(task_id)
    assert (job.state, job.attempt, job.lease_owner) == ("queued", 1, None)
    stopped = await store.get_task(task_id)
    assert stopped.status is TaskStatus.PENDING
    assert (await store.events_after(task_id))[-1].type == "task_released"

    second_team = TinyTeam()
    second = LocalExecutor(other_store, Workflow(other_store, second_team).run, poll_seconds=0.1)
    await second.run_until_idle(timeout=30)
    assert (await store.get_task(task_id)).status is TaskStatus.COMPLETED
    (job,) = await store.jobs_for_task(task_id)
    assert (job.state, job.attempt) == ("done", 1)
    assert first_team.calls["intent"] == 1
    assert second_team.calls["intent"] == 0
    assert second_team.calls["curriculum"] == 1
    steps = [(r.step, r.status) for r in await store.step_runs(task_id)]
    assert steps.count(("intent_analysis", "completed")) == 1
    # The interrupted step run is closed, not left "running" forever.
    assert [s for s in steps if s[1] == "running"] == []


async def test_submission_wakes_an_idle_executor_without_waiting_for_a_poll(
    store: Store, other_store: Store
) -> None:
    """SQLite: the in-process signal. PostgreSQL: NOTIFY from another Store, heard by LISTEN."""
    claimed = asyncio.Event()
    workflow = Workflow(store, TinyTeam())

    async def handler(lease: Lease) -> None:
        claimed.set()
        await workflow.run(lease)

    executor = LocalExecutor(store, handler, poll_seconds=30.0)
    await executor.start()
    try:
        await asyncio.sleep(1.0)  # let it go idle (and, on PostgreSQL, start listening)
        submitter = other_store if store.is_postgres else store
        started = time.monotonic()
        (task_id,) = await submit(submitter, 1)
        await asyncio.wait_for(claimed.wait(), timeout=10)
        waited = time.monotonic() - started
    finally:
        await executor.stop()
    assert waited < 5.0, f"claimed {waited:.1f}s after submission; the poll interval is 30s"
    assert [j.state for j in await store.jobs_for_task(task_id)] in (["done"], ["queued"])
