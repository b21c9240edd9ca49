"""The worker core both executors share: slots, back-pressure, and handing jobs back."""

from __future__ import annotations

import asyncio

import pytest

from learnpath.dispatch.core import WorkerCore
from learnpath.store import Lease, Store


async def submit(store: Store, n: int) -> list[int]:
    user = await store.local_user()
    job_ids = []
    for i in range(n):
        task, _ = await store.submit_task(user_id=user.id, request={"goal": f"Learn topic {i}"})
        [job] = await store.jobs_for_task(task.id)
        job_ids.append(job.id)
    return job_ids


async def test_a_full_core_claims_nothing_and_a_named_claim_waits_for_a_slot(
    store: Store,
) -> None:
    first_job, second_job = await submit(store, 2)
    entered: asyncio.Queue[int] = asyncio.Queue()
    gates = {first_job: asyncio.Event(), second_job: asyncio.Event()}

    async def handler(lease: Lease) -> None:
        await entered.put(lease.job_id)
        await gates[lease.job_id].wait()

    finished: list[int] = []
    core = WorkerCore(
        store,
        handler,
        capacity=1,
        owner="core-test",
        on_finished=lambda lease: finished.append(lease.job_id),
    )
    lease = await core.claim_next()
    assert lease is not None and lease.job_id == first_job
    assert await entered.get() == first_job
    # The one slot is taken: the next runnable job stays queued.
    assert await core.claim_next() is None
    assert (await store.get_job(second_job)).state == "queued"  # type: ignore[union-attr]

    waiting = asyncio.create_task(core.claim(second_job))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not waiting.done()  # back-pressure: no slot, no claim
    assert (await store.get_job(second_job)).state == "queued"  # type: ignore[union-attr]

    gates[first_job].set()
    second = await waiting
    assert second is not None and second.job_id == second_job
    assert await entered.get() == second_job
    assert finished == [first_job]
    assert set(core.running) == {second_job}

    gates[second_job].set()
    await asyncio.gather(*(task for _, task in core.running.values()))
    assert core.in_flight == 0
    assert finished == [first_job, second_job]
    # A job that is leased (or finished) is not claimed again, and the slot is given back.
    assert await core.claim(first_job) is None
    assert await core.claim(second_job) is None
    assert core.in_flight == 0


async def test_drain_cancels_running_jobs_and_gives_their_leases_back(store: Store) -> None:
    job_ids = await submit(store, 3)
    cancelled: list[int] = []
    entered: asyncio.Queue[int] = asyncio.Queue()

    async def handler(lease: Lease) -> None:
        await entered.put(lease.job_id)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(lease.job_id)
            raise

    core = WorkerCore(store, handler, capacity=10, owner="draining")
    while await core.claim_next() is not None:
        pass
    assert set(core.running) == set(job_ids)
    assert sorted([await entered.get() for _ in job_ids]) == sorted(job_ids)

    await core.drain()

    assert sorted(cancelled) == sorted(job_ids)
    assert core.in_flight == 0
    for job_id in job_ids:
        job = await store.get_job(job_id)
        assert job is not None
        # Queued again on the same attempt: a shutdown does not use up an attempt.
        assert (job.state, job.attempt, job.lease_owner) == ("queued", 1, None)


async def test_reserved_slots_take_only_a_user_with_nothing_running(store: Store) -> None:
    heavy, _ = await store.create_user("heavy")
    light, _ = await store.create_user("light")
    for i in range(5):
        await store.submit_task(user_id=heavy.id, request={"goal": f"Heavy topic {i}"})
    gates = [asyncio.Event()]
    freed: list[str] = []

    async def handler(lease: Lease) -> None:
        await gates[-1].wait()

    core = WorkerCore(
        store,
        handler,
        capacity=3,
        reserve=1,
        owner="core-test",
        on_finished=lambda lease: freed.append(lease.task_id),
    )
    claimed = [await core.claim_next(), await core.claim_next()]
    assert all(lease is not None for lease in claimed)
    # The ordinary slots are full and the heavy user has tasks running: the reserved slot
    # stays free although three of their jobs are runnable.
    assert await core.claim_next() is None
    assert core.in_flight == 2

    newcomer, _ = await store.submit_task(user_id=light.id, request={"goal": "Light topic"})
    lease = await core.claim_next()
    assert lease is not None and lease.task_id == newcomer.id
    assert await core.claim_next() is None  # every slot is taken now

    gates[-1].set()
    await asyncio.gather(*(task for _, task in core.running.values()))
    assert len(freed) == 3
    # Each slot went back where it came from: two ordinary ones for the heavy user's next
    # jobs, and the reserved one, which their last job may not take.
    gates.append(asyncio.Event())
    assert [await core.claim_next() is not None for _ in range(3)] == [True, True, False]
    gates[-1].set()
    await asyncio.gather(*(task for _, task in core.running.values()))


def test_a_reserve_must_leave_an_ordinary_slot() -> None:
    with pytest.raises(ValueError, match="ordinary slot"):
        WorkerCore(None, None, capacity=2, reserve=2, owner="x")  # type: ignore[arg-type]
