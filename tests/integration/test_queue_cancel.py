"""Cancel: at once when queued or parked, between steps and content items when running,
and only once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from learnpath.dispatch.local import LocalExecutor
from learnpath.domain.task import Step, TaskStatus
from learnpath.store import Conflict, Lease, Store
from learnpath.testing.teams import TinyTeam
from learnpath.workflow import Workflow


@dataclass
class NoUsage:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


class Gate:
    """A team hook that holds calls to ``names`` until the test opens the gate; ``entered``
    is set once ``holds`` calls are held."""

    def __init__(self, *names: str, holds: int = 1) -> None:
        self.names = names
        self.holds = holds
        self.entered = asyncio.Event()
        self.opened = asyncio.Event()
        self._waiting = 0

    async def __call__(self, name: str, _subject: object) -> None:
        if name in self.names:
            self._waiting += 1
            if self._waiting >= self.holds:
                self.entered.set()
            await self.opened.wait()


async def submit(store: Store, **request: Any) -> str:
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn Elm", **request})
    return task.id


def counting(handler: Callable[[Lease], Awaitable[None]], calls: list[int]) -> Any:
    async def run(lease: Lease) -> None:
        calls.append(lease.job_id)
        await handler(lease)

    return run


async def run_with_gate(
    store: Store, gate: Gate, team: TinyTeam, workflow: Workflow
) -> tuple[LocalExecutor, asyncio.Task[None]]:
    executor = LocalExecutor(store, workflow.run, poll_seconds=0.1)
    running = asyncio.create_task(executor.run_until_idle(timeout=60))
    await asyncio.wait_for(gate.entered.wait(), timeout=30)
    return executor, running


async def test_queued_task_is_canceled_at_once_and_never_runs(store: Store) -> None:
    task_id = await submit(store)
    assert await store.cancel_task(task_id, None) is TaskStatus.CANCELED
    task = await store.get_task(task_id)
    assert task.status is TaskStatus.CANCELED
    assert task.finished_at is not None
    assert [j.state for j in await store.jobs_for_task(task_id)] == ["canceled"]

    calls: list[int] = []
    await LocalExecutor(store, counting(Workflow(store, TinyTeam()).run, calls)).run_until_idle(
        timeout=30
    )
    assert calls == []
    assert await store.step_runs(task_id) == []
    assert [e.type for e in await store.events_after(task_id)] == ["task_created", "task_canceled"]

    with pytest.raises(Conflict) as second:
        await store.cancel_task(task_id, None)
    assert second.value.code == "task_finished"


async def test_running_task_stops_at_the_next_step(store: Store) -> None:
    task_id = await submit(store)
    gate = Gate("curriculum")
    team = TinyTeam(hook=gate)
    _, running = await run_with_gate(store, gate, team, Workflow(store, team))

    assert await store.cancel_task(task_id, None) is TaskStatus.PROCESSING
    with pytest.raises(Conflict) as again:
        await store.cancel_task(task_id, None)
    assert again.value.code == "cancel_requested"
    gate.opened.set()
    await running

    task = await store.get_task(task_id)
    assert task.status is TaskStatus.CANCELED
    assert team.calls["curriculum"] == 1
    assert team.calls["validate"] == 0
    assert [j.state for j in await store.jobs_for_task(task_id)] == ["canceled"]
    assert [(r.step, r.status) for r in await store.step_runs(task_id)] == [
        ("intent_analysis", "completed"),
        ("curriculum_design", "completed"),
    ]
    types = [e.type for e in await store.events_after(task_id)]
    assert types[-3:] == ["cancel_requested", "step_completed", "task_canceled"]
    with pytest.raises(Conflict) as late:
        await store.cancel_task(task_id, None)
    assert late.value.code == "task_finished"


async def test_running_task_stops_between_content_items(store: Store) -> None:
    task_id = await submit(store)
    gate = Gate("tutorial")
    team = TinyTeam(concepts=3, hook=gate)
    _, running = await run_with_gate(
        store, gate, team, Workflow(store, team, content_concurrency=1)
    )

    assert await store.cancel_task(task_id, None) is TaskStatus.PROCESSING
    gate.opened.set()
    await running

    task = await store.get_task(task_id)
    assert task.status is TaskStatus.CANCELED
    produced = team.calls["tutorial"] + team.calls["resources"] + team.calls["quiz"]
    assert produced == 1, team.calls
    assert task.roadmap_id is not None
    statuses = [item.status for item in await store.latest_content(task.roadmap_id)]
    assert statuses.count("completed") == 1
    assert statuses.count("pending") == 8
    content_run = (await store.step_runs(task_id))[-1]
    assert (content_run.step, content_run.status, content_run.error_code) == (
        "content_generation",
        "failed",
        "canceled",
    )
    assert [j.state for j in await store.jobs_for_task(task_id)] == ["canceled"]
    assert (await store.events_after(task_id))[-1].type == "task_canceled"


async def test_task_parked_for_review_is_canceled_at_once(store: Store) -> None:
    task_id = await submit(store, review=True)
    await LocalExecutor(store, Workflow(store, TinyTeam()).run).run_until_idle(timeout=30)
    assert (await store.get_task(task_id)).status is TaskStatus.HUMAN_REVIEW_PENDING

    assert await store.cancel_task(task_id, None) is TaskStatus.CANCELED
    assert (await store.get_task(task_id)).status is TaskStatus.CANCELED
    assert [j.state for j in await store.jobs_for_task(task_id)] == ["done"]
    assert (await store.events_after(task_id))[-1].type == "task_canceled"
    with pytest.raises(Conflict) as second:
        await store.cancel_task(task_id, None)
    assert second.value.code == "task_finished"
    user = await store.local_user()
    with pytest.raises(Conflict):
        await store.decide_review(task_id, user.id, approve=True, feedback=None)


async def test_cancel_that_raced_with_parking_still_cancels_the_parked_task(store: Store) -> None:
    """The cancel arrives while the worker is parking the task: the parked task stays cancelable."""
    task_id = await submit(store, review=True)
    lease = await store.claim_next_job("worker")
    assert lease is not None
    run_id = await store.start_step(lease, Step.HUMAN_REVIEW)
    assert await store.cancel_task(task_id, None) is TaskStatus.PROCESSING
    await store.park_for_review(lease, run_id, NoUsage(), [])
    assert (await store.get_task(task_id)).status is TaskStatus.HUMAN_REVIEW_PENDING

    assert await store.cancel_task(task_id, None) is TaskStatus.CANCELED
    assert (await store.get_task(task_id)).status is TaskStatus.CANCELED


async def test_cancel_that_came_too_late_does_not_cancel_a_later_regeneration(
    store: Store,
) -> None:
    """A cancel requested while the last item was being written: the task completed anyway.
    Regenerating a concept afterwards must regenerate it, not cancel the finished roadmap."""
    task_id = await submit(store)
    # All three items of the one concept pass the cancel check before the gate holds them.
    gate = Gate("tutorial", "resources", "quiz", holds=3)
    team = TinyTeam(hook=gate)
    _, running = await run_with_gate(store, gate, team, Workflow(store, team))
    assert await store.cancel_task(task_id, None) is TaskStatus.PROCESSING
    gate.opened.set()
    await running
    task = await store.get_task(task_id)
    assert task.status is TaskStatus.COMPLETED
    assert task.roadmap_id is not None

    version = await store.regenerate_concept(task.roadmap_id, "c1", None, "shorter")
    await LocalExecutor(store, Workflow(store, TinyTeam()).run).run_until_idle(timeout=30)
    regenerated = await store.get_task(task_id)
    assert regenerated.status is TaskStatus.COMPLETED, regenerated
    assert {item.version for item in await store.latest_content(task.roadmap_id)} == {version}
