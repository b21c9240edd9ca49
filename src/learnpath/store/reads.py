"""Reads for the API, web UI and CLI. Every user-facing read is scoped to its owner."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Select, Table, and_, or_, select

from learnpath.store.base import Conflict, NotFound, StoreBase
from learnpath.store.progress import (
    count_progress,
    latest_content_statuses,
    latest_statuses_by_roadmap,
    newest_items,
)
from learnpath.store.records import (
    ContentItem,
    EventRecord,
    RoadmapRecord,
    StepRunRecord,
    TaskRecord,
)
from learnpath.store.tables import (
    concept_content,
    roadmaps,
    step_runs,
    task_events,
    tasks,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _cursor(created_at: dt.datetime, item_id: str) -> str:
    return f"{created_at.isoformat()}|{item_id}"


def _parse_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        stamp, item_id = cursor.split("|", 1)
        parsed = dt.datetime.fromisoformat(stamp)
        if parsed.tzinfo is None:
            raise ValueError("a cursor's time has a time zone")
        return parsed, item_id
    except ValueError as exc:
        raise ValueError("invalid cursor; pass back the next_cursor of a previous page") from exc


def _newest_first(query: Select[Any], table: Table, cursor: str | None, limit: int) -> Select[Any]:
    """``query`` newest first, from just after ``cursor``, with one row over ``limit``
    (its presence says there is a next page)."""
    if cursor:
        stamp, last_id = _parse_cursor(cursor)
        query = query.where(
            or_(
                table.c.created_at < stamp,
                and_(table.c.created_at == stamp, table.c.id < last_id),
            )
        )
    return query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit + 1)


class _Dated(Protocol):
    @property
    def created_at(self) -> dt.datetime: ...

    @property
    def id(self) -> str: ...


D = TypeVar("D", bound=_Dated)


def _page(items: list[D], more: bool) -> Page[D]:
    """A page of ``items``; ``more`` (a row over the limit was read) gives it a next cursor."""
    next_cursor = _cursor(items[-1].created_at, items[-1].id) if more else None
    return Page(items=items, next_cursor=next_cursor)


class ReadQueries(StoreBase):
    async def get_task(self, task_id: str, user_id: str | None = None) -> TaskRecord:
        """The task with its roadmap id and progress; NotFound for another user's task."""
        async with self.read() as conn:
            query = (
                select(tasks, roadmaps.c.id.label("roadmap_id"))
                .outerjoin(roadmaps, roadmaps.c.task_id == tasks.c.id)
                .where(tasks.c.id == task_id)
            )
            if user_id is not None:
                query = query.where(tasks.c.user_id == user_id)
            row = (await conn.execute(query)).first()
            if row is None:
                raise NotFound(f"no task {task_id}")
            done = total = 0
            if row.roadmap_id:
                done, total = count_progress(await latest_content_statuses(conn, row.roadmap_id))
        return TaskRecord.from_row(
            row, roadmap_id=row.roadmap_id, progress_done=done, progress_total=total
        )

    async def task_ids_with_prefix(
        self, prefix: str, user_id: str | None = None, *, limit: int = 10
    ) -> list[str]:
        """Ids of the tasks whose id starts with ``prefix`` (at most ``limit``), oldest first."""
        cleaned = prefix.lower()
        if not cleaned or any(ch not in "0123456789abcdef-" for ch in cleaned):
            return []
        async with self.read() as conn:
            query = (
                select(tasks.c.id)
                .where(tasks.c.id.startswith(cleaned, autoescape=True))
                .order_by(tasks.c.created_at, tasks.c.id)
                .limit(limit)
            )
            if user_id is not None:
                query = query.where(tasks.c.user_id == user_id)
            return [str(row.id) for row in await conn.execute(query)]

    async def list_tasks(
        self,
        user_id: str | None,
        *,
        limit: int = 50,
        cursor: str | None = None,
        status: str | None = None,
    ) -> Page[TaskRecord]:
        """Newest first; pass ``next_cursor`` back for the next page."""
        async with self.read() as conn:
            query = (
                select(tasks, roadmaps.c.id.label("roadmap_id"))
                .outerjoin(roadmaps, roadmaps.c.task_id == tasks.c.id)
                .where(roadmaps.c.deleted_at.is_(None))  # a trashed roadmap's task is hidden too
            )
            if user_id is not None:
                query = query.where(tasks.c.user_id == user_id)
            if status is not None:
                query = query.where(tasks.c.status == status)
            rows = (await conn.execute(_newest_first(query, tasks, cursor, limit))).all()
            page = rows[:limit]
            statuses = await latest_statuses_by_roadmap(
                conn, [r.roadmap_id for r in page if r.roadmap_id]
            )
        items = []
        for r in page:
            done, total = count_progress(statuses.get(r.roadmap_id, {}))
            items.append(
                TaskRecord.from_row(
                    r, roadmap_id=r.roadmap_id, progress_done=done, progress_total=total
                )
            )
        return _page(items, more=len(rows) > limit)

    async def events_after(
        self, task_id: str, after_seq: int = 0, limit: int = 500
    ) -> list[EventRecord]:
        async with self.read() as conn:
            rows = await conn.execute(
                select(task_events)
                .where(task_events.c.task_id == task_id, task_events.c.seq > after_seq)
                .order_by(task_events.c.seq)
                .limit(limit)
            )
            return [
                EventRecord(
                    task_id=r.task_id, seq=r.seq, type=r.type, data=r.data, created_at=r.created_at
                )
                for r in rows
            ]

    async def latest_event(self, task_id: str, type_: str) -> EventRecord | None:
        """The newest event of one type for a task (e.g. the last ``review_required``)."""
        async with self.read() as conn:
            row = (
                await conn.execute(
                    select(task_events)
                    .where(task_events.c.task_id == task_id, task_events.c.type == type_)
                    .order_by(task_events.c.seq.desc())
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        return EventRecord(
            task_id=row.task_id,
            seq=row.seq,
            type=row.type,
            data=row.data,
            created_at=row.created_at,
        )

    async def get_roadmap(
        self, roadmap_id: str, user_id: str | None = None, *, in_trash: bool = False
    ) -> RoadmapRecord:
        """The roadmap; a Conflict (``roadmap_in_trash``) when it is in the trash, unless
        ``in_trash`` asks for it as it is."""
        async with self.read() as conn:
            query = select(roadmaps).where(roadmaps.c.id == roadmap_id)
            if user_id is not None:
                query = query.where(roadmaps.c.user_id == user_id)
            row = (await conn.execute(query)).first()
        if row is None:
            raise NotFound(f"no roadmap {roadmap_id}")
        if row.deleted_at is not None and not in_trash:
            raise Conflict(
                f"the roadmap {roadmap_id} is in the trash; restore it to use it again",
                code="roadmap_in_trash",
            )
        return RoadmapRecord.from_row(row)

    async def list_roadmaps(
        self,
        user_id: str | None,
        *,
        limit: int = 50,
        cursor: str | None = None,
        in_trash: bool = False,
    ) -> Page[RoadmapRecord]:
        """Newest first: the roadmaps outside the trash, or (``in_trash``) those in it."""
        async with self.read() as conn:
            deleted = (
                roadmaps.c.deleted_at.is_not(None) if in_trash else roadmaps.c.deleted_at.is_(None)
            )
            query = select(roadmaps).where(deleted)
            if user_id is not None:
                query = query.where(roadmaps.c.user_id == user_id)
            rows = (await conn.execute(_newest_first(query, roadmaps, cursor, limit))).all()
        items = [RoadmapRecord.from_row(r) for r in rows[:limit]]
        return _page(items, more=len(rows) > limit)

    async def latest_content(
        self, roadmap_id: str, concept_id: str | None = None
    ) -> list[ContentItem]:
        """The newest version of each content item of a roadmap (or of one concept)."""
        async with self.read() as conn:
            query = newest_items([roadmap_id])
            if concept_id is not None:
                query = query.where(concept_content.c.concept_id == concept_id)
            rows = await conn.execute(query.order_by(concept_content.c.id))
            return [ContentItem.from_row(r) for r in rows]

    async def step_runs(self, task_id: str) -> list[StepRunRecord]:
        async with self.read() as conn:
            rows = await conn.execute(
                select(step_runs).where(step_runs.c.task_id == task_id).order_by(step_runs.c.id)
            )
            return [StepRunRecord.from_row(r) for r in rows]
