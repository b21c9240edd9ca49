"""What people do to tasks: review, cancel, retry, regenerate. Each is accepted once per state.

Every command locks the task row, checks the state it requires (a wrong state is a
``Conflict``, so a double click is refused rather than resuming twice), records the
decision, queues a job when work must happen, and appends the event, in one
transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from learnpath.domain.content import ContentStatus
from learnpath.domain.events import EventType
from learnpath.domain.task import Step, TaskStatus
from learnpath.store.base import Conflict, NotFound, Tx
from learnpath.store.queue import QueueQueries
from learnpath.store.runs import write_edit
from learnpath.store.tables import (
    concept_content,
    review_decisions,
    roadmaps,
    tasks,
)
from learnpath.store.transitions import KEEP, Finish, QueueNew, move


class CommandQueries(QueueQueries):
    async def _lock_task(self, tx: Tx, task_id: str, user_id: str | None) -> Any:
        query = select(tasks).where(tasks.c.id == task_id).with_for_update()
        if user_id is not None:
            query = query.where(tasks.c.user_id == user_id)
        row = (await tx.conn.execute(query)).first()
        if row is None:
            raise NotFound(f"no task {task_id}")
        return row

    async def decide_review(
        self,
        task_id: str,
        user_id: str,
        *,
        approve: bool,
        feedback: str | None,
        operations: list[dict[str, Any]] | None = None,
        edited_framework: dict[str, Any] | None = None,
    ) -> None:
        """Approve (go on to content) or reject with feedback (edit, validate, review again).

        ``edited_framework`` is the framework with the reviewer's ``operations`` already
        applied by the caller; it is stored with those operations as an edit record.
        """
        async with self.write() as tx:
            task = await self._lock_task(tx, task_id, user_id)
            if task.status != TaskStatus.HUMAN_REVIEW_PENDING:
                raise Conflict(
                    f"the task is {task.status}, not waiting for review; nothing was changed",
                    code="not_waiting_for_review",
                    status=task.status,
                )
            decision = "approve" if approve else "reject"
            await tx.conn.execute(
                review_decisions.insert().values(
                    task_id=task_id,
                    round=task.review_round,
                    user_id=user_id,
                    decision=decision,
                    feedback=feedback,
                    edits=operations,
                    created_at=tx.now,
                )
            )
            if operations and edited_framework is not None:
                await write_edit(
                    tx,
                    task_id,
                    task.edit_rounds,
                    "reviewer",
                    operations,
                    feedback or "",
                    edited_framework,
                    user_id=user_id,
                )
            next_step = Step.CONTENT_GENERATION if approve else Step.ROADMAP_EDIT
            await move(
                tx,
                task_id,
                to=TaskStatus.PENDING,
                step=next_step,
                job=QueueNew(self.max_attempts),
                event=EventType.REVIEW_DECIDED,
                data={"decision": decision, "feedback": feedback, "next_step": next_step},
                values={"edit_rounds": 0, "cancel_requested": False},
            )

    async def cancel_task(self, task_id: str, user_id: str | None) -> TaskStatus:
        """Cancel at once when queued or parked; otherwise ask the running worker to stop."""
        async with self.write() as tx:
            task = await self._lock_task(tx, task_id, user_id)
            status = TaskStatus(task.status)
            if status.is_terminal:
                raise Conflict(f"the task is already {status}", code="task_finished", status=status)
            if task.cancel_requested and status is TaskStatus.PROCESSING:
                raise Conflict("cancellation was already requested", code="cancel_requested")
            if status is TaskStatus.PROCESSING:
                await move(
                    tx,
                    task_id,
                    job=KEEP,
                    event=EventType.CANCEL_REQUESTED,
                    values={"cancel_requested": True},
                )
                return status
            await move(
                tx,
                task_id,
                to=TaskStatus.CANCELED,
                job=Finish(),
                event=EventType.TASK_CANCELED,
                data={"status": TaskStatus.CANCELED},
                values={"cancel_requested": True, "finished_at": tx.now},
            )
            return TaskStatus.CANCELED

    async def retry_task(self, task_id: str, user_id: str | None) -> None:
        """Run a failed task again from its failed step, or regenerate only failed content."""
        async with self.write() as tx:
            task = await self._lock_task(tx, task_id, user_id)
            status = TaskStatus(task.status)
            if status not in (TaskStatus.FAILED, TaskStatus.PARTIAL_FAILURE):
                raise Conflict(
                    f"only failed tasks can be retried; this one is {status}",
                    code="not_retryable",
                    status=status,
                )
            values: dict[str, Any] = {
                "cancel_requested": False,
                "edit_rounds": 0,
                "error_step": None,
                "error_code": None,
                "error_message": None,
                "finished_at": None,
            }
            if status is TaskStatus.PARTIAL_FAILURE:
                reset = await tx.conn.execute(
                    update(concept_content)
                    .where(
                        concept_content.c.roadmap_id == task_id,
                        concept_content.c.status == ContentStatus.FAILED,
                    )
                    .values(
                        status=ContentStatus.PENDING,
                        error_code=None,
                        error_message=None,
                        updated_at=tx.now,
                    )
                )
                step: Step | None = Step.CONTENT_GENERATION
                retried = int(reset.rowcount)
            else:
                step, retried = None, 0
            await move(
                tx,
                task_id,
                to=TaskStatus.PENDING,
                step=step,
                job=QueueNew(self.max_attempts),
                event=EventType.TASK_RETRIED,
                data={"from_status": status, "step": step or task.current_step, "items": retried},
                values=values,
            )

    async def regenerate_concept(
        self, roadmap_id: str, concept_id: str, user_id: str | None, instructions: str | None
    ) -> int:
        """Queue a new version of one concept's content; returns the new version number."""
        async with self.write() as tx:
            roadmap = (
                await tx.conn.execute(select(roadmaps.c.task_id).where(roadmaps.c.id == roadmap_id))
            ).first()
            if roadmap is None:
                raise NotFound(f"no roadmap {roadmap_id}")
            task = await self._lock_task(tx, roadmap.task_id, user_id)
            status = TaskStatus(task.status)
            if status not in (TaskStatus.COMPLETED, TaskStatus.PARTIAL_FAILURE):
                raise Conflict(
                    f"content can be regenerated once the roadmap is finished; the task is {status}",
                    code="task_busy",
                    status=status,
                )
            current = (
                await tx.conn.execute(
                    select(concept_content.c.kind, concept_content.c.version).where(
                        concept_content.c.roadmap_id == roadmap_id,
                        concept_content.c.concept_id == concept_id,
                    )
                )
            ).all()
            if not current:
                raise NotFound(f"no concept {concept_id} in roadmap {roadmap_id}")
            version = max(r.version for r in current) + 1
            await tx.conn.execute(
                concept_content.insert(),
                [
                    {
                        "roadmap_id": roadmap_id,
                        "concept_id": concept_id,
                        "kind": kind,
                        "version": version,
                        "status": ContentStatus.PENDING,
                        "instructions": instructions,
                        "created_at": tx.now,
                        "updated_at": tx.now,
                    }
                    for kind in sorted({r.kind for r in current})
                ],
            )
            await move(
                tx,
                task.id,
                to=TaskStatus.PENDING,
                step=Step.CONTENT_GENERATION,
                job=QueueNew(self.max_attempts),
                event=EventType.CONCEPT_REGENERATING,
                data={"concept_id": concept_id, "version": version},
                values={"finished_at": None, "cancel_requested": False},
            )
            return int(version)
