"""The tutor's conversations and the learner's notes, per user and concept.

Every read and write is scoped to its owner: another user's roadmap, message or note is
``NotFound``, exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from learnpath.domain.tutor import MessageRole, MessageStatus
from learnpath.store.base import Conflict, NotFound, StoreBase, Tx, owned_row
from learnpath.store.records import _FromRow
from learnpath.store.tables import concept_notes, roadmaps, tutor_messages

#: An answer still ``streaming`` whose writer has not touched it for this long was cut off
#: (its process died): it is shown as interrupted, with the text written so far.
STALE_ANSWER_SECONDS = 45.0


@dataclass(frozen=True)
class MessageRecord(_FromRow):
    id: str
    user_id: str
    roadmap_id: str
    concept_id: str
    seq: int
    role: str
    status: str
    text: str
    sources: list[dict[str, Any]] | None
    citations: list[int] | None
    generated_by: str | None
    error_code: str | None
    error_message: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class NoteRecord(_FromRow):
    id: str
    user_id: str
    roadmap_id: str
    concept_id: str
    markdown: str
    source_message_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


INTERRUPTED = (
    "reply_interrupted",
    "The tutor stopped before finishing this answer (the server restarted). What it had "
    "written is kept; ask again for a complete answer.",
)


async def _owned_roadmap(tx: Tx, roadmap_id: str, user_id: str, *, lock: bool = False) -> None:
    query = select(roadmaps.c.id).where(roadmaps.c.id == roadmap_id, roadmaps.c.user_id == user_id)
    if lock:
        query = query.with_for_update()
    if (await tx.conn.execute(query)).first() is None:
        raise NotFound(f"no roadmap {roadmap_id}")


def _conversation(user_id: str, roadmap_id: str, concept_id: str) -> Any:
    return and_(
        tutor_messages.c.user_id == user_id,
        tutor_messages.c.roadmap_id == roadmap_id,
        tutor_messages.c.concept_id == concept_id,
    )


class TutoringQueries(StoreBase):
    async def start_exchange(
        self,
        user_id: str,
        roadmap_id: str,
        concept_id: str,
        *,
        question: str,
        sources: list[dict[str, Any]],
        generated_by: str,
    ) -> tuple[MessageRecord, MessageRecord]:
        """Store the question and an empty answer (``streaming``) after it; returns both.

        Refused (``Conflict`` ``reply_in_progress``) while an answer in this conversation is
        still being written.
        """
        try:
            async with self.write() as tx:
                await _owned_roadmap(tx, roadmap_id, user_id, lock=True)
                where = _conversation(user_id, roadmap_id, concept_id)
                await self._interrupt_stale(tx, where)
                busy = (
                    await tx.conn.execute(
                        select(tutor_messages.c.id).where(
                            where, tutor_messages.c.status == MessageStatus.STREAMING
                        )
                    )
                ).first()
                if busy is not None:
                    raise _busy()
                last = (
                    await tx.conn.execute(select(func.max(tutor_messages.c.seq)).where(where))
                ).scalar_one_or_none()
                seq = int(last or 0)
                rows = []
                for role, status, text in (
                    (MessageRole.QUESTION, MessageStatus.COMPLETED, question),
                    (MessageRole.ANSWER, MessageStatus.STREAMING, ""),
                ):
                    seq += 1
                    row: dict[str, Any] = {
                        "id": str(uuid.uuid4()),
                        "user_id": user_id,
                        "roadmap_id": roadmap_id,
                        "concept_id": concept_id,
                        "seq": seq,
                        "role": role,
                        "status": status,
                        "text": text,
                        "sources": sources if role is MessageRole.ANSWER else None,
                        "citations": None,
                        "generated_by": generated_by if role is MessageRole.ANSWER else None,
                        "error_code": None,
                        "error_message": None,
                        "created_at": tx.now,
                        "updated_at": tx.now,
                    }
                    await tx.conn.execute(tutor_messages.insert().values(**row))
                    rows.append(MessageRecord(**row))
        except IntegrityError as exc:  # a concurrent question took the same place
            raise _busy() from exc
        return rows[0], rows[1]

    async def write_answer(self, message_id: str, text: str) -> bool:
        """Save the answer's text so far (also a heartbeat); False once it is no longer streaming."""
        async with self.write() as tx:
            result = await tx.conn.execute(
                update(tutor_messages)
                .where(
                    tutor_messages.c.id == message_id,
                    tutor_messages.c.status == MessageStatus.STREAMING,
                )
                .values(text=text, updated_at=tx.now)
            )
            return bool(result.rowcount)

    async def finish_answer(
        self,
        message_id: str,
        text: str,
        *,
        status: MessageStatus,
        citations: list[int] | None = None,
        error: tuple[str, str] | None = None,
    ) -> MessageRecord:
        """End a streaming answer as completed, failed or interrupted, keeping ``text``."""
        async with self.write() as tx:
            await tx.conn.execute(
                update(tutor_messages)
                .where(
                    tutor_messages.c.id == message_id,
                    tutor_messages.c.status == MessageStatus.STREAMING,
                )
                .values(
                    text=text,
                    status=status,
                    citations=citations,
                    error_code=error[0] if error else None,
                    error_message=error[1] if error else None,
                    updated_at=tx.now,
                )
            )
            row = (
                await tx.conn.execute(
                    select(tutor_messages).where(tutor_messages.c.id == message_id)
                )
            ).one()
        return MessageRecord.from_row(row)

    async def _interrupt_stale(self, tx: Tx, where: Any) -> None:
        cutoff = tx.now - dt.timedelta(seconds=STALE_ANSWER_SECONDS)
        await tx.conn.execute(
            update(tutor_messages)
            .where(
                where,
                tutor_messages.c.status == MessageStatus.STREAMING,
                tutor_messages.c.updated_at < cutoff,
            )
            .values(
                status=MessageStatus.INTERRUPTED,
                error_code=INTERRUPTED[0],
                error_message=INTERRUPTED[1],
                updated_at=tx.now,
            )
        )

    async def conversation(
        self, user_id: str, roadmap_id: str, concept_id: str
    ) -> list[MessageRecord]:
        """The conversation about one concept, oldest first (a cut-off answer as interrupted)."""
        where = _conversation(user_id, roadmap_id, concept_id)
        async with self.read() as conn:
            await _require_roadmap(conn, roadmap_id, user_id)
            stale = await self._has_stale(conn, where)
        if stale:
            async with self.write() as tx:
                await self._interrupt_stale(tx, where)
        async with self.read() as conn:
            rows = await conn.execute(
                select(tutor_messages).where(where).order_by(tutor_messages.c.seq)
            )
            return [MessageRecord.from_row(r) for r in rows]

    async def _has_stale(self, conn: AsyncConnection, where: Any) -> bool:
        cutoff = self.clock() - dt.timedelta(seconds=STALE_ANSWER_SECONDS)
        row = (
            await conn.execute(
                select(tutor_messages.c.id).where(
                    where,
                    tutor_messages.c.status == MessageStatus.STREAMING,
                    tutor_messages.c.updated_at < cutoff,
                )
            )
        ).first()
        return row is not None

    async def tutor_message(self, user_id: str, message_id: str) -> MessageRecord:
        async with self.read() as conn:
            row = await owned_row(conn, tutor_messages, message_id, user_id, "message")
        record = MessageRecord.from_row(row)
        if record.status == MessageStatus.STREAMING and record.updated_at < self.clock() - (
            dt.timedelta(seconds=STALE_ANSWER_SECONDS)
        ):
            async with self.write() as tx:
                await self._interrupt_stale(tx, tutor_messages.c.id == message_id)
            return await self.tutor_message(user_id, message_id)
        return record

    async def question_times(self, user_id: str, since: dt.datetime) -> list[dt.datetime]:
        """When the user asked the tutor questions since ``since`` (for the rate limit)."""
        async with self.read() as conn:
            rows = await conn.execute(
                select(tutor_messages.c.created_at).where(
                    tutor_messages.c.user_id == user_id,
                    tutor_messages.c.role == MessageRole.QUESTION,
                    tutor_messages.c.created_at >= since,
                )
            )
            return [r.created_at for r in rows]

    # --- notes ----------------------------------------------------------------------------

    async def add_note(
        self,
        user_id: str,
        roadmap_id: str,
        concept_id: str,
        markdown: str,
        *,
        source_message_id: str | None = None,
    ) -> NoteRecord:
        async with self.write() as tx:
            await _owned_roadmap(tx, roadmap_id, user_id)
            row: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "user_id": user_id,
                "roadmap_id": roadmap_id,
                "concept_id": concept_id,
                "markdown": markdown,
                "source_message_id": source_message_id,
                "created_at": tx.now,
                "updated_at": tx.now,
            }
            await tx.conn.execute(concept_notes.insert().values(**row))
        return NoteRecord(**row)

    async def notes(
        self, user_id: str, roadmap_id: str, concept_id: str | None = None
    ) -> list[NoteRecord]:
        """The user's notes on a roadmap (or one of its concepts), oldest first."""
        async with self.read() as conn:
            await _require_roadmap(conn, roadmap_id, user_id)
            query = select(concept_notes).where(
                concept_notes.c.user_id == user_id, concept_notes.c.roadmap_id == roadmap_id
            )
            if concept_id is not None:
                query = query.where(concept_notes.c.concept_id == concept_id)
            rows = await conn.execute(
                query.order_by(concept_notes.c.created_at, concept_notes.c.id)
            )
            return [NoteRecord.from_row(r) for r in rows]

    async def get_note(self, user_id: str, note_id: str) -> NoteRecord:
        async with self.read() as conn:
            row = await owned_row(conn, concept_notes, note_id, user_id, "note")
        return NoteRecord.from_row(row)

    async def update_note(self, user_id: str, note_id: str, markdown: str) -> NoteRecord:
        async with self.write() as tx:
            result = await tx.conn.execute(
                update(concept_notes)
                .where(concept_notes.c.id == note_id, concept_notes.c.user_id == user_id)
                .values(markdown=markdown, updated_at=tx.now)
            )
            if not result.rowcount:
                raise NotFound(f"no note {note_id}")
        return await self.get_note(user_id, note_id)

    async def delete_note(self, user_id: str, note_id: str) -> None:
        async with self.write() as tx:
            result = await tx.conn.execute(
                concept_notes.delete().where(
                    concept_notes.c.id == note_id, concept_notes.c.user_id == user_id
                )
            )
            if not result.rowcount:
                raise NotFound(f"no note {note_id}")

    async def note_counts(self, user_id: str, roadmap_id: str) -> dict[str, int]:
        """Notes per concept of a roadmap."""
        async with self.read() as conn:
            rows = await conn.execute(
                select(concept_notes.c.concept_id, func.count())
                .where(concept_notes.c.user_id == user_id, concept_notes.c.roadmap_id == roadmap_id)
                .group_by(concept_notes.c.concept_id)
            )
            return {str(r[0]): int(r[1]) for r in rows}


async def _require_roadmap(conn: AsyncConnection, roadmap_id: str, user_id: str) -> None:
    found = (
        await conn.execute(
            select(roadmaps.c.id).where(roadmaps.c.id == roadmap_id, roadmaps.c.user_id == user_id)
        )
    ).first()
    if found is None:
        raise NotFound(f"no roadmap {roadmap_id}")


def _busy() -> Conflict:
    return Conflict(
        "the tutor is still answering the previous question about this concept; wait for it "
        "to finish, then ask again",
        code="reply_in_progress",
    )
