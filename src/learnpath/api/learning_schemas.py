"""Request and response bodies of the learning routes: tutor, notes, reviews, calendar."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from learnpath.api.schemas import error_out
from learnpath.domain.reviews import Rating
from learnpath.domain.tutor import MAX_QUESTION, Source
from learnpath.store.reviews import CardView
from learnpath.store.tutoring import MessageRecord, NoteRecord

MAX_NOTE = 20_000


class QuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION,
        examples=["Why does this concept come before the next module?"],
    )


class CitationOut(BaseModel):
    """A source an answer cites as ``[number]``: a tutorial section, a resource or the roadmap."""

    number: int
    kind: Literal["roadmap", "tutorial", "resource"]
    title: str
    url: str | None = Field(description="The resource's link (tutorial and roadmap: none)")


class MessageErrorOut(BaseModel):
    code: str = Field(examples=["model_unavailable"])
    message: str


class MessageOut(BaseModel):
    """One turn of a conversation with the tutor."""

    message_id: str
    seq: int
    role: Literal["question", "answer"]
    status: Literal["streaming", "completed", "failed", "interrupted"]
    text: str
    citations: list[CitationOut] = Field(
        default_factory=list, description="The sources the answer cites, in order of first use"
    )
    generated_by: str | None = Field(description="`offline` for the offline model's answers")
    offline: bool = Field(description="True when the offline model wrote this answer")
    error: MessageErrorOut | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ConversationOut(BaseModel):
    roadmap_id: str
    concept_id: str
    messages: list[MessageOut]


class ExchangeOut(BaseModel):
    """A question and its answer, which is still being written (follow its ``events``)."""

    question: MessageOut
    answer: MessageOut
    events_url: str


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    markdown: str | None = Field(
        default=None, min_length=1, max_length=MAX_NOTE, examples=["Remember: LEFT JOIN keeps…"]
    )
    from_message_id: str | None = Field(
        default=None,
        max_length=64,
        description="Save this tutor answer (of the same concept) as the note instead",
    )


class NoteUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    markdown: str = Field(min_length=1, max_length=MAX_NOTE)


class NoteOut(BaseModel):
    note_id: str
    roadmap_id: str
    concept_id: str
    markdown: str
    source_message_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class NoteList(BaseModel):
    items: list[NoteOut]


class QuestionOut(BaseModel):
    question: str
    options: list[str]


class CardOut(BaseModel):
    """A review card: one quiz question, scheduled with FSRS."""

    card_id: str
    roadmap_id: str
    roadmap_title: str
    concept_id: str
    concept_name: str
    quiz_version: int
    question_index: int
    state: Literal["new", "scheduled", "retired"]
    due: dt.datetime | None
    last_review: dt.datetime | None
    reps: int
    lapses: int
    question: QuestionOut | None = Field(description="Null when its quiz version is gone")


class DueOut(BaseModel):
    """Cards due by the end of ``day`` in ``timezone``."""

    day: dt.date
    timezone: str
    due_before: dt.datetime
    due_count: int
    new_count: int = Field(description="Cards of concepts not met yet (not scheduled)")
    scheduled_count: int
    next_due: dt.datetime | None = Field(description="The next due date after today")
    cards: list[CardOut]


class AnswerIn(BaseModel):
    """Either the learner's own ``rating`` or the ``option`` picked (right: good, wrong: again)."""

    model_config = ConfigDict(extra="forbid")

    rating: Rating | None = Field(default=None, examples=["good"])
    option: StrictInt | None = Field(default=None, ge=0, le=100, examples=[1])


class AnswerOut(BaseModel):
    card: CardOut
    rating: Rating
    correct: bool | None = Field(description="For a picked option: whether it was right")
    right_option: int | None
    explanation: str | None
    due_before: dt.datetime | None
    due_after: dt.datetime


class CalendarOut(BaseModel):
    timezone: str = Field(examples=["Europe/Paris"])
    feed_active: bool
    feed_created_at: dt.datetime | None


class TimezoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(min_length=1, max_length=64, examples=["Europe/Paris"])


class FeedTokenOut(BaseModel):
    """The feed's secret URL: shown once; rotate to replace it, delete to revoke it."""

    url: str
    token: str


def message_out(message: MessageRecord) -> MessageOut:
    sources = {s.number: s for s in (Source.model_validate(x) for x in message.sources or [])}
    citations = [
        CitationOut(number=n, kind=sources[n].kind, title=sources[n].title, url=sources[n].url)
        for n in message.citations or []
        if n in sources
    ]
    return MessageOut(
        message_id=message.id,
        seq=message.seq,
        role=message.role,
        status=message.status,
        text=message.text,
        citations=citations,
        generated_by=message.generated_by,
        offline=message.generated_by == "offline",
        error=error_out(MessageErrorOut, message.error_code, message.error_message),
        created_at=message.created_at,
        updated_at=message.updated_at,
    )


def note_out(note: NoteRecord) -> NoteOut:
    return NoteOut(
        note_id=note.id,
        roadmap_id=note.roadmap_id,
        concept_id=note.concept_id,
        markdown=note.markdown,
        source_message_id=note.source_message_id,
        created_at=note.created_at,
        updated_at=note.updated_at,
    )


def card_out(card: CardView) -> CardOut:
    return CardOut(
        card_id=card.id,
        roadmap_id=card.roadmap_id,
        roadmap_title=card.roadmap_title,
        concept_id=card.concept_id,
        concept_name=card.concept_name,
        quiz_version=card.quiz_version,
        question_index=card.question_index,
        state=card.state,
        due=card.due,
        last_review=card.last_review,
        reps=card.reps,
        lapses=card.lapses,
        question=(
            QuestionOut(question=card.question.question, options=list(card.question.options))
            if card.question
            else None
        ),
    )
