"""Spaced repetition: every quiz question is a review card scheduled with FSRS.

Decisions (also in the README):

* **When a card starts.** A card is *new* (not due) until the learner meets its concept:
  answering the concept's quiz is the card's first review (the right option is ``good``, a
  wrong or skipped one ``again``); marking the concept done without the quiz makes its cards
  due at once. So a fresh roadmap does not drop every question on today's list.
* **Ratings.** A learner rates a card ``again``, ``hard``, ``good`` or ``easy``, or picks an
  option: the right option counts as ``good``, a wrong one as ``again``.
* **Days, not minutes.** The scheduler has no intra-day learning steps (the shortest interval
  is a day), since reviews are planned per day and shown in a calendar; fuzzing is off, so
  the same answers always give the same dates.
* **Regenerated quizzes.** When a newer quiz version of a concept is completed, the old
  version's cards are *retired* (kept with their history, never due again) and the new
  questions become cards. A new question identical to an old one (same question text and
  right option) keeps the old card's schedule; other new questions of a concept the learner
  had already met are due at once; otherwise they are new.

Everything here is pure: the store feeds it rows and writes back what it returns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import fsrs

from learnpath.domain.content import QuizQuestion

_SCHEDULER = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
_FSRS_CARD_ID = 1  # the library wants an id; ours is the row's


class Rating(StrEnum):
    AGAIN = "again"
    HARD = "hard"
    GOOD = "good"
    EASY = "easy"


_FSRS_RATING = {
    Rating.AGAIN: fsrs.Rating.Again,
    Rating.HARD: fsrs.Rating.Hard,
    Rating.GOOD: fsrs.Rating.Good,
    Rating.EASY: fsrs.Rating.Easy,
}


class CardState(StrEnum):
    NEW = "new"
    SCHEDULED = "scheduled"
    RETIRED = "retired"


def rating_for_option(chosen: int | None, answer: int) -> Rating:
    """A picked option as a rating: the right one is ``good``, anything else ``again``."""
    return Rating.GOOD if chosen == answer else Rating.AGAIN


def fingerprint(question: QuizQuestion) -> str:
    """Identifies a question across quiz versions: its text and its right option."""
    right = question.options[question.answer]
    key = f"{' '.join(question.question.split()).casefold()}\0{right.strip().casefold()}"
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Schedule:
    """A card's FSRS state after a review (or when it becomes due without one)."""

    fsrs: dict[str, Any]
    due: dt.datetime
    last_review: dt.datetime | None


def start(now: dt.datetime) -> Schedule:
    """A card that is due at ``now`` without having been reviewed."""
    card = fsrs.Card(card_id=_FSRS_CARD_ID, due=now)
    return Schedule(fsrs=dict(card.to_dict()), due=now, last_review=None)


def review(state: dict[str, Any] | None, rating: Rating, now: dt.datetime) -> Schedule:
    """The card's schedule after the learner rated it ``rating`` at ``now``."""
    card = fsrs.Card.from_dict(state) if state else fsrs.Card(card_id=_FSRS_CARD_ID, due=now)  # type: ignore[arg-type]
    updated, _ = _SCHEDULER.review_card(card, _FSRS_RATING[rating], now)
    return Schedule(fsrs=dict(updated.to_dict()), due=updated.due, last_review=now)


# --- days -------------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Europe/Paris``…); ValueError when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Paris"
        ) from None


def day_of(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    return moment.astimezone(tz).date()


def end_of_day(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The first instant after ``day`` in ``tz``, in UTC (cards due before it are due that day)."""
    following = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return following.astimezone(dt.UTC)


# --- keeping cards in step with quizzes and with what the learner did ---------------------


@dataclass(frozen=True)
class CardRow:
    """A card as stored."""

    id: str
    concept_id: str
    quiz_version: int
    question_index: int
    fingerprint: str
    state: CardState
    fsrs: dict[str, Any] | None = None
    due: dt.datetime | None = None
    last_review: dt.datetime | None = None
    reps: int = 0
    lapses: int = 0


@dataclass(frozen=True)
class QuizVersion:
    """The newest completed quiz of a concept."""

    concept_id: str
    version: int
    questions: list[QuizQuestion]
    completed_at: dt.datetime


@dataclass(frozen=True)
class Study:
    """What the learner did with a concept (its progress row)."""

    done: bool
    quiz_answers: list[int | None] | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class FirstReview:
    """A quiz answer counted as a card's first review (written to the review log)."""

    rating: Rating
    chosen: int | None
    correct: bool
    at: dt.datetime


@dataclass
class CardChange:
    """A card to create (``id`` None) or to update, with its new scheduling fields."""

    concept_id: str
    quiz_version: int
    question_index: int
    fingerprint: str
    state: CardState
    id: str | None = None
    fsrs: dict[str, Any] | None = None
    due: dt.datetime | None = None
    last_review: dt.datetime | None = None
    reps: int = 0
    lapses: int = 0
    first_review: FirstReview | None = None


@dataclass
class CardPlan:
    retire: list[str] = field(default_factory=list)
    changes: list[CardChange] = field(default_factory=list)


def plan_cards(
    quizzes: list[QuizVersion],
    cards: list[CardRow],
    studies: dict[str, Study],
    now: dt.datetime,
    concepts: set[str] | None = None,
) -> CardPlan:
    """What to write so the cards match the newest quizzes and the learner's progress; when
    ``concepts`` (the roadmap's concept ids) is given, cards of any other concept (one an
    edit removed) are retired."""
    plan = CardPlan()
    if concepts is not None:
        plan.retire.extend(
            c.id for c in cards if c.concept_id not in concepts and c.state is not CardState.RETIRED
        )
    for quiz in quizzes:
        active = [
            c for c in cards if c.concept_id == quiz.concept_id and c.state is not CardState.RETIRED
        ]
        older = [c for c in active if c.quiz_version < quiz.version]
        current = {c.question_index: c for c in active if c.quiz_version == quiz.version}
        plan.retire.extend(c.id for c in older)
        met = any(c.state is CardState.SCHEDULED for c in older)
        carried = {c.fingerprint: c for c in older if c.state is CardState.SCHEDULED}
        study = studies.get(quiz.concept_id)
        for index, question in enumerate(quiz.questions):
            existing = current.get(index)
            if existing is not None and existing.state is not CardState.NEW:
                continue
            change = _change_for(quiz, index, question, existing, carried, met, now)
            if change.state is CardState.NEW and study is not None:
                _first_meeting(change, quiz, index, question, study)
            if existing is None or change.state is not CardState.NEW:
                plan.changes.append(change)
    return plan


def _change_for(
    quiz: QuizVersion,
    index: int,
    question: QuizQuestion,
    existing: CardRow | None,
    carried: dict[str, CardRow],
    met: bool,
    now: dt.datetime,
) -> CardChange:
    mark = fingerprint(question)
    change = CardChange(
        id=existing.id if existing else None,
        concept_id=quiz.concept_id,
        quiz_version=quiz.version,
        question_index=index,
        fingerprint=mark,
        state=CardState.NEW,
    )
    if existing is not None:
        return change
    same = carried.get(mark)
    if same is not None:
        change.state = CardState.SCHEDULED
        change.fsrs, change.due, change.last_review = same.fsrs, same.due, same.last_review
        change.reps, change.lapses = same.reps, same.lapses
    elif met:
        schedule = start(now)
        change.state, change.fsrs, change.due = CardState.SCHEDULED, schedule.fsrs, schedule.due
    return change


def _first_meeting(
    change: CardChange, quiz: QuizVersion, index: int, question: QuizQuestion, study: Study
) -> None:
    """Schedule a new card from the learner's quiz answer, or as due once the concept is done."""
    answered = study.quiz_answers is not None and study.updated_at >= quiz.completed_at
    if answered and study.quiz_answers is not None:
        chosen = study.quiz_answers[index] if index < len(study.quiz_answers) else None
        rating = rating_for_option(chosen, question.answer)
        schedule = review(None, rating, study.updated_at)
        change.first_review = FirstReview(
            rating=rating, chosen=chosen, correct=rating is Rating.GOOD, at=study.updated_at
        )
        change.reps = 1
    elif study.done:
        schedule = start(study.updated_at)
    else:
        return
    change.state = CardState.SCHEDULED
    change.fsrs, change.due, change.last_review = schedule.fsrs, schedule.due, schedule.last_review
