"""What a running workflow reads and writes. Every write is fenced by the job's lease.

Each step's output, the step run that produced it, the task's next step and the
event that reports it are committed in one transaction: a resumed run starts from
the last committed step and never repeats one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy import bindparam, null, select, update

from learnpath.domain.content import ContentKind, ContentStatus
from learnpath.domain.events import DESIGN_PART_EVENTS, EventType
from learnpath.domain.task import Step, TaskStatus
from learnpath.store.base import Lease, StoreBase, Tx
from learnpath.store.progress import (
    ContentOutcome,
    ContentTally,
    count_progress,
    latest_content_statuses,
    newest_items,
)
from learnpath.store.queue import close_open_runs
from learnpath.store.records import ContentItem, RoadmapRecord, TaskRecord
from learnpath.store.tables import (
    concept_content,
    edit_records,
    intent_analyses,
    model_usage,
    review_decisions,
    roadmaps,
    step_runs,
    task_events,
    tasks,
    validation_records,
)
from learnpath.store.transitions import Finish, fail, move


class Usage(Protocol):
    requests: int
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class RunState:
    """A task as a worker resumes it: its row and every committed step output."""

    task: TaskRecord
    intent: dict[str, Any] | None
    roadmap: RoadmapRecord | None
    last_validation: dict[str, Any] | None
    feedback: str | None


def usage_rows(usage: Usage, *, run_id: int, task_id: str) -> list[dict[str, Any]]:
    """``model_usage`` rows for a run's per-agent tally; an agent's tokens go on its first row."""
    rows: list[dict[str, Any]] = []
    for agent, tally in sorted(getattr(usage, "agents", {}).items()):
        tokens = {"input_tokens": tally.input_tokens, "output_tokens": tally.output_tokens}
        for outcome, count in sorted(tally.outcomes.items()):
            rows.append(
                {
                    "step_run_id": run_id,
                    "task_id": task_id,
                    "agent": agent,
                    "outcome": outcome,
                    "attempts": count,
                    **tokens,
                }
            )
            tokens = {"input_tokens": 0, "output_tokens": 0}
    return rows


#: One content item's row, written by ``save_content`` (built once: see ``store.base``).
_SAVE_ITEM = (
    update(concept_content)
    .where(concept_content.c.id == bindparam("item"))
    .values(
        status=bindparam("new_status"),
        body=bindparam("new_body"),
        generated_by=bindparam("writer"),
        error_code=bindparam("code"),
        error_message=bindparam("message"),
        updated_at=bindparam("now"),
    )
)


class RunQueries(StoreBase):
    async def model_usage(self, task_id: str) -> dict[int, list[dict[str, Any]]]:
        """The task's model attempts per step run id: agent, outcome, attempts, tokens."""
        async with self.read() as conn:
            rows = await conn.execute(
                select(model_usage)
                .where(model_usage.c.task_id == task_id)
                .order_by(model_usage.c.step_run_id, model_usage.c.id)
            )
            found: dict[int, list[dict[str, Any]]] = {}
            for row in rows:
                found.setdefault(row.step_run_id, []).append(
                    {
                        "agent": row.agent,
                        "outcome": row.outcome,
                        "attempts": row.attempts,
                        "input_tokens": row.input_tokens,
                        "output_tokens": row.output_tokens,
                    }
                )
            return found

    async def load_run_state(self, task_id: str) -> RunState:
        async with self.read() as conn:
            task_row = (await conn.execute(select(tasks).where(tasks.c.id == task_id))).one()
            intent = (
                await conn.execute(
                    select(intent_analyses.c.data).where(intent_analyses.c.task_id == task_id)
                )
            ).scalar_one_or_none()
            roadmap_row = (
                await conn.execute(select(roadmaps).where(roadmaps.c.task_id == task_id))
            ).first()
            validation = (
                await conn.execute(
                    select(validation_records)
                    .where(validation_records.c.task_id == task_id)
                    .order_by(validation_records.c.id.desc())
                    .limit(1)
                )
            ).first()
            feedback = (
                await conn.execute(
                    select(review_decisions.c.feedback).where(
                        review_decisions.c.task_id == task_id,
                        review_decisions.c.round == task_row.review_round,
                        review_decisions.c.decision == "reject",
                    )
                )
            ).scalar_one_or_none()
        task = TaskRecord.from_row(task_row, roadmap_id=roadmap_row.id if roadmap_row else None)
        return RunState(
            task=task,
            intent=intent,
            roadmap=RoadmapRecord.from_row(roadmap_row) if roadmap_row else None,
            last_validation=(
                {"valid": validation.valid, "score": validation.score, "issues": validation.issues}
                if validation
                else None
            ),
            feedback=feedback,
        )

    async def start_step(self, lease: Lease, step: Step) -> int:
        async with self.fenced(lease) as tx:
            # A run this job left open was interrupted (e.g. resumed after a lost connection).
            await close_open_runs(
                tx, lease.job_id, "interrupted", "the step was interrupted and started again"
            )
            run_id = (
                await tx.conn.execute(
                    step_runs.insert()
                    .values(
                        task_id=lease.task_id,
                        job_id=lease.job_id,
                        step=step,
                        attempt=lease.attempt,
                        status="running",
                        started_at=tx.now,
                        model_requests=0,
                        input_tokens=0,
                        output_tokens=0,
                    )
                    .returning(step_runs.c.id)
                )
            ).scalar_one()
            await move(
                tx,
                lease.task_id,
                step=step,
                event=EventType.STEP_STARTED,
                data={"step": step, "attempt": lease.attempt},
            )
            return int(run_id)

    async def _close_run(
        self, tx: Tx, run_id: int, usage: Usage | None, *, error: tuple[str, str] | None = None
    ) -> str:
        values: dict[str, Any] = {
            "finished_at": tx.now,
            "status": "failed" if error else "completed",
        }
        if usage is not None:
            values |= {
                "model_requests": usage.requests,
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
            }
        if error:
            values |= {"error_code": error[0], "error_message": error[1]}
        step, task_id = (
            await tx.conn.execute(
                update(step_runs)
                .where(step_runs.c.id == run_id)
                .values(**values)
                .returning(step_runs.c.step, step_runs.c.task_id)
            )
        ).one()
        rows = usage_rows(usage, run_id=run_id, task_id=task_id) if usage is not None else []
        if rows:
            await tx.conn.execute(model_usage.insert(), rows)
        return str(step)

    async def _advance(
        self, tx: Tx, lease: Lease, run_id: int, usage: Usage, next_step: Step, **data: Any
    ) -> None:
        """Close the step's run and move to ``next_step``, in a ``fenced(progress=True)``."""
        step = await self._close_run(tx, run_id, usage)
        await move(
            tx,
            lease.task_id,
            step=next_step,
            event=EventType.STEP_COMPLETED,
            data={"step": step, "next_step": next_step, **data},
        )

    async def save_intent(
        self, lease: Lease, run_id: int, usage: Usage, intent: dict[str, Any], next_step: Step
    ) -> None:
        async with self.fenced(lease, progress=True) as tx:
            await tx.conn.execute(
                intent_analyses.insert().values(
                    task_id=lease.task_id, data=intent, created_at=tx.now
                )
            )
            await self._advance(tx, lease, run_id, usage, next_step)

    async def save_design_part(
        self,
        lease: Lease,
        part: str,
        design: dict[str, Any],
        *,
        event: EventType | str,
        **summary: Any,
    ) -> None:
        """Keep one finished part of the curriculum being designed (its outline, a stage).

        The part travels in its event (``event`` is one of ``DESIGN_PART_EVENTS``), which is
        as durable as a step output and committed with the job's progress, so a design that
        resumes after a crash reads it back (``design_parts``) instead of asking again.
        """
        try:
            type_ = EventType(event)
        except ValueError:
            type_ = None
        if type_ not in DESIGN_PART_EVENTS:
            raise ValueError(f"{event!r} is not a design part event")
        async with self.fenced(lease, progress=True) as tx:
            await tx.append_event(lease.task_id, type_, {"part": part, **summary, "design": design})

    async def design_parts(self, task_id: str) -> dict[str, dict[str, Any]]:
        """The curriculum parts the task's design has finished so far, by part name."""
        async with self.read() as conn:
            rows = await conn.execute(
                select(task_events.c.data)
                .where(task_events.c.task_id == task_id)
                .where(task_events.c.type.in_(sorted(DESIGN_PART_EVENTS)))
                .order_by(task_events.c.seq)
            )
            return {row.data["part"]: row.data["design"] for row in rows}

    async def save_framework(
        self,
        lease: Lease,
        run_id: int,
        usage: Usage,
        framework: dict[str, Any],
        *,
        generated_by: str,
        next_step: Step,
    ) -> str:
        """Store the designed framework as the task's roadmap; returns the roadmap id."""
        roadmap_id = lease.task_id
        async with self.fenced(lease, progress=True) as tx:
            user_id = (
                await tx.conn.execute(select(tasks.c.user_id).where(tasks.c.id == lease.task_id))
            ).scalar_one()
            await tx.conn.execute(
                roadmaps.insert().values(
                    id=roadmap_id,
                    task_id=lease.task_id,
                    user_id=user_id,
                    title=framework["title"],
                    framework=framework,
                    generated_by=generated_by,
                    created_at=tx.now,
                    updated_at=tx.now,
                )
            )
            await self._advance(tx, lease, run_id, usage, next_step, roadmap_id=roadmap_id)
        return roadmap_id

    async def save_validation(
        self,
        lease: Lease,
        run_id: int,
        usage: Usage,
        result: dict[str, Any],
        *,
        next_step: Step,
    ) -> None:
        """Record a validation and go on to ``next_step``."""
        async with self.fenced(lease, progress=True) as tx:
            await self._record_validation(tx, lease, result)
            await self._advance(
                tx, lease, run_id, usage, next_step, valid=result["valid"], score=result["score"]
            )

    async def fail_validation(
        self,
        lease: Lease,
        run_id: int,
        usage: Usage,
        result: dict[str, Any],
        *,
        code: str,
        message: str,
    ) -> None:
        """Record a validation that fails the task, and fail it, in one transaction: a
        crash leaves either neither (the step runs again) or both (the task is failed)."""
        async with self.fenced(lease) as tx:
            await self._record_validation(tx, lease, result)
            await self._fail(
                tx, lease, run_id, usage, step=Step.STRUCTURE_VALIDATION, error=(code, message)
            )

    async def _record_validation(self, tx: Tx, lease: Lease, result: dict[str, Any]) -> None:
        round_no = (
            await tx.conn.execute(select(tasks.c.edit_rounds).where(tasks.c.id == lease.task_id))
        ).scalar_one()
        await tx.conn.execute(
            validation_records.insert().values(
                task_id=lease.task_id,
                round=round_no,
                valid=result["valid"],
                score=result["score"],
                issues=result["issues"],
                created_at=tx.now,
            )
        )

    async def save_edit(
        self,
        lease: Lease,
        run_id: int,
        usage: Usage,
        *,
        operations: list[dict[str, Any]],
        rationale: str,
        framework: dict[str, Any],
        source: str,
        next_step: Step,
    ) -> None:
        async with self.fenced(lease, progress=True) as tx:
            round_no = (
                await tx.conn.execute(
                    update(tasks)
                    .where(tasks.c.id == lease.task_id)
                    .values(edit_rounds=tasks.c.edit_rounds + 1)
                    .returning(tasks.c.edit_rounds)
                )
            ).scalar_one()
            await write_edit(tx, lease.task_id, round_no, source, operations, rationale, framework)
            await self._advance(tx, lease, run_id, usage, next_step, operations=len(operations))

    async def park_for_review(
        self, lease: Lease, run_id: int, usage: Usage, issues: list[Any]
    ) -> None:
        """Hand the task to a human: no worker is held while it waits."""
        async with self.fenced(lease) as tx:
            await self._close_run(tx, run_id, usage)
            await move(
                tx,
                lease.task_id,
                to=TaskStatus.HUMAN_REVIEW_PENDING,
                step=Step.HUMAN_REVIEW,
                job=Finish(),
                event=EventType.REVIEW_REQUIRED,
                data={"status": TaskStatus.HUMAN_REVIEW_PENDING, "open_issues": issues},
                values={"review_round": tasks.c.review_round + 1},
            )

    async def prepare_content(self, lease: Lease, roadmap_id: str, concept_ids: list[str]) -> None:
        """Create a pending version-1 item for every concept and kind that has none yet."""
        async with self.fenced(lease) as tx:
            existing = {
                (r.concept_id, r.kind)
                for r in await tx.conn.execute(
                    select(concept_content.c.concept_id, concept_content.c.kind).where(
                        concept_content.c.roadmap_id == roadmap_id
                    )
                )
            }
            rows = [
                {
                    "roadmap_id": roadmap_id,
                    "concept_id": concept_id,
                    "kind": kind,
                    "version": 1,
                    "status": ContentStatus.PENDING,
                    "created_at": tx.now,
                    "updated_at": tx.now,
                }
                for concept_id in concept_ids
                for kind in ContentKind
                if (concept_id, kind) not in existing
            ]
            if rows:
                await tx.conn.execute(concept_content.insert(), rows)

    async def content_tally(self, roadmap_id: str) -> ContentTally:
        """The newest status of every item of the roadmap, for a run to keep up to date."""
        async with self.read() as conn:
            return ContentTally.from_rows(await conn.execute(newest_items([roadmap_id])))

    async def pending_content(self, roadmap_id: str) -> list[ContentItem]:
        async with self.read() as conn:
            rows = await conn.execute(
                select(concept_content)
                .where(
                    concept_content.c.roadmap_id == roadmap_id,
                    concept_content.c.status == ContentStatus.PENDING,
                )
                .order_by(concept_content.c.id)
            )
            return [ContentItem.from_row(r) for r in rows]

    async def save_content(
        self,
        lease: Lease,
        item: ContentItem,
        *,
        body: dict[str, Any] | None,
        generated_by: str,
        tally: ContentTally,
        error: tuple[str, str] | None = None,
    ) -> ContentOutcome:
        """Record one item's body (or its failure) and report its concept when it is settled.

        ``tally`` is the run's (``content_tally``): the outcome comes from it, not from a
        query. It is updated before the commit; a write that fails ends the run, and the
        next run reads a fresh tally. The outcome also says whether the task's cancel was
        asked for, read by the fenced lease renewal, so the run needs no poll of its own.
        """
        status = ContentStatus.FAILED if error else ContentStatus.COMPLETED
        async with self.fenced(lease, progress=True) as tx:
            await tx.conn.execute(
                _SAVE_ITEM,
                {
                    "item": item.id,
                    "new_status": status,
                    "new_body": null() if body is None else body,  # SQL NULL, not JSON null
                    "writer": generated_by,
                    "code": error[0] if error else None,
                    "message": error[1] if error else None,
                    "now": tx.now,
                },
            )
            outcome = replace(
                tally.settle(item.concept_id, item.kind, item.version, status),
                cancel_requested=tx.cancel_requested,
            )
            if outcome.concept_done or outcome.concept_failed:
                event = (
                    EventType.CONCEPT_COMPLETED
                    if outcome.concept_done
                    else EventType.CONCEPT_FAILED
                )
                data: dict[str, Any] = {
                    "concept_id": item.concept_id,
                    "done": outcome.done,
                    "total": outcome.total,
                }
                if error:
                    data |= {"kind": item.kind, "code": error[0], "message": error[1]}
                await tx.append_event(lease.task_id, event, data)
            return outcome

    async def finish_task(
        self, lease: Lease, run_id: int, usage: Usage, roadmap_id: str
    ) -> TaskStatus:
        """End the run: ``completed``, or ``partial_failure`` when some items failed."""
        async with self.fenced(lease) as tx:
            latest = await latest_content_statuses(tx.conn, roadmap_id)
            failed = sorted({cid for (cid, _), s in latest.items() if s == ContentStatus.FAILED})
            done, total = count_progress(latest)
            status = TaskStatus.PARTIAL_FAILURE if failed else TaskStatus.COMPLETED
            if failed:
                await self._close_run(
                    tx, run_id, usage, error=("content_failed", f"{len(failed)} concept(s) failed")
                )
            else:
                await self._close_run(tx, run_id, usage)
            values: dict[str, Any] = {
                "finished_at": tx.now,
                "error_step": None,
                "error_code": None,
                "error_message": None,
            }
            if failed:
                values |= {
                    "error_step": Step.CONTENT_GENERATION,
                    "error_code": "content_failed",
                    "error_message": (
                        f"Content for {len(failed)} of {total} concepts could not be generated "
                        f"({', '.join(failed[:10])}). Retry the task to regenerate only those."
                    ),
                }
            await move(
                tx,
                lease.task_id,
                to=status,
                step=Step.DONE,
                job=Finish(),
                event=EventType.TASK_PARTIALLY_FAILED if failed else EventType.TASK_COMPLETED,
                data={"status": status, "done": done, "total": total, "failed": failed},
                values=values,
            )
            return status

    async def fail_run(
        self,
        lease: Lease,
        run_id: int | None,
        usage: Usage | None,
        *,
        step: str,
        code: str,
        message: str,
    ) -> None:
        """Fail the task and end its job in one transaction."""
        async with self.fenced(lease) as tx:
            await self._fail(tx, lease, run_id, usage, step=step, error=(code, message))

    async def _fail(
        self,
        tx: Tx,
        lease: Lease,
        run_id: int | None,
        usage: Usage | None,
        *,
        step: str,
        error: tuple[str, str],
    ) -> None:
        code, message = error
        if run_id is not None:
            await self._close_run(tx, run_id, usage, error=error)
        await close_open_runs(tx, lease.job_id, code, message)
        await fail(
            tx,
            lease.task_id,
            step=step,
            code=code,
            message=message,
            job=Finish(f"{code}: {message}"),
        )

    async def cancel_run(self, lease: Lease, run_id: int | None = None) -> None:
        async with self.fenced(lease) as tx:
            if run_id is not None:
                await self._close_run(tx, run_id, None, error=("canceled", "canceled by the user"))
            await move(
                tx,
                lease.task_id,
                to=TaskStatus.CANCELED,
                job=Finish(),
                event=EventType.TASK_CANCELED,
                data={"status": TaskStatus.CANCELED},
                values={"finished_at": tx.now},
            )


async def write_edit(
    tx: Tx,
    task_id: str,
    round_no: int,
    source: str,
    operations: list[dict[str, Any]],
    rationale: str,
    framework: dict[str, Any],
    *,
    user_id: str | None = None,
) -> int:
    """Record an edit (by ``user_id`` when a person made it) and store its result; returns
    the record's id."""
    edit_id = (
        await tx.conn.execute(
            edit_records.insert()
            .values(
                task_id=task_id,
                round=round_no,
                source=source,
                operations=operations,
                rationale=rationale,
                user_id=user_id,
                created_at=tx.now,
            )
            .returning(edit_records.c.id)
        )
    ).scalar_one()
    await tx.conn.execute(
        update(roadmaps)
        .where(roadmaps.c.task_id == task_id)
        .values(framework=framework, title=framework["title"], updated_at=tx.now)
    )
    return int(edit_id)
