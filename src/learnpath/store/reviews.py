"""Review cards, their FSRS schedule and review log, and each learner's calendar feed.

``sync_cards`` keeps the cards in step with the newest completed quizzes and the learner's
progress (``learnpath.domain.reviews.plan_cards`` decides; this module only reads and writes).
It is idempotent and safe to run concurrently: a card is created once per quiz version and
question (unique key, conflicts ignored), and a new card is scheduled only while still new.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from learnpath.domain.content import Quiz, QuizQuestion
from learnpath.domain.reviews import (
    CardChange,
    CardRow,
    CardState,
    QuizVersion,
    Rating,
    Study,
    plan_cards,
    review,
)
from learnpath.domain.roadmap import Framework
from learnpath.store.base import Conflict, StoreBase, Tx, owned_row
from learnpath.store.tables import (
    concept_content,
    learner_calendars,
    learner_progress,
    review_cards,
    review_logs,
    roadmaps,
)

DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True)
class CardView:
    """A card with the question it asks and where it comes from."""

    id: str
    roadmap_id: str
    roadmap_title: str
    concept_id: str
    concept_name: str
    quiz_version: int
    question_index: int
    state: str
    due: dt.datetime | None
    last_review: dt.datetime | None
    reps: int
    lapses: int
    question: QuizQuestion | None


@dataclass(frozen=True)
class CardCounts:
    due: int
    new: int
    scheduled: int
    next_due: dt.datetime | None


@dataclass(frozen=True)
class Answered:
    card: CardView
    rating: Rating
    due_before: dt.datetime | None


@dataclass(frozen=True)
class CalendarSettings:
    timezone: str
    feed_active: bool
    feed_created_at: dt.datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _insert_new(postgres: bool) -> Any:
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    return dialect_insert(review_cards).on_conflict_do_nothing()


class _Catalog:
    """Titles, concept names and quiz bodies of a user's roadmaps, read once per call."""

    def __init__(self) -> None:
        self.titles: dict[str, str] = {}
        self.names: dict[tuple[str, str], str] = {}
        self.quizzes: dict[tuple[str, str, int], Quiz] = {}
        self.newest: dict[tuple[str, str], tuple[int, dt.datetime]] = {}

    async def load(self, conn: AsyncConnection, user_id: str, roadmap_id: str | None) -> None:
        query = select(roadmaps.c.id, roadmaps.c.title, roadmaps.c.framework).where(
            roadmaps.c.user_id == user_id
        )
        if roadmap_id is not None:
            query = query.where(roadmaps.c.id == roadmap_id)
        for row in await conn.execute(query):
            self.titles[row.id] = row.title
            for _, _, concept in Framework.model_validate(row.framework).concepts():
                self.names[(row.id, concept.id)] = concept.name
        if not self.titles:
            return
        quizzes = await conn.execute(
            select(
                concept_content.c.roadmap_id,
                concept_content.c.concept_id,
                concept_content.c.version,
                concept_content.c.body,
                concept_content.c.updated_at,
            ).where(
                concept_content.c.roadmap_id.in_(list(self.titles)),
                concept_content.c.kind == "quiz",
                concept_content.c.status == "completed",
            )
        )
        for quiz_row in quizzes:
            if quiz_row.body is None:
                continue
            self.quizzes[(quiz_row.roadmap_id, quiz_row.concept_id, quiz_row.version)] = (
                Quiz.model_validate(quiz_row.body)
            )
            key = (quiz_row.roadmap_id, quiz_row.concept_id)
            if key not in self.newest or self.newest[key][0] < quiz_row.version:
                self.newest[key] = (quiz_row.version, quiz_row.updated_at)

    def view(self, row: Any) -> CardView:
        quiz = self.quizzes.get((row.roadmap_id, row.concept_id, row.quiz_version))
        question = (
            quiz.questions[row.question_index]
            if quiz is not None and row.question_index < len(quiz.questions)
            else None
        )
        return CardView(
            id=row.id,
            roadmap_id=row.roadmap_id,
            roadmap_title=self.titles.get(row.roadmap_id, ""),
            concept_id=row.concept_id,
            concept_name=self.names.get((row.roadmap_id, row.concept_id), row.concept_id),
            quiz_version=row.quiz_version,
            question_index=row.question_index,
            state=row.state,
            due=row.due,
            last_review=row.last_review,
            reps=row.reps,
            lapses=row.lapses,
            question=question,
        )


class ReviewQueries(StoreBase):
    async def sync_cards(self, user_id: str, roadmap_id: str | None = None) -> None:
        """Create, retire and schedule the user's cards so they match quizzes and progress."""
        catalog = _Catalog()
        async with self.read() as conn:
            await catalog.load(conn, user_id, roadmap_id)
            if not catalog.titles:
                return
            cards = (
                await conn.execute(
                    select(review_cards).where(
                        review_cards.c.user_id == user_id,
                        review_cards.c.roadmap_id.in_(list(catalog.titles)),
                        review_cards.c.state != CardState.RETIRED,
                    )
                )
            ).all()
            progress = (
                await conn.execute(
                    select(learner_progress).where(
                        learner_progress.c.user_id == user_id,
                        learner_progress.c.roadmap_id.in_(list(catalog.titles)),
                    )
                )
            ).all()
        for rid in catalog.titles:
            quizzes = [
                QuizVersion(
                    concept_id=cid,
                    version=version,
                    questions=catalog.quizzes[(rid, cid, version)].questions,
                    completed_at=completed,
                )
                for (r, cid), (version, completed) in sorted(catalog.newest.items())
                if r == rid
            ]
            rows = [_card_row(c) for c in cards if c.roadmap_id == rid]
            studies = {
                p.concept_id: Study(
                    done=p.done, quiz_answers=p.quiz_answers, updated_at=p.updated_at
                )
                for p in progress
                if p.roadmap_id == rid
            }
            concepts = {cid for r, cid in catalog.names if r == rid}
            plan = plan_cards(quizzes, rows, studies, self.clock(), concepts)
            if plan.retire or plan.changes:
                async with self.write() as tx:
                    await self._apply(tx, user_id, rid, plan.retire, plan.changes)

    async def _apply(
        self, tx: Tx, user_id: str, roadmap_id: str, retire: list[str], changes: list[CardChange]
    ) -> None:
        if retire:
            await tx.conn.execute(
                update(review_cards)
                .where(review_cards.c.id.in_(retire), review_cards.c.user_id == user_id)
                .values(state=CardState.RETIRED, updated_at=tx.now)
            )
        for change in changes:
            values = {
                "state": change.state,
                "fsrs": change.fsrs,
                "due": change.due,
                "last_review": change.last_review,
                "reps": change.reps,
                "lapses": change.lapses,
                "updated_at": tx.now,
            }
            if change.id is None:
                card_id = str(uuid.uuid4())
                inserted = await tx.conn.execute(
                    _insert_new(self.is_postgres)
                    .values(
                        id=card_id,
                        user_id=user_id,
                        roadmap_id=roadmap_id,
                        concept_id=change.concept_id,
                        quiz_version=change.quiz_version,
                        question_index=change.question_index,
                        fingerprint=change.fingerprint,
                        created_at=tx.now,
                        **values,
                    )
                    .returning(review_cards.c.id)
                )
                written = inserted.first() is not None
            else:
                card_id = change.id
                result = await tx.conn.execute(
                    update(review_cards)
                    .where(review_cards.c.id == card_id, review_cards.c.state == CardState.NEW)
                    .values(**values)
                )
                written = bool(result.rowcount)
            first = change.first_review
            if written and first is not None and change.due is not None:
                await tx.conn.execute(
                    review_logs.insert().values(
                        card_id=card_id,
                        user_id=user_id,
                        rating=first.rating,
                        chosen=first.chosen,
                        correct=first.correct,
                        reviewed_at=first.at,
                        due_before=None,
                        due_after=change.due,
                    )
                )

    async def due_cards(
        self,
        user_id: str,
        until: dt.datetime,
        *,
        roadmap_id: str | None = None,
        limit: int = 100,
    ) -> list[CardView]:
        """Scheduled cards due before ``until``, the most overdue first."""
        catalog = _Catalog()
        async with self.read() as conn:
            await catalog.load(conn, user_id, roadmap_id)
            query = self._scheduled(user_id, roadmap_id).where(review_cards.c.due < until)
            rows = await conn.execute(
                query.order_by(
                    review_cards.c.due,
                    review_cards.c.roadmap_id,
                    review_cards.c.concept_id,
                    review_cards.c.question_index,
                ).limit(limit)
            )
            return [catalog.view(r) for r in rows]

    async def scheduled_cards(
        self, user_id: str, until: dt.datetime, roadmap_id: str | None = None
    ) -> list[CardView]:
        """Every scheduled card due before ``until`` (for the calendar feed)."""
        return await self.due_cards(user_id, until, roadmap_id=roadmap_id, limit=100_000)

    def _scheduled(self, user_id: str, roadmap_id: str | None) -> Select[Any]:
        query = select(review_cards).where(
            review_cards.c.user_id == user_id,
            review_cards.c.state == CardState.SCHEDULED,
            _outside_trash(user_id),
        )
        if roadmap_id is not None:
            query = query.where(review_cards.c.roadmap_id == roadmap_id)
        return query

    async def card_counts(
        self, user_id: str, until: dt.datetime, roadmap_id: str | None = None
    ) -> CardCounts:
        """How many cards are due before ``until``, new and scheduled, and the next due date."""
        async with self.read() as conn:
            query = select(review_cards.c.state, review_cards.c.due).where(
                review_cards.c.user_id == user_id,
                review_cards.c.state != CardState.RETIRED,
                _outside_trash(user_id),
            )
            if roadmap_id is not None:
                query = query.where(review_cards.c.roadmap_id == roadmap_id)
            rows = (await conn.execute(query)).all()
        scheduled = [r.due for r in rows if r.state == CardState.SCHEDULED and r.due is not None]
        later = [d for d in scheduled if d >= until]
        return CardCounts(
            due=sum(1 for d in scheduled if d < until),
            new=sum(1 for r in rows if r.state == CardState.NEW),
            scheduled=len(scheduled),
            next_due=min(later) if later else None,
        )

    async def get_card(self, user_id: str, card_id: str) -> CardView:
        catalog = _Catalog()
        async with self.read() as conn:
            row = await owned_row(conn, review_cards, card_id, user_id, "card")
            await catalog.load(conn, user_id, row.roadmap_id)
        return catalog.view(row)

    async def answer_card(
        self,
        user_id: str,
        card_id: str,
        rating: Rating,
        *,
        due_by: dt.datetime,
        chosen: int | None = None,
        correct: bool | None = None,
    ) -> Answered:
        """Review a card that is due before ``due_by``: FSRS reschedules it, the log keeps it.

        ``Conflict``: the card was retired (``card_retired``), or it is not due yet
        (``card_not_due``: a second click cannot review it twice).
        """
        async with self.write() as tx:
            row = await owned_row(tx.conn, review_cards, card_id, user_id, "card", for_update=True)
            trashed = await tx.conn.execute(
                select(roadmaps.c.deleted_at).where(roadmaps.c.id == row.roadmap_id)
            )
            if trashed.scalar_one_or_none() is not None:
                raise Conflict(
                    "this card's roadmap is in the trash; restore it to review its cards",
                    code="roadmap_in_trash",
                )
            if row.state == CardState.RETIRED:
                raise Conflict(
                    "this card's quiz was replaced by a newer version; review the new cards",
                    code="card_retired",
                )
            if row.state == CardState.SCHEDULED and row.due is not None and row.due >= due_by:
                raise Conflict(
                    f"this card is not due yet (next review {row.due:%Y-%m-%d}); nothing was "
                    "changed",
                    code="card_not_due",
                    due=row.due.isoformat(),
                )
            schedule = review(row.fsrs, rating, tx.now)
            lapse = rating is Rating.AGAIN and row.last_review is not None
            await tx.conn.execute(
                update(review_cards)
                .where(review_cards.c.id == card_id)
                .values(
                    state=CardState.SCHEDULED,
                    fsrs=schedule.fsrs,
                    due=schedule.due,
                    last_review=schedule.last_review,
                    reps=review_cards.c.reps + 1,
                    lapses=review_cards.c.lapses + (1 if lapse else 0),
                    updated_at=tx.now,
                )
            )
            await tx.conn.execute(
                review_logs.insert().values(
                    card_id=card_id,
                    user_id=user_id,
                    rating=rating,
                    chosen=chosen,
                    correct=correct,
                    reviewed_at=tx.now,
                    due_before=row.due,
                    due_after=schedule.due,
                )
            )
        return Answered(
            card=await self.get_card(user_id, card_id), rating=rating, due_before=row.due
        )

    async def review_log(self, user_id: str, card_id: str) -> list[dict[str, Any]]:
        async with self.read() as conn:
            rows = await conn.execute(
                select(review_logs)
                .where(review_logs.c.card_id == card_id, review_logs.c.user_id == user_id)
                .order_by(review_logs.c.id)
            )
            return [
                {
                    "rating": r.rating,
                    "chosen": r.chosen,
                    "correct": r.correct,
                    "reviewed_at": r.reviewed_at,
                    "due_after": r.due_after,
                }
                for r in rows
            ]

    # --- the calendar feed and time zone ---------------------------------------------------

    async def calendar_settings(self, user_id: str) -> CalendarSettings:
        async with self.read() as conn:
            row = (
                await conn.execute(
                    select(learner_calendars).where(learner_calendars.c.user_id == user_id)
                )
            ).first()
        if row is None:
            return CalendarSettings(DEFAULT_TIMEZONE, feed_active=False, feed_created_at=None)
        return CalendarSettings(
            timezone=row.timezone,
            feed_active=row.feed_token_hash is not None,
            feed_created_at=row.feed_created_at,
        )

    async def _upsert_calendar(self, tx: Tx, user_id: str, **values: Any) -> None:
        exists = (
            await tx.conn.execute(
                select(learner_calendars.c.user_id)
                .where(learner_calendars.c.user_id == user_id)
                .with_for_update()
            )
        ).first()
        if exists is None:
            await tx.conn.execute(
                learner_calendars.insert().values(
                    user_id=user_id,
                    timezone=values.pop("timezone", DEFAULT_TIMEZONE),
                    created_at=tx.now,
                    updated_at=tx.now,
                    **values,
                )
            )
        else:
            await tx.conn.execute(
                update(learner_calendars)
                .where(learner_calendars.c.user_id == user_id)
                .values(updated_at=tx.now, **values)
            )

    async def set_timezone(self, user_id: str, timezone: str) -> CalendarSettings:
        async with self.write() as tx:
            await self._upsert_calendar(tx, user_id, timezone=timezone)
        return await self.calendar_settings(user_id)

    async def rotate_feed_token(self, user_id: str) -> str:
        """A new secret for the user's calendar feed; the previous one stops working."""
        token = "cal_" + secrets.token_urlsafe(32)
        async with self.write() as tx:
            await self._upsert_calendar(
                tx, user_id, feed_token_hash=_hash(token), feed_created_at=tx.now
            )
        return token

    async def revoke_feed(self, user_id: str) -> None:
        async with self.write() as tx:
            await self._upsert_calendar(tx, user_id, feed_token_hash=None, feed_created_at=None)

    async def feed_owner(self, token: str) -> tuple[str, str] | None:
        """``(user id, time zone)`` of the feed whose secret is ``token``; None when unknown."""
        async with self.read() as conn:
            row = (
                await conn.execute(
                    select(learner_calendars.c.user_id, learner_calendars.c.timezone).where(
                        learner_calendars.c.feed_token_hash == _hash(token)
                    )
                )
            ).first()
        return (str(row.user_id), str(row.timezone)) if row else None

    async def due_count_by_roadmap(self, user_id: str, until: dt.datetime) -> dict[str, int]:
        async with self.read() as conn:
            rows = await conn.execute(
                select(review_cards.c.roadmap_id, func.count())
                .where(
                    review_cards.c.user_id == user_id,
                    review_cards.c.state == CardState.SCHEDULED,
                    review_cards.c.due < until,
                    _outside_trash(user_id),
                )
                .group_by(review_cards.c.roadmap_id)
            )
            return {str(r[0]): int(r[1]) for r in rows}


def _outside_trash(user_id: str) -> Any:
    """Cards of roadmaps outside the trash: a trashed roadmap's cards wait until it is restored."""
    return review_cards.c.roadmap_id.in_(
        select(roadmaps.c.id).where(roadmaps.c.user_id == user_id, roadmaps.c.deleted_at.is_(None))
    )


def _card_row(row: Any) -> CardRow:
    return CardRow(
        id=row.id,
        concept_id=row.concept_id,
        quiz_version=row.quiz_version,
        question_index=row.question_index,
        fingerprint=row.fingerprint,
        state=CardState(row.state),
        fsrs=row.fsrs,
        due=row.due,
        last_review=row.last_review,
        reps=row.reps,
        lapses=row.lapses,
    )
