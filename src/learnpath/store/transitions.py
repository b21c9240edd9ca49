"""The one way a task changes state: ``move``.

A move checks ``domain.task.TRANSITIONS`` against the task row's current status, then
writes the new status, the new step, the job change and the event that reports them,
all in the caller's transaction. Every command and every step save is: write the step's
output, then move.

The job change follows the invariant "a task has exactly the live job its status
implies": a pending task has one queued job, a processing task one running job, any
other status none. So a move to ``pending`` requeues the running job or queues a fresh
one, a move to a terminal status or to review finishes the live job (``done``,
``failed`` or ``canceled``, by the new status), and a move that keeps the status (or
starts the task, where the claim itself wrote the job) keeps the job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select, update

from learnpath.domain.events import EventType
from learnpath.domain.task import SOURCES, IllegalTransition, Step, TaskStatus
from learnpath.store.base import Conflict, NotFound, Tx
from learnpath.store.fairness import next_fair_rank
from learnpath.store.tables import jobs, tasks

LIVE_JOB_STATES = ("queued", "running")


@dataclass(frozen=True)
class Keep:
    """Leave the task's job as it is."""


@dataclass(frozen=True)
class Finish:
    """End the task's live job; its state follows from the task's new status.

    ``error`` becomes the job's ``last_error`` (cleared when None); ``values`` are more
    job columns to write (e.g. the crash streak of a task that crash-loops).
    """

    error: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Requeue:
    """Give the task's running job back to the queue: released, or its lease expired.

    ``values`` are more job columns to write (the next attempt, the recovery count...).
    """

    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueNew:
    """Queue a fresh job for a task that has none live (review decided, retry, regenerate)."""

    max_attempts: int


JobChange = Keep | Finish | Requeue | QueueNew
KEEP = Keep()

#: The state a finished job is left in, by the task's new status.
FINISHED_JOB_STATE: dict[TaskStatus, str] = {
    TaskStatus.HUMAN_REVIEW_PENDING: "done",
    TaskStatus.COMPLETED: "done",
    TaskStatus.PARTIAL_FAILURE: "done",
    TaskStatus.FAILED: "failed",
    TaskStatus.CANCELED: "canceled",
}


def _check_job_change(to: TaskStatus | None, job: JobChange) -> None:
    """The job change must leave the task with the live job its new status implies."""
    if to is None or to is TaskStatus.PROCESSING:
        fits = isinstance(job, Keep)
    elif to is TaskStatus.PENDING:
        fits = isinstance(job, Requeue | QueueNew)
    else:
        fits = isinstance(job, Finish)
    if not fits:
        raise ValueError(f"a move to {to or 'the same status'} cannot {type(job).__name__} the job")


async def move(
    tx: Tx,
    task_id: str,
    *,
    event: EventType | str,
    data: Mapping[str, Any] | None = None,
    to: TaskStatus | None = None,
    step: Step | None = None,
    job: JobChange = KEEP,
    values: Mapping[str, Any] | None = None,
) -> int:
    """Move the task to status ``to`` (None: keep it) and step ``step`` (None: keep it),
    change its job, write ``values`` (more task columns) and append ``event`` with ``data``.

    Returns the event's sequence number. An illegal move raises ``IllegalTransition``
    and writes nothing, so the caller's transaction is still usable; a missing task
    raises ``NotFound``. All writes happen in ``tx``.
    """
    type_ = EventType(event)
    _check_job_change(to, job)
    changes: dict[str, Any] = {
        **(values or {}),
        "event_seq": tasks.c.event_seq + 1,
        "updated_at": tx.now,
    }
    where = [tasks.c.id == task_id]
    if to is not None:
        changes["status"] = to
        where.append(tasks.c.status.in_(sorted(SOURCES[to])))
    if step is not None:
        changes["current_step"] = step
    # The status check, the task's writes and the event number are one statement; bumping
    # ``event_seq`` locks the task row, so concurrent writers for one task serialise here.
    seq = (
        await tx.conn.execute(
            update(tasks).where(*where).values(**changes).returning(tasks.c.event_seq)
        )
    ).scalar_one_or_none()
    if seq is None:
        current = (
            await tx.conn.execute(select(tasks.c.status).where(tasks.c.id == task_id))
        ).scalar_one_or_none()
        if current is None:
            raise NotFound(f"no task {task_id}")
        assert to is not None  # without a target status the update matched the row
        raise IllegalTransition(TaskStatus(current), to)
    await _change_job(tx, task_id, to, job)
    await tx.record_event(task_id, int(seq), type_, data)
    return int(seq)


async def _change_job(tx: Tx, task_id: str, to: TaskStatus | None, job: JobChange) -> None:
    if isinstance(job, Finish):
        assert to is not None
        await tx.conn.execute(
            update(jobs)
            .where(jobs.c.task_id == task_id, jobs.c.state.in_(LIVE_JOB_STATES))
            .values(
                **job.values,
                state=FINISHED_JOB_STATE[to],
                finished_at=tx.now,
                lease_token=None,
                lease_expires_at=None,
                last_error=job.error,
            )
        )
    elif isinstance(job, Requeue):
        await tx.conn.execute(
            update(jobs)
            .where(jobs.c.task_id == task_id, jobs.c.state == "running")
            .values(
                **job.values,
                state="queued",
                lease_owner=None,
                lease_token=None,
                lease_expires_at=None,
                published_at=None,
                available_at=tx.now,
            )
        )
        await tx.announce_job()
    elif isinstance(job, QueueNew):
        live = (
            await tx.conn.execute(
                select(func.count())
                .select_from(jobs)
                .where(and_(jobs.c.task_id == task_id, jobs.c.state.in_(LIVE_JOB_STATES)))
            )
        ).scalar_one()
        if live:
            raise Conflict("the task already has a job queued or running", code="task_busy")
        await insert_job(tx, task_id, job.max_attempts)


async def insert_job(tx: Tx, task_id: str, max_attempts: int) -> int:
    """Queue a job for a task (a new task's first job, or through ``QueueNew``); its id."""
    job_id = (
        await tx.conn.execute(
            jobs.insert()
            .values(
                task_id=task_id,
                fair_rank=await next_fair_rank(tx, task_id),
                state="queued",
                attempt=1,
                max_attempts=max_attempts,
                available_at=tx.now,
                created_at=tx.now,
            )
            .returning(jobs.c.id)
        )
    ).scalar_one()
    await tx.announce_job()
    return int(job_id)


async def fail(tx: Tx, task_id: str, *, step: str, code: str, message: str, job: Finish) -> None:
    """Fail a task with what failed, where, and what to do; its live job ends with ``job``."""
    await move(
        tx,
        task_id,
        to=TaskStatus.FAILED,
        job=job,
        event=EventType.TASK_FAILED,
        data={"step": step, "code": code, "message": message},
        values={
            "error_step": step,
            "error_code": code,
            "error_message": message,
            "finished_at": tx.now,
        },
    )
