"""The store's one transition primitive, ``move``, walked over every pair of statuses.

Each legal edge of ``domain.task.TRANSITIONS`` writes the status, the step, the job its new
status implies and the event, in the caller's transaction; every illegal pair raises
``IllegalTransition`` and writes nothing (the same transaction still commits cleanly).
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select, update

from learnpath.domain.events import EventType
from learnpath.domain.task import TRANSITIONS, IllegalTransition, Step, TaskStatus
from learnpath.store import NotFound, Store
from learnpath.store.tables import jobs, task_events, tasks
from learnpath.store.transitions import (
    FINISHED_JOB_STATE,
    KEEP,
    Finish,
    JobChange,
    QueueNew,
    Requeue,
    move,
)

EVENT_FOR: dict[TaskStatus, EventType] = {
    TaskStatus.PENDING: EventType.TASK_REQUEUED,
    TaskStatus.PROCESSING: EventType.TASK_STARTED,
    TaskStatus.HUMAN_REVIEW_PENDING: EventType.REVIEW_REQUIRED,
    TaskStatus.COMPLETED: EventType.TASK_COMPLETED,
    TaskStatus.PARTIAL_FAILURE: EventType.TASK_PARTIALLY_FAILED,
    TaskStatus.FAILED: EventType.TASK_FAILED,
    TaskStatus.CANCELED: EventType.TASK_CANCELED,
}


def job_change(current: TaskStatus, target: TaskStatus) -> JobChange:
    """The job change that leaves the task with the live job ``target`` implies."""
    if target is TaskStatus.PENDING:
        return Requeue() if current is TaskStatus.PROCESSING else QueueNew(max_attempts=3)
    if target is TaskStatus.PROCESSING:
        return KEEP
    return Finish()


async def task_in(store: Store, user_id: str, status: TaskStatus) -> str:
    """A task in ``status`` with the live job that status implies (a queued job when
    pending, a running one when processing, none otherwise)."""
    task, _ = await store.submit_task(user_id=user_id, request={"goal": f"Learn {status}"})
    async with store.write() as tx:
        await tx.conn.execute(update(tasks).where(tasks.c.id == task.id).values(status=status))
        if status is TaskStatus.PROCESSING:
            await tx.conn.execute(
                update(jobs)
                .where(jobs.c.task_id == task.id)
                .values(
                    state="running",
                    lease_token="token",
                    lease_owner="worker",
                    lease_expires_at=tx.now,
                )
            )
        elif status is not TaskStatus.PENDING:
            await tx.conn.execute(
                update(jobs)
                .where(jobs.c.task_id == task.id)
                .values(state="done", finished_at=tx.now)
            )
    return task.id


async def snapshot(store: Store, task_id: str) -> tuple[Any, ...]:
    async with store.read() as conn:
        task = (await conn.execute(select(tasks).where(tasks.c.id == task_id))).one()
        job_rows = (
            await conn.execute(select(jobs).where(jobs.c.task_id == task_id).order_by(jobs.c.id))
        ).all()
        events = (
            await conn.execute(
                select(task_events.c.seq, task_events.c.type)
                .where(task_events.c.task_id == task_id)
                .order_by(task_events.c.seq)
            )
        ).all()
    return tuple(task), [tuple(j) for j in job_rows], [tuple(e) for e in events]


async def job_states(store: Store, task_id: str) -> list[str]:
    async with store.read() as conn:
        rows = await conn.execute(
            select(jobs.c.state).where(jobs.c.task_id == task_id).order_by(jobs.c.id)
        )
        return [row.state for row in rows]


async def test_move_walks_every_legal_edge_and_refuses_every_illegal_pair(store: Store) -> None:
    user = await store.local_user()
    legal = illegal = 0
    for current, target in itertools.product(TaskStatus, TaskStatus):
        task_id = await task_in(store, user.id, current)
        before = await snapshot(store, task_id)
        jobs_before = await job_states(store, task_id)
        change = job_change(current, target)
        if target in TRANSITIONS[current]:
            legal += 1
            async with store.write() as tx:
                seq = await move(
                    tx,
                    task_id,
                    to=target,
                    step=Step.CONTENT_GENERATION,
                    job=change,
                    event=EVENT_FOR[target],
                    data={"edge": f"{current}->{target}"},
                )
            task = await store.get_task(task_id)
            assert (task.status, task.current_step) == (target, Step.CONTENT_GENERATION)
            events = await store.events_after(task_id, limit=100)
            assert events[-1].seq == seq == len(events) == len(before[2]) + 1
            assert events[-1].type == EVENT_FOR[target]
            assert events[-1].data == {"edge": f"{current}->{target}"}
            after = await job_states(store, task_id)
            if isinstance(change, Finish):
                # The live job (if the task had one) ends in the state the status implies.
                expected = [
                    FINISHED_JOB_STATE[target] if s in ("queued", "running") else s
                    for s in jobs_before
                ]
                assert after == expected, (current, target)
            elif isinstance(change, Requeue):
                assert after == ["queued"], (current, target)
            elif isinstance(change, QueueNew):
                assert after == [*jobs_before, "queued"], (current, target)
            else:
                assert after == jobs_before, (current, target)
        else:
            illegal += 1
            async with store.write() as tx:
                with pytest.raises(IllegalTransition) as raised:
                    await move(
                        tx,
                        task_id,
                        to=target,
                        step=Step.CONTENT_GENERATION,
                        job=change,
                        event=EVENT_FOR[target],
                    )
                # The refused move wrote nothing, so the transaction commits what it had.
            assert (raised.value.current, raised.value.target) == (current, target)
            assert await snapshot(store, task_id) == before, (current, target)
    assert legal == sum(len(targets) for targets in TRANSITIONS.values())
    assert legal + illegal == len(TaskStatus) ** 2


async def test_a_move_that_keeps_the_status_writes_the_step_and_the_event(store: Store) -> None:
    user = await store.local_user()
    task_id = await task_in(store, user.id, TaskStatus.PROCESSING)
    async with store.write() as tx:
        await move(
            tx,
            task_id,
            step=Step.ROADMAP_EDIT,
            event=EventType.STEP_STARTED,
            data={"step": Step.ROADMAP_EDIT},
            values={"cancel_requested": True},
        )
    task = await store.get_task(task_id)
    assert (task.status, task.current_step, task.cancel_requested) == (
        TaskStatus.PROCESSING,
        Step.ROADMAP_EDIT,
        True,
    )
    assert (await store.events_after(task_id, limit=100))[-1].type == "step_started"
    assert await job_states(store, task_id) == ["running"]


async def test_a_job_change_the_new_status_does_not_imply_is_refused(store: Store) -> None:
    user = await store.local_user()
    task_id = await task_in(store, user.id, TaskStatus.PROCESSING)
    before = await snapshot(store, task_id)
    wrong: list[tuple[TaskStatus | None, JobChange]] = [
        (TaskStatus.COMPLETED, KEEP),
        (TaskStatus.COMPLETED, Requeue()),
        (TaskStatus.PENDING, Finish()),
        (TaskStatus.PENDING, KEEP),
        (None, Finish()),
        (None, QueueNew(max_attempts=3)),
    ]
    async with store.write() as tx:
        for to, change in wrong:
            with pytest.raises(ValueError, match="cannot"):
                await move(tx, task_id, to=to, job=change, event=EventType.STEP_STARTED)
        with pytest.raises(ValueError, match="not_an_event"):
            await move(tx, task_id, event="not_an_event")
    assert await snapshot(store, task_id) == before


async def test_an_event_type_given_as_its_string_is_stored_as_that_type(store: Store) -> None:
    user = await store.local_user()
    task_id = await task_in(store, user.id, TaskStatus.PROCESSING)
    async with store.write() as tx:
        await move(tx, task_id, event="stage_designed", data={"part": "stage 1"})
    assert (await store.events_after(task_id, limit=100))[-1].type == EventType.STAGE_DESIGNED


async def test_moving_a_missing_task_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        async with store.write() as tx:
            await move(
                tx,
                "00000000-0000-0000-0000-000000000000",
                to=TaskStatus.CANCELED,
                job=Finish(),
                event=EventType.TASK_CANCELED,
            )
