"""The job queue: atomic submit, leased claims, heartbeats, recovery and cancel.

Invariants (docs/architecture.md): a job exists only once its task row is committed with it; a
worker runs a job only while it holds the lease; every write for a job is fenced by
the lease token. An expired lease is a worker's death, not the task's fault: it is
requeued as the next run (``attempt`` numbers the runs; it is not a budget). When the
task committed progress (a step or a content item) since its last claim it is a
recovery; when it dies at the same point with no progress ``crash_loop_limit`` times in
a row it is a poison task and is failed with ``worker_crash_loop``, naming the step and
item where it keeps dying.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from learnpath.domain.content import ContentStatus
from learnpath.domain.events import EventType
from learnpath.domain.quota import QuotaExceeded, SubmitLimits
from learnpath.domain.task import IllegalTransition, Step, TaskStatus
from learnpath.store.accounts import count_refusals, lock_quotas, submit_quota_refusal
from learnpath.store.base import Lease, LeaseLost, StoreBase, Tx, held
from learnpath.store.fairness import next_fair_ranks
from learnpath.store.intake import GroupCommit
from learnpath.store.outage import is_database_outage
from learnpath.store.records import JobRecord, TaskRecord
from learnpath.store.tables import concept_content, jobs, step_runs, task_events, tasks
from learnpath.store.transitions import Finish, Requeue, fail, insert_job, move

log = logging.getLogger(__name__)

busy = tasks.alias("busy")
"""The tasks table once more, to ask whether a job's user has a task running."""

_CREATED_DATA = {"status": TaskStatus.PENDING}


@dataclass(frozen=True)
class Submission:
    """One submit waiting for its transaction; its task id is chosen up front."""

    user_id: str
    request: dict[str, Any]
    idempotency_key: str | None
    limits: SubmitLimits | None
    task_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def _batchable(batch: list[Submission]) -> bool:
    """Whether one transaction can check every member's quota: a user's members must all
    bring the same limits (they do: the settings'), or none."""
    limits: dict[str, SubmitLimits | None] = {}
    for submission in batch:
        if limits.setdefault(submission.user_id, submission.limits) != submission.limits:
            return False
    return True


def _quota_wanted(batch: list[Submission]) -> dict[str, tuple[SubmitLimits, int]]:
    """Per user with limits: the limits and how many of the batch's submits are theirs."""
    members = Counter(s.user_id for s in batch)
    return {s.user_id: (s.limits, members[s.user_id]) for s in batch if s.limits is not None}


async def _outcome(
    write: Awaitable[tuple[TaskRecord, bool]],
) -> tuple[TaskRecord, bool] | Exception:
    """The written task, or the exception that is this submit's alone."""
    try:
        return await write
    except Exception as exc:
        return exc


def _task_values(
    tx: Tx, task_id: str, user_id: str, request: dict[str, Any], idempotency_key: str | None
) -> dict[str, Any]:
    """A new task's row: pending, queued, its first event (number 1) already counted."""
    return {
        "id": task_id,
        "user_id": user_id,
        "status": TaskStatus.PENDING,
        "current_step": Step.QUEUED,
        "request": request,
        "goal": request["goal"],
        "review": bool(request.get("review", False)),
        "idempotency_key": idempotency_key,
        "cancel_requested": False,
        "edit_rounds": 0,
        "review_round": 0,
        "event_seq": 1,
        "error_step": None,
        "error_code": None,
        "error_message": None,
        "created_at": tx.now,
        "updated_at": tx.now,
        "finished_at": None,
    }


def _created_event(tx: Tx, task_id: str) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "seq": 1,
        "type": EventType.TASK_CREATED,
        "data": dict(_CREATED_DATA),
        "created_at": tx.now,
    }


def _job_values(tx: Tx, task_id: str, fair_rank: int, max_attempts: int) -> dict[str, Any]:
    """A new task's first job, as ``transitions.insert_job`` queues it."""
    return {
        "task_id": task_id,
        "fair_rank": fair_rank,
        "state": "queued",
        "attempt": 1,
        "max_attempts": max_attempts,
        "available_at": tx.now,
        "created_at": tx.now,
    }


class QueueQueries(StoreBase):
    async def submit_task(
        self,
        *,
        user_id: str,
        request: dict[str, Any],
        idempotency_key: str | None = None,
        limits: SubmitLimits | None = None,
    ) -> tuple[TaskRecord, bool]:
        """Create a task, its job and its ``task_created`` event in one transaction.

        Returns the task and whether it was created; with an idempotency key already
        used by this user, the existing task is returned instead. With ``limits`` (every
        user-facing submit passes them), the user's quota is checked in the same
        transaction and a submit past it raises ``QuotaExceeded`` (and is counted).

        Submits arriving together share one transaction (``store.intake``), each with
        these same guarantees.
        """
        if idempotency_key is not None:
            existing = await self._task_by_key(user_id, idempotency_key)
            if existing is not None:
                return existing, False
        submission = Submission(user_id, request, idempotency_key, limits)
        return await self._intake.submit(submission)

    @functools.cached_property
    def _intake(self) -> GroupCommit[Submission, tuple[TaskRecord, bool]]:
        return GroupCommit(self._write_submissions)

    async def _write_submissions(
        self, batch: list[Submission]
    ) -> list[tuple[TaskRecord, bool] | BaseException]:
        """Write a batch of submits together; one by one when that fails for any reason but
        a database outage (a key a concurrent request just used, a row the database will not
        take), so a bad submit fails alone."""
        if len(batch) == 1:
            return [await _outcome(self._submit_one(batch[0], recheck=False))]
        if _batchable(batch):
            try:
                return await self._submit_together(batch)
            except Exception as exc:
                if is_database_outage(exc):
                    raise  # every submit gets the outage (503); one by one would not help
                log.debug("a batch of %d submits is written one by one: %r", len(batch), exc)
        return [await _outcome(self._submit_one(submission)) for submission in batch]

    async def _submit_one(
        self, submission: Submission, *, recheck: bool = True
    ) -> tuple[TaskRecord, bool]:
        """One submit in its own transaction (what a batch of one is). ``recheck`` looks
        for its idempotency key again (``submit_task`` looked before it waited)."""
        user_id, key = submission.user_id, submission.idempotency_key
        if key is not None and recheck:
            existing = await self._task_by_key(user_id, key)
            if existing is not None:
                return existing, False
        refusal = record = None
        try:
            async with self.write() as tx:
                if submission.limits is not None:
                    refusal = await submit_quota_refusal(tx, user_id, submission.limits)
                if refusal is None:
                    record = await self._insert_task(
                        tx, submission.task_id, user_id, submission.request, key
                    )
        except IntegrityError as exc:
            return await self._task_of_key(user_id, key, exc), False
        if refusal is not None:
            raise refusal  # after the commit, which counted it
        assert record is not None
        return record, True

    async def _submit_together(
        self, batch: list[Submission]
    ) -> list[tuple[TaskRecord, bool] | BaseException]:
        """Several submits in one transaction, each as ``_submit_one`` would write it.

        In batch order: a repeat of a key used earlier in the batch gets that task; a
        submit past its user's quota (earlier members of the batch counted) is refused and
        counted; the rest are inserted with multi-row inserts (tasks, their
        ``task_created`` events, their jobs with consecutive fair ranks per user), with
        one ``NOTIFY`` per channel.
        """
        plan: list[Submission | QuotaExceeded] = []
        accepted: dict[str, Submission] = {}
        by_key: dict[tuple[str, str], Submission] = {}
        async with self.write() as tx:
            quotas = await lock_quotas(tx, _quota_wanted(batch))
            refused: Counter[tuple[str, str]] = Counter()
            for submission in batch:
                key = submission.idempotency_key
                earlier = by_key.get((submission.user_id, key)) if key is not None else None
                if earlier is not None:
                    plan.append(earlier)
                    continue
                quota = quotas.get(submission.user_id)
                refusal = quota.refusal(tx.now) if quota is not None else None
                if refusal is not None:
                    refused[submission.user_id, refusal.limit] += 1
                    plan.append(refusal)
                    continue
                if quota is not None:
                    quota.accepted += 1
                accepted[submission.task_id] = submission
                if key is not None:
                    by_key[submission.user_id, key] = submission
                plan.append(submission)
            for (user_id, limit), count in sorted(refused.items()):
                await count_refusals(tx, user_id, limit, count)
            records = await self._insert_tasks(tx, list(accepted.values()))
        outcomes: list[tuple[TaskRecord, bool] | BaseException] = []
        for submission, step in zip(batch, plan, strict=True):
            if isinstance(step, QuotaExceeded):
                outcomes.append(step)
            else:
                outcomes.append((records[step.task_id], step is submission))
        return outcomes

    async def _insert_tasks(self, tx: Tx, batch: list[Submission]) -> dict[str, TaskRecord]:
        """Insert the tasks, their first events and their jobs, several rows a statement."""
        if not batch:
            return {}
        rows = (
            await tx.conn.execute(
                tasks.insert().returning(*tasks.c),
                [
                    _task_values(tx, s.task_id, s.user_id, s.request, s.idempotency_key)
                    for s in batch
                ],
            )
        ).all()
        await tx.conn.execute(
            task_events.insert(),
            [_created_event(tx, s.task_id) for s in batch],
        )
        ranks: dict[str, int] = {}
        per_user = Counter(s.user_id for s in batch)
        for user_id in sorted(per_user):
            ranks[user_id] = await next_fair_ranks(tx, user_id, per_user[user_id])
        job_rows = []
        for s in batch:
            job_rows.append(_job_values(tx, s.task_id, ranks[s.user_id], self.max_attempts))
            ranks[s.user_id] += 1
        await tx.conn.execute(jobs.insert(), job_rows)
        await tx.announce_events(*(s.task_id for s in batch))
        await tx.announce_job()
        return {row.id: TaskRecord.from_row(row) for row in rows}

    async def _insert_task(
        self,
        tx: Tx,
        task_id: str,
        user_id: str,
        request: dict[str, Any],
        idempotency_key: str | None,
    ) -> TaskRecord:
        """Insert the task with its first event (number 1) and its job; the task's row."""
        row = (
            await tx.conn.execute(
                tasks.insert()
                .values(**_task_values(tx, task_id, user_id, request, idempotency_key))
                .returning(*tasks.c)
            )
        ).one()
        await tx.record_event(task_id, 1, EventType.TASK_CREATED, _CREATED_DATA)
        await insert_job(tx, task_id, self.max_attempts)
        return TaskRecord.from_row(row)

    async def _task_of_key(
        self, user_id: str, idempotency_key: str | None, error: IntegrityError
    ) -> TaskRecord:
        """After an insert failed with ``error``: the task a concurrent request with the same
        idempotency key created. Without a key, or with no such task, ``error`` is raised."""
        existing = None
        if idempotency_key is not None:
            existing = await self._task_by_key(user_id, idempotency_key)
        if existing is None:
            raise error
        return existing

    async def _task_by_key(self, user_id: str, key: str) -> TaskRecord | None:
        async with self.read() as conn:
            row = (
                await conn.execute(
                    select(tasks).where(tasks.c.user_id == user_id, tasks.c.idempotency_key == key)
                )
            ).first()
        return TaskRecord.from_row(row) if row else None

    async def claim_next_job(self, owner: str, *, newcomers_only: bool = False) -> Lease | None:
        """Lease the next runnable job in fair order (``store.fairness``), or None.

        With ``newcomers_only``, only a job of a user who has no task running now: what a
        worker's reserved slots take (see ``dispatch.core``), so one user's backlog cannot
        keep another user's first task waiting for a slot.
        """
        return await self._claim(owner, job_id=None, newcomers_only=newcomers_only)

    async def claim_job(self, job_id: int, owner: str) -> Lease | None:
        """Lease this job if it is runnable; None when it is taken, finished or unknown."""
        return await self._claim(owner, job_id=job_id)

    async def _claim(
        self, owner: str, job_id: int | None, *, newcomers_only: bool = False
    ) -> Lease | None:
        async with self.write() as tx:
            runnable = select(jobs.c.id).where(
                jobs.c.state == "queued", jobs.c.available_at <= tx.now
            )
            if job_id is not None:
                runnable = runnable.where(jobs.c.id == job_id)
            if newcomers_only:
                runnable = runnable.join(tasks, tasks.c.id == jobs.c.task_id).where(
                    ~exists().where(
                        busy.c.user_id == tasks.c.user_id,
                        busy.c.status == TaskStatus.PROCESSING,
                    )
                )
            # The next-job claim skips rows others hold; a claim for one named job waits for
            # its row instead (a relay marking it published holds it only for a moment).
            runnable = (
                runnable.order_by(jobs.c.fair_rank, jobs.c.id)
                .limit(1)
                .with_for_update(skip_locked=job_id is None)
            )
            token = str(uuid.uuid4())
            row = (
                await tx.conn.execute(
                    update(jobs)
                    .where(jobs.c.id == runnable.scalar_subquery(), jobs.c.state == "queued")
                    .values(
                        state="running",
                        lease_owner=owner,
                        lease_token=token,
                        lease_expires_at=tx.now + dt.timedelta(seconds=self.lease_seconds),
                        claimed_at=tx.now,
                        claimed_progress=jobs.c.progress_seq,
                    )
                    .returning(jobs.c.id, jobs.c.task_id, jobs.c.attempt)
                )
            ).first()
            if row is None:
                return None
            lease = Lease(
                job_id=row.id, task_id=row.task_id, token=token, owner=owner, attempt=row.attempt
            )
            try:
                await move(
                    tx,
                    lease.task_id,
                    to=TaskStatus.PROCESSING,
                    event=EventType.TASK_STARTED,
                    data={"attempt": lease.attempt, "job_id": lease.job_id},
                )
            except IllegalTransition as exc:
                # A queued job implies a pending task; should that ever not hold, the job
                # still runs (as it always did) rather than block the queue behind it.
                log.warning(
                    "job %s claimed for a %s task %s", lease.job_id, exc.current, lease.task_id
                )
            return lease

    async def heartbeat(self, lease: Lease) -> bool:
        """Renew the lease; False when it was lost (the worker must stop writing)."""
        async with self.write() as tx:
            result = await tx.conn.execute(
                update(jobs)
                .where(held(lease))
                .values(lease_expires_at=tx.now + dt.timedelta(seconds=self.lease_seconds))
            )
            return result.rowcount == 1

    async def release(self, lease: Lease) -> bool:
        """Give a job back without using an attempt (graceful shutdown)."""
        try:
            async with self.fenced(lease) as tx:
                await close_open_runs(
                    tx,
                    lease.job_id,
                    "worker_stopped",
                    "the worker stopped; the step will run again",
                )
                await move(
                    tx,
                    lease.task_id,
                    to=TaskStatus.PENDING,
                    job=Requeue(),
                    event=EventType.TASK_RELEASED,
                    data={"status": TaskStatus.PENDING, "job_id": lease.job_id},
                )
        except LeaseLost:
            return False
        return True

    async def requeue_expired(self, *, limit: int = 500) -> tuple[int, int]:
        """Recover jobs whose lease expired: requeue them, or fail a crash-looping task.

        A death after committed progress resets the crash streak; a death without
        progress extends it, and ``crash_loop_limit`` deaths at the same point fail the
        task with ``worker_crash_loop``; ``max_attempts`` plays no part here. Returns
        (requeued, failed). Safe to run from many processes at once.
        """
        requeued = failed = 0
        async with self.write() as tx:
            expired = (
                await tx.conn.execute(
                    select(
                        jobs.c.id,
                        jobs.c.task_id,
                        jobs.c.attempt,
                        jobs.c.lease_owner,
                        jobs.c.progress_seq,
                        jobs.c.claimed_progress,
                        jobs.c.recoveries,
                        jobs.c.crash_streak,
                    )
                    .where(jobs.c.state == "running", jobs.c.lease_expires_at < tx.now)
                    .order_by(jobs.c.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for job in expired:
                point = await self._crash_point(tx, job.task_id)
                progressed = job.progress_seq > job.claimed_progress
                streak = 1 if progressed else job.crash_streak + 1
                reason = f"the worker {job.lease_owner} stopped renewing its lease at {point}"
                await close_open_runs(tx, job.id, "worker_lost", reason)
                if streak >= self.crash_loop_limit:
                    await self._crash_loop(tx, job.task_id, streak, point, reason)
                    failed += 1
                    continue
                try:
                    await self._requeue(tx, job, streak, point, reason, progressed)
                except IllegalTransition as exc:
                    # A running job implies a processing task; should that ever not hold,
                    # the job is left for a person (``doctor`` lists expired leases) and the
                    # others are still recovered (a refused move wrote nothing).
                    log.warning("expired job %s belongs to a %s task", job.id, exc.current)
                    continue
                requeued += 1
        return requeued, failed

    async def _requeue(
        self, tx: Tx, job: Any, streak: int, point: str, reason: str, progressed: bool
    ) -> None:
        await move(
            tx,
            job.task_id,
            to=TaskStatus.PENDING,
            job=Requeue(
                {
                    "attempt": job.attempt + 1,
                    "last_error": reason,
                    "recoveries": job.recoveries + 1,
                    "crash_streak": streak,
                    "crash_point": point,
                }
            ),
            event=EventType.TASK_REQUEUED,
            data={
                "status": TaskStatus.PENDING,
                "attempt": job.attempt + 1,
                "reason": reason,
                "recovery": job.recoveries + 1,
                "progressed": progressed,
            },
        )

    async def _crash_point(self, tx: Tx, task_id: str) -> str:
        """Where the task's worker was: its step and, while generating content, the item."""
        step = (
            await tx.conn.execute(select(tasks.c.current_step).where(tasks.c.id == task_id))
        ).scalar_one()
        pending = (
            await tx.conn.execute(
                select(concept_content.c.concept_id, concept_content.c.kind)
                .where(
                    concept_content.c.roadmap_id == task_id,
                    concept_content.c.status == ContentStatus.PENDING,
                )
                .order_by(concept_content.c.id)
                .limit(20)
            )
        ).all()
        if step == Step.CONTENT_GENERATION and pending:
            # A concept's items are written side by side, so the worker died during one
            # of the first pending concept's items: name them all, in order.
            concept = pending[0].concept_id
            kinds = [row.kind for row in pending if row.concept_id == concept]
            return f"step {step}, concept {concept} ({', '.join(kinds)})"
        return f"step {step}"

    async def _crash_loop(self, tx: Tx, task_id: str, streak: int, point: str, reason: str) -> None:
        message = (
            f"The task's worker died {streak} times in a row at {point} without saving any "
            "progress, so the task keeps crashing its worker there. Check the workers' logs "
            "for that step and item, then retry the task."
        )
        step = (
            await tx.conn.execute(select(tasks.c.current_step).where(tasks.c.id == task_id))
        ).scalar_one()
        await fail(
            tx,
            task_id,
            step=step,
            code="worker_crash_loop",
            message=message,
            job=Finish(reason, {"crash_streak": streak, "crash_point": point}),
        )

    async def republish_stale(self, deadline_seconds: float) -> int:
        """Mark queued jobs published but unclaimed past the deadline for publishing again."""
        async with self.write() as tx:
            result = await tx.conn.execute(
                update(jobs)
                .where(
                    jobs.c.state == "queued",
                    jobs.c.published_at < tx.now - dt.timedelta(seconds=deadline_seconds),
                )
                .values(published_at=None)
            )
            if result.rowcount:
                await tx.announce_job()
            return int(result.rowcount)

    async def unpublished_jobs(
        self, limit: int = 100, *, conn: AsyncConnection | None = None
    ) -> list[int]:
        """Queued jobs not yet sent to the broker, in claim order; read on ``conn`` when
        the caller already holds one (the relay: its publish lock's), else on a new one."""
        query = (
            select(jobs.c.id)
            .where(jobs.c.state == "queued", jobs.c.published_at.is_(None))
            .order_by(jobs.c.fair_rank, jobs.c.id)
            .limit(limit)
        )
        if conn is not None:
            return [int(r.id) for r in await conn.execute(query)]
        async with self.read() as own:
            return [int(r.id) for r in await own.execute(query)]

    async def mark_published(
        self, job_ids: list[int], *, conn: AsyncConnection | None = None
    ) -> None:
        """Record that these jobs were sent to the broker: in the caller's transaction on
        ``conn`` (the relay's, holding its publish lock), else in one of its own."""
        if not job_ids:
            return
        marked = (
            update(jobs)
            .where(jobs.c.id.in_(job_ids), jobs.c.state == "queued", jobs.c.published_at.is_(None))
            .values(published_at=self.clock())
        )
        if conn is not None:
            await conn.execute(marked)
            return
        async with self.write() as tx:
            await tx.conn.execute(marked.values(published_at=tx.now))

    async def crash_streak(self, job_id: int) -> int | None:
        """How many times in a row the job's worker died with no progress (None: no job)."""
        async with self.read() as conn:
            streak = await conn.scalar(select(jobs.c.crash_streak).where(jobs.c.id == job_id))
        return None if streak is None else int(streak)

    async def job_progress(self, job_id: int) -> int | None:
        """The job's progress counter: it grows with every step or item the job saves."""
        async with self.read() as conn:
            seq = await conn.scalar(select(jobs.c.progress_seq).where(jobs.c.id == job_id))
        return None if seq is None else int(seq)

    async def get_job(self, job_id: int) -> JobRecord | None:
        async with self.read() as conn:
            row = (await conn.execute(select(jobs).where(jobs.c.id == job_id))).first()
        return JobRecord.from_row(row) if row else None

    async def jobs_for_task(self, task_id: str) -> list[JobRecord]:
        async with self.read() as conn:
            rows = await conn.execute(
                select(jobs).where(jobs.c.task_id == task_id).order_by(jobs.c.id)
            )
            return [JobRecord.from_row(r) for r in rows]


async def close_open_runs(tx: Tx, job_id: int, code: str, message: str) -> None:
    """Mark the job's step runs that never finished as failed (the worker stopped mid-step)."""
    await tx.conn.execute(
        update(step_runs)
        .where(step_runs.c.job_id == job_id, step_runs.c.status == "running")
        .values(status="failed", finished_at=tx.now, error_code=code, error_message=message)
    )
