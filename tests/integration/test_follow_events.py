"""Following a task's events (``follow_events``) on a real store, on both backends: where a
follow ends, and that following again from any event misses and repeats nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from learnpath.domain.events import EventType
from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.follow import follow_events
from learnpath.store.records import EventRecord
from learnpath.testing.teams import TinyTeam
from learnpath.workflow import Workflow
from learnpath.workflow.review import ReviewDecision, submit_review

#: Long enough that a follow using it notices new events only through the store's signal.
NO_POLL = 600.0


async def collect(events: AsyncIterator[EventRecord]) -> list[EventRecord]:
    return [event async for event in events]


async def submit(store: Store, **request: Any) -> tuple[str, str]:
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn Elm", **request})
    return task.id, user.id


async def run_jobs(store: Store) -> None:
    """Run the queued jobs one after the other until none is left."""
    workflow = Workflow(store, TinyTeam(concepts=2))
    while (lease := await store.claim_next_job("worker")) is not None:
        await workflow.run(lease)


async def reviewed_task(store: Store) -> tuple[str, list[EventRecord]]:
    """A task that waited for a review, was approved and completed, and its whole log."""
    task_id, user_id = await submit(store, review=True)
    await run_jobs(store)
    await submit_review(store, task_id, user_id, ReviewDecision(decision="approve"))
    await run_jobs(store)
    return task_id, await store.events_after(task_id)


def seqs(events: list[EventRecord]) -> list[int]:
    return [event.seq for event in events]


async def test_a_follow_ends_at_the_review_and_one_from_there_waits_for_the_decision(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id, user_id = await submit(store, review=True)
    follower = asyncio.create_task(collect(follow_events(store, task_id, poll_seconds=NO_POLL)))
    await run_jobs(store)
    async with asyncio.timeout(30):
        parked = await follower
    assert (parked[0].type, parked[-1].type) == ("task_created", "review_required")
    assert seqs(parked) == list(range(1, len(parked) + 1))

    # Follow on from the review; decide only once that follow has looked at the log.
    looked = asyncio.Event()
    read_log = store.events_after

    async def noted(*args: Any, **kwargs: Any) -> list[EventRecord]:
        try:
            return await read_log(*args, **kwargs)
        finally:
            looked.set()

    monkeypatch.setattr(store, "events_after", noted)
    resumed = asyncio.create_task(
        collect(follow_events(store, task_id, parked[-1].seq, poll_seconds=NO_POLL))
    )
    await looked.wait()
    await submit_review(store, task_id, user_id, ReviewDecision(decision="approve"))
    await run_jobs(store)
    async with asyncio.timeout(30):
        rest = await resumed
    assert (rest[0].type, rest[-1].type) == ("review_decided", "task_completed")
    assert seqs(rest) == list(range(parked[-1].seq + 1, parked[-1].seq + 1 + len(rest)))
    assert seqs(parked + rest) == seqs(await read_log(task_id))


async def test_following_again_from_any_event_gives_exactly_the_events_after_it(
    store: Store,
) -> None:
    task_id, log = await reviewed_task(store)
    assert [e.type for e in log].count(EventType.REVIEW_REQUIRED) == 1
    last = log[-1].seq
    for after in range(last + 1):
        # Small batches: the log is read in several parts, the review in the middle of it.
        async with asyncio.timeout(30):
            events = await collect(follow_events(store, task_id, after, batch=3))
        assert seqs(events) == list(range(after + 1, last + 1)), after
        assert events == log[after:]


async def test_a_follow_of_a_finished_task_ends_once_it_has_read_the_log(store: Store) -> None:
    task_id, log = await reviewed_task(store)
    user = await store.local_user()
    await store.rename_roadmap(task_id, user.id, "Elm, renamed")
    renamed = await store.events_after(task_id, log[-1].seq)
    assert [e.type for e in renamed] == [EventType.ROADMAP_RENAMED]

    # After a rename the last event ends no stream, but the task is finished.
    async with asyncio.timeout(30):
        everything = await collect(follow_events(store, task_id, poll_seconds=NO_POLL))
        assert seqs(everything) == seqs(log + renamed)
        assert await collect(follow_events(store, task_id, renamed[0].seq)) == []
        assert await collect(follow_events(store, task_id, 10_000)) == []


async def test_a_follow_ends_with_the_cancel(store: Store) -> None:
    task_id, _ = await submit(store)
    follower = asyncio.create_task(collect(follow_events(store, task_id, poll_seconds=NO_POLL)))
    await store.cancel_task(task_id, None)
    async with asyncio.timeout(30):
        events = await follower
    assert [e.type for e in events] == ["task_created", "task_canceled"]


async def test_a_follow_sees_commits_of_another_store_by_polling(
    store: Store, settings: Settings
) -> None:
    """The follow reads through a second store, whose signal hears nothing of these commits."""
    task_id, _ = await submit(store)
    other = open_store(settings)
    try:
        follower = asyncio.create_task(collect(follow_events(other, task_id, poll_seconds=0.05)))
        await run_jobs(store)
        async with asyncio.timeout(30):
            events = await follower
    finally:
        await other.close()
    assert events == await store.events_after(task_id)
    assert events[-1].type == "task_completed"
