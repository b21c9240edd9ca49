"""The learner's workspace: change a finished roadmap, trash and restore, rename, share, fork.

Every command locks the roadmap's task row first, so it cannot interleave with a job or
with another command on the same roadmap, and records what it did as an event in the
task's log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from learnpath.domain.content import ContentKind, ContentStatus
from learnpath.domain.events import EventType
from learnpath.domain.roadmap import Framework
from learnpath.domain.task import Step, TaskStatus
from learnpath.store.base import Conflict, NotFound, Tx
from learnpath.store.progress import newest_items
from learnpath.store.queue import QueueQueries
from learnpath.store.reads import ReadQueries
from learnpath.store.records import RoadmapRecord
from learnpath.store.runs import write_edit
from learnpath.store.tables import (
    concept_content,
    edit_records,
    intent_analyses,
    learner_progress,
    roadmaps,
    tasks,
)
from learnpath.store.transitions import QueueNew, move

#: A roadmap can be changed when its task has finished with a roadmap to change.
EDITABLE = frozenset({TaskStatus.COMPLETED, TaskStatus.PARTIAL_FAILURE})
LEARNER = "learner"


@dataclass(frozen=True)
class EditRecord:
    """One change to a roadmap: by the validator, a reviewer, or the learner afterwards."""

    id: int
    round: int
    source: str
    user_id: str | None
    operations: list[dict[str, Any]]
    rationale: str
    created_at: dt.datetime


@dataclass(frozen=True)
class EditOutcome:
    """What a learner's edit did: the record, and whether content is being written."""

    task_id: str
    edit_id: int
    added: list[str]
    removed: list[str]
    content_queued: bool
    status: TaskStatus


@dataclass(frozen=True)
class Fork:
    """A private copy of a shared roadmap: a finished task and roadmap of the new owner."""

    roadmap_id: str
    task_id: str
    created: bool


class WorkspaceQueries(QueueQueries, ReadQueries):
    async def _lock_roadmap(
        self, tx: Tx, roadmap_id: str, user_id: str | None, *, in_trash: bool = False
    ) -> tuple[Any, Any]:
        """Lock the roadmap's task row; returns (roadmap row, task row)."""
        query = select(roadmaps).where(roadmaps.c.id == roadmap_id)
        if user_id is not None:
            query = query.where(roadmaps.c.user_id == user_id)
        roadmap = (await tx.conn.execute(query)).first()
        if roadmap is None:
            raise NotFound(f"no roadmap {roadmap_id}")
        task = (
            await tx.conn.execute(
                select(tasks).where(tasks.c.id == roadmap.task_id).with_for_update()
            )
        ).one()
        # Read again under the lock: the first read may predate a concurrent change.
        roadmap = (await tx.conn.execute(query)).one()
        if roadmap.deleted_at is not None and not in_trash:
            raise Conflict(
                f"the roadmap {roadmap_id} is in the trash; restore it to use it again",
                code="roadmap_in_trash",
            )
        return roadmap, task

    async def record_learner_edit(
        self,
        roadmap_id: str,
        user_id: str,
        *,
        base: dict[str, Any],
        operations: list[dict[str, Any]],
        edited: dict[str, Any],
        note: str,
    ) -> EditOutcome:
        """Store ``edited`` (``base`` with ``operations`` applied by the caller) and queue
        content for the concepts it adds; the concepts it removes lose their content and
        the learner's progress on them; every other concept keeps both."""
        async with self.write() as tx:
            roadmap, task = await self._lock_roadmap(tx, roadmap_id, user_id)
            require_editable(TaskStatus(task.status))
            if roadmap.framework != base:
                raise Conflict(
                    "the roadmap changed while this edit was prepared; reload it and try again",
                    code="roadmap_changed",
                )
            before = _concept_ids(base)
            after = _concept_ids(edited)
            added = [cid for cid in after if cid not in before]
            removed = [cid for cid in before if cid not in after]
            rounds = (
                await tx.conn.execute(
                    select(func.count())
                    .select_from(edit_records)
                    .where(edit_records.c.task_id == task.id, edit_records.c.source == LEARNER)
                )
            ).scalar_one()
            edit_id = await write_edit(
                tx, task.id, int(rounds) + 1, LEARNER, operations, note, edited, user_id=user_id
            )
            if removed:
                for table in (concept_content, learner_progress):
                    await tx.conn.execute(
                        delete(table).where(
                            table.c.roadmap_id == roadmap_id, table.c.concept_id.in_(removed)
                        )
                    )
            status = TaskStatus(task.status)
            edited_event = {
                "edit_id": edit_id,
                "operations": len(operations),
                "added": added,
                "removed": removed,
            }
            if added:
                await self._queue_new_content(tx, roadmap_id, added)
                status = TaskStatus.PENDING
                await move(
                    tx,
                    task.id,
                    to=status,
                    step=Step.CONTENT_GENERATION,
                    job=QueueNew(self.max_attempts),
                    event=EventType.ROADMAP_EDITED,
                    data=edited_event,
                    values={"finished_at": None, "cancel_requested": False},
                )
            else:
                await tx.append_event(task.id, EventType.ROADMAP_EDITED, edited_event)
            return EditOutcome(
                task_id=task.id,
                edit_id=edit_id,
                added=added,
                removed=removed,
                content_queued=bool(added),
                status=status,
            )

    async def _queue_new_content(self, tx: Tx, roadmap_id: str, concept_ids: list[str]) -> None:
        """A pending item per kind for each new concept (after any version its id had)."""
        versions = {
            (row.concept_id, row.kind): row.version
            for row in await tx.conn.execute(
                select(
                    concept_content.c.concept_id,
                    concept_content.c.kind,
                    func.max(concept_content.c.version).label("version"),
                )
                .where(
                    concept_content.c.roadmap_id == roadmap_id,
                    concept_content.c.concept_id.in_(concept_ids),
                )
                .group_by(concept_content.c.concept_id, concept_content.c.kind)
            )
        }
        await tx.conn.execute(
            concept_content.insert(),
            [
                {
                    "roadmap_id": roadmap_id,
                    "concept_id": concept_id,
                    "kind": kind,
                    "version": versions.get((concept_id, kind), 0) + 1,
                    "status": ContentStatus.PENDING,
                    "created_at": tx.now,
                    "updated_at": tx.now,
                }
                for concept_id in concept_ids
                for kind in ContentKind
            ],
        )

    async def edit_history(self, roadmap_id: str, user_id: str) -> list[EditRecord]:
        """Every change to the roadmap, oldest first (the roadmap may be in the trash)."""
        roadmap = await self.get_roadmap(roadmap_id, user_id, in_trash=True)
        async with self.read() as conn:
            rows = await conn.execute(
                select(edit_records)
                .where(edit_records.c.task_id == roadmap.task_id)
                .order_by(edit_records.c.id)
            )
            return [
                EditRecord(
                    id=row.id,
                    round=row.round,
                    source=row.source,
                    user_id=row.user_id,
                    operations=list(row.operations or []),
                    rationale=row.rationale or "",
                    created_at=row.created_at,
                )
                for row in rows
            ]

    async def rename_roadmap(self, roadmap_id: str, user_id: str, title: str) -> RoadmapRecord:
        """Give the roadmap a new title; recorded with its other changes."""
        async with self.write() as tx:
            roadmap, task = await self._lock_roadmap(tx, roadmap_id, user_id)
            if not TaskStatus(task.status).is_terminal:
                raise Conflict(
                    f"the roadmap's task is {task.status}; rename it once it has finished",
                    code="task_busy",
                    status=task.status,
                )
            framework = {**roadmap.framework, "title": title}
            await write_edit(
                tx,
                task.id,
                0,
                LEARNER,
                [{"op": "rename_roadmap", "title": title}],
                "",
                framework,
                user_id=user_id,
            )
            await tx.append_event(task.id, EventType.ROADMAP_RENAMED, {})
        return await self.get_roadmap(roadmap_id, user_id)

    async def trash_roadmap(self, roadmap_id: str, user_id: str) -> RoadmapRecord:
        """Move the roadmap to the trash (again is a no-op); restore brings it back."""
        async with self.write() as tx:
            roadmap, task = await self._lock_roadmap(tx, roadmap_id, user_id, in_trash=True)
            if roadmap.deleted_at is None:
                await tx.conn.execute(
                    update(roadmaps).where(roadmaps.c.id == roadmap_id).values(deleted_at=tx.now)
                )
                await tx.append_event(task.id, EventType.ROADMAP_TRASHED, {})
        return await self.get_roadmap(roadmap_id, user_id, in_trash=True)

    async def restore_roadmap(self, roadmap_id: str, user_id: str) -> RoadmapRecord:
        """Take the roadmap out of the trash (a roadmap not in it is left as it is)."""
        async with self.write() as tx:
            roadmap, task = await self._lock_roadmap(tx, roadmap_id, user_id, in_trash=True)
            if roadmap.deleted_at is not None:
                await tx.conn.execute(
                    update(roadmaps).where(roadmaps.c.id == roadmap_id).values(deleted_at=None)
                )
                await tx.append_event(task.id, EventType.ROADMAP_RESTORED, {})
        return await self.get_roadmap(roadmap_id, user_id)

    async def set_share_token(self, roadmap_id: str, user_id: str, token_hash: str) -> dt.datetime:
        """Share the roadmap under a new link (the previous link stops working)."""
        async with self.write() as tx:
            _, task = await self._lock_roadmap(tx, roadmap_id, user_id)
            await tx.conn.execute(
                update(roadmaps)
                .where(roadmaps.c.id == roadmap_id)
                .values(share_token_hash=token_hash, shared_at=tx.now)
            )
            await tx.append_event(task.id, EventType.ROADMAP_SHARED, {})
            return tx.now

    async def revoke_share(self, roadmap_id: str, user_id: str) -> bool:
        """Stop sharing; returns whether there was a link to revoke."""
        async with self.write() as tx:
            roadmap, task = await self._lock_roadmap(tx, roadmap_id, user_id, in_trash=True)
            if roadmap.share_token_hash is None:
                return False
            await tx.conn.execute(
                update(roadmaps)
                .where(roadmaps.c.id == roadmap_id)
                .values(share_token_hash=None, shared_at=None)
            )
            await tx.append_event(task.id, EventType.ROADMAP_UNSHARED, {})
            return True

    async def shared_roadmap(self, token_hash: str) -> RoadmapRecord:
        """The roadmap shared under this link; NotFound for a revoked link or a trashed one."""
        async with self.read() as conn:
            row = (
                await conn.execute(
                    select(roadmaps).where(
                        roadmaps.c.share_token_hash == token_hash,
                        roadmaps.c.deleted_at.is_(None),
                    )
                )
            ).first()
        if row is None:
            raise NotFound("no shared roadmap at this link; it may have been revoked")
        return RoadmapRecord.from_row(row)

    async def progress_by_roadmap(
        self, user_id: str, roadmap_ids: list[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """The learner's progress rows on several roadmaps, in one query."""
        found: dict[str, list[dict[str, Any]]] = {rid: [] for rid in roadmap_ids}
        if not roadmap_ids:
            return found
        async with self.read() as conn:
            rows = await conn.execute(
                select(learner_progress).where(
                    learner_progress.c.user_id == user_id,
                    learner_progress.c.roadmap_id.in_(roadmap_ids),
                )
            )
            for row in rows:
                found[row.roadmap_id].append(
                    {
                        "concept_id": row.concept_id,
                        "done": row.done,
                        "quiz_score": row.quiz_score,
                    }
                )
        return found

    async def task_requests(self, task_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The learning request of several tasks (for their schedules), in one query."""
        if not task_ids:
            return {}
        async with self.read() as conn:
            rows = await conn.execute(
                select(tasks.c.id, tasks.c.request).where(tasks.c.id.in_(task_ids))
            )
            return {row.id: dict(row.request) for row in rows}

    async def fork_roadmap(
        self,
        source: RoadmapRecord,
        user_id: str,
        *,
        request: dict[str, Any],
        intent: dict[str, Any] | None,
        idempotency_key: str | None,
    ) -> Fork:
        """Copy ``source``'s framework and newest completed content into a new roadmap of
        ``user_id``, with a finished task of its own and no progress. Content that was not
        ready is copied as failed, so ``retry`` writes it."""
        if idempotency_key is not None:
            existing = await self._task_by_key(user_id, idempotency_key)
            if existing is not None:
                return Fork(roadmap_id=existing.id, task_id=existing.id, created=False)
        task_id = str(uuid.uuid4())
        try:
            async with self.write() as tx:
                items = (await tx.conn.execute(newest_items([source.id]))).all()
                concept_ids = _concept_ids(source.framework)
                copied = {
                    (item.concept_id, item.kind): item
                    for item in items
                    if item.concept_id in concept_ids
                }
                rows = []
                for concept_id in concept_ids:
                    for kind in ContentKind:
                        item = copied.get((concept_id, kind))
                        ready = item is not None and item.status == ContentStatus.COMPLETED
                        rows.append(
                            {
                                "roadmap_id": task_id,
                                "concept_id": concept_id,
                                "kind": kind,
                                "version": 1,
                                "status": ContentStatus.COMPLETED
                                if ready
                                else ContentStatus.FAILED,
                                "body": item.body if ready and item else None,
                                "generated_by": item.generated_by if ready and item else None,
                                "error_code": None if ready else "not_copied",
                                "error_message": None
                                if ready
                                else "this content was not ready when the roadmap was copied; "
                                "retry to write it",
                                "created_at": tx.now,
                                "updated_at": tx.now,
                            }
                        )
                missing = any(row["status"] == ContentStatus.FAILED for row in rows)
                status = TaskStatus.PARTIAL_FAILURE if missing else TaskStatus.COMPLETED
                await tx.conn.execute(
                    tasks.insert().values(
                        id=task_id,
                        user_id=user_id,
                        status=status,
                        current_step=Step.DONE,
                        request=request,
                        goal=request["goal"],
                        review=False,
                        idempotency_key=idempotency_key,
                        cancel_requested=False,
                        edit_rounds=0,
                        review_round=0,
                        event_seq=0,
                        error_step=Step.CONTENT_GENERATION if missing else None,
                        error_code="content_failed" if missing else None,
                        error_message="Some content was not ready when the roadmap was "
                        "copied. Retry the task to write it."
                        if missing
                        else None,
                        created_at=tx.now,
                        updated_at=tx.now,
                        finished_at=tx.now,
                    )
                )
                if intent is not None:
                    await tx.conn.execute(
                        intent_analyses.insert().values(
                            task_id=task_id, data=intent, created_at=tx.now
                        )
                    )
                await tx.conn.execute(
                    roadmaps.insert().values(
                        id=task_id,
                        task_id=task_id,
                        user_id=user_id,
                        title=source.title,
                        framework=source.framework,
                        generated_by=source.generated_by,
                        created_at=tx.now,
                        updated_at=tx.now,
                    )
                )
                if rows:
                    await tx.conn.execute(concept_content.insert(), rows)
                await tx.append_event(
                    task_id,
                    EventType.ROADMAP_FORKED,
                    {"status": status, "concepts": len(concept_ids)},
                )
        except IntegrityError as exc:
            existing = await self._task_of_key(user_id, idempotency_key, exc)
            return Fork(roadmap_id=existing.id, task_id=existing.id, created=False)
        return Fork(roadmap_id=task_id, task_id=task_id, created=True)

    async def intent_of(self, task_id: str) -> dict[str, Any] | None:
        async with self.read() as conn:
            data = (
                await conn.execute(
                    select(intent_analyses.c.data).where(intent_analyses.c.task_id == task_id)
                )
            ).scalar_one_or_none()
        return dict(data) if data is not None else None


def require_editable(status: TaskStatus) -> None:
    """Refuse a change while the task runs (``task_busy``) or when it ended without a
    usable roadmap (``roadmap_not_editable``)."""
    if status in EDITABLE:
        return
    if status.is_terminal:
        raise Conflict(
            f"only a completed roadmap can be changed; this one is {status}",
            code="roadmap_not_editable",
            status=status,
        )
    raise Conflict(
        f"the roadmap's task is {status}; change it once it has finished",
        code="task_busy",
        status=status,
    )


def _concept_ids(framework: dict[str, Any]) -> list[str]:
    return Framework.model_validate(framework).concept_ids()
