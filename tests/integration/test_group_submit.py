"""Group commit of submits, on both backends: submits that arrive together share one
transaction, and each keeps its guarantees (quota with the batch's earlier members counted,
idempotency keys, fair ranks, task + job + first event), and one that cannot be written
fails alone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from learnpath.domain.quota import QuotaExceeded, SubmitLimits
from learnpath.store import Store
from learnpath.store.queue import Submission
from learnpath.store.tables import jobs, task_events, tasks

REQUEST = {"goal": "Learn SQL"}


async def submit_many(
    store: Store, user_id: str, count: int, *, limits: SubmitLimits | None, key: str | None = None
) -> list[tuple[Any, bool] | BaseException]:
    """``count`` submits at once (they all reach the store before the first batch runs)."""
    return await asyncio.gather(
        *(
            store.submit_task(
                user_id=user_id,
                request={"goal": f"Learn SQL {n}"} if key is None else REQUEST,
                idempotency_key=key,
                limits=limits,
            )
            for n in range(count)
        ),
        return_exceptions=True,
    )


def accepted(results: list[Any]) -> list[Any]:
    return [r[0] for r in results if isinstance(r, tuple)]


def refused(results: list[Any]) -> list[QuotaExceeded]:
    return [r for r in results if isinstance(r, QuotaExceeded)]


async def test_concurrent_submits_share_a_transaction_and_keep_each_users_active_limit(
    store: Store,
) -> None:
    users = [(await store.create_user(name))[0] for name in ("ada", "bob", "cy")]
    limits = SubmitLimits(max_active=5, per_minute=100)
    batches = store._intake.batches
    results = await asyncio.gather(
        *(submit_many(store, user.id, 12, limits=limits) for user in users)
    )
    assert store._intake.batches - batches < 36  # written together, not one by one
    for per_user in results:
        assert len(accepted(per_user)) == 5
        assert [r.limit for r in refused(per_user)] == ["active_tasks"] * 7
        assert len(accepted(per_user)) + len(refused(per_user)) == 12
    counts = await store.quota_refusals()
    assert counts == {"active_tasks": {"ada": 7, "bob": 7, "cy": 7}}
    for user in users:
        await assert_each_task_has_its_job_and_first_event(store, user.id, 5)


async def test_the_per_minute_limit_counts_earlier_submits_and_the_batch(store: Store) -> None:
    user, _ = await store.create_user("ada")
    limits = SubmitLimits(max_active=100, per_minute=4)
    assert len(accepted(await submit_many(store, user.id, 1, limits=limits))) == 1
    results = await submit_many(store, user.id, 6, limits=limits)
    assert len(accepted(results)) == 3
    assert [(r.limit, r.retry_after) for r in refused(results)] == [("submits_per_minute", 60)] * 3


async def test_one_key_submitted_many_times_at_once_makes_one_task(store: Store) -> None:
    user, _ = await store.create_user("ada")
    limits = SubmitLimits(max_active=3, per_minute=100)
    results = await submit_many(store, user.id, 10, limits=limits, key="same-key")
    assert all(isinstance(r, tuple) for r in results)  # a repeat is never refused
    assert len({r[0].id for r in results}) == 1  # type: ignore[index]
    assert sum(r[1] for r in results) == 1  # type: ignore[index]
    await assert_each_task_has_its_job_and_first_event(store, user.id, 1)
    assert await store.quota_refusals() == {}


async def test_a_submit_that_cannot_be_written_fails_alone(store: Store) -> None:
    user, _ = await store.create_user("ada")
    earlier, _ = await store.submit_task(user_id=user.id, request=REQUEST, idempotency_key="k1")
    batch = [
        Submission(user.id, {"goal": "Learn Go"}, None, None),
        # Its key was used since the API looked (a concurrent request): the existing task.
        Submission(user.id, REQUEST, "k1", None),
        # A user that does not exist: this submit's own error.
        Submission("no-such-user", REQUEST, None, None),
        Submission(user.id, {"goal": "Learn Rust"}, "k2", None),
    ]
    outcomes = await store._write_submissions(batch)
    first, repeat, broken, last = outcomes
    assert isinstance(first, tuple) and first[1] and first[0].goal == "Learn Go"
    assert isinstance(repeat, tuple) and repeat == (earlier, False)
    assert isinstance(broken, IntegrityError)
    assert isinstance(last, tuple) and last[1] and last[0].goal == "Learn Rust"
    await assert_each_task_has_its_job_and_first_event(store, user.id, 3)


async def test_a_batch_gives_each_user_consecutive_fair_ranks(store: Store) -> None:
    ada, _ = await store.create_user("ada")
    bob, _ = await store.create_user("bob")
    batch = [
        Submission(ada.id, {"goal": f"Learn {n}"}, None, None) for n in ("Go", "SQL", "Rust")
    ] + [Submission(bob.id, {"goal": "Learn C"}, None, None)]
    outcomes = await store._submit_together(batch)
    async with store.read() as conn:
        rows = await conn.execute(select(jobs.c.task_id, jobs.c.fair_rank))
        ranks = {task_id: rank for task_id, rank in rows}
    ada_ranks = [ranks[o[0].id] for o in outcomes[:3]]  # type: ignore[index]
    assert ada_ranks == [ada_ranks[0], ada_ranks[0] + 1, ada_ranks[0] + 2]
    # Bob's one job goes in at the queue's virtual time: with Ada's first, not after all three.
    assert ranks[outcomes[3][0].id] == ada_ranks[0]  # type: ignore[index]
    lease = await store.claim_next_job("w")
    second = await store.claim_next_job("w")
    assert lease is not None and second is not None
    assert {lease.task_id, second.task_id} == {outcomes[0][0].id, outcomes[3][0].id}  # type: ignore[index]


async def assert_each_task_has_its_job_and_first_event(
    store: Store, user_id: str, count: int
) -> None:
    async with store.read() as conn:
        rows = (
            await conn.execute(
                select(tasks.c.id, tasks.c.status, tasks.c.event_seq).where(
                    tasks.c.user_id == user_id
                )
            )
        ).all()
        assert len(rows) == count
        for row in rows:
            assert (row.status, row.event_seq) == ("pending", 1)
            states = (
                await conn.execute(select(jobs.c.state).where(jobs.c.task_id == row.id))
            ).scalars()
            assert list(states) == ["queued"]
            events = (
                await conn.execute(
                    select(task_events.c.seq, task_events.c.type).where(
                        task_events.c.task_id == row.id
                    )
                )
            ).all()
            assert [tuple(e) for e in events] == [(1, "task_created")]


@pytest.mark.parametrize("size", [1, 3])
async def test_a_batch_of_any_size_wakes_the_workers(store: Store, size: int) -> None:
    user, _ = await store.create_user("ada")
    jobs_seen, events_seen = store.jobs_signal.version, store.events_signal.version
    await submit_many(store, user.id, size, limits=None)
    assert store.jobs_signal.version > jobs_seen
    assert store.events_signal.version > events_seen


async def test_a_submit_for_an_unknown_user_with_limits_fails_alone(store: Store) -> None:
    user, _ = await store.create_user("ada")
    limits = SubmitLimits(max_active=5, per_minute=100)
    batch = [
        Submission(user.id, {"goal": "Learn Go"}, None, limits),
        Submission("no-such-user", REQUEST, None, limits),
        Submission(user.id, {"goal": "Learn C"}, None, limits),
    ]
    first, broken, last = await store._write_submissions(batch)
    assert isinstance(first, tuple) and isinstance(last, tuple)
    assert isinstance(broken, Exception)
    await assert_each_task_has_its_job_and_first_event(store, user.id, 2)
