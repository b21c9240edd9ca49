"""Spaced reviews of quiz questions, and the reminder calendar feed."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request, Response

from learnpath.api.deps import CurrentUser, StoreDep
from learnpath.api.errors import ApiError
from learnpath.api.learning_schemas import (
    AnswerIn,
    AnswerOut,
    CalendarOut,
    DueOut,
    FeedTokenOut,
    TimezoneIn,
    card_out,
)
from learnpath.api.openapi import AUTHED, problem_responses
from learnpath.domain.reviews import zone
from learnpath.learning.feed import feed_for
from learnpath.learning.reviews import InvalidAnswer, answer_card, due_today, learner_zone
from learnpath.store import NotFound, Store

router = APIRouter(tags=["reviews"])
feed_router = APIRouter(tags=["reviews"])

CardId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
Timezone = Annotated[
    str | None,
    Query(
        max_length=64,
        description="IANA time zone days are counted in (default: the learner's, else UTC)",
        examples=["Europe/Paris"],
    ),
]
FEED_PATH = "/calendar/{token}.ics"


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(
        422,
        "validation_error",
        f"{field}: {message}",
        extra={"errors": [{"loc": [field], "message": message, "type": "value_error"}]},
    )


async def _zone(store: Store, user_id: str, timezone: str | None) -> ZoneInfo:
    try:
        return await learner_zone(store, user_id, timezone)
    except ValueError as exc:
        raise _invalid("timezone", str(exc)) from exc


@router.get("/reviews/due", response_model=DueOut, responses=problem_responses(*AUTHED, 409))
async def due(
    user: CurrentUser,
    store: StoreDep,
    timezone: Timezone = None,
    roadmap_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DueOut:
    """Review cards due by the end of today, the most overdue first. A card starts when its
    concept's quiz is answered (that answer is its first review) or the concept is marked done.
    Cards of roadmaps in the trash are left out (409 ``roadmap_in_trash`` for ``roadmap_id``
    of one)."""
    tz = await _zone(store, user.id, timezone)
    today = await due_today(store, user.id, tz, roadmap_id=roadmap_id, limit=limit)
    return DueOut(
        day=today.day,
        timezone=today.timezone,
        due_before=today.until,
        due_count=today.counts.due,
        new_count=today.counts.new,
        scheduled_count=today.counts.scheduled,
        next_due=today.counts.next_due,
        cards=[card_out(c) for c in today.cards],
    )


@router.post(
    "/reviews/{card_id}/answer",
    response_model=AnswerOut,
    responses=problem_responses(*AUTHED, 409),
)
async def answer(
    card_id: CardId,
    body: AnswerIn,
    user: CurrentUser,
    store: StoreDep,
    timezone: Timezone = None,
) -> AnswerOut:
    """Review a due card: the learner's ``rating`` (again, hard, good, easy), or the ``option``
    picked (the right one counts as good, a wrong one as again). FSRS sets the next due date.
    409 ``card_not_due`` for a card not due today, ``card_retired`` for a replaced quiz's (or
    a removed concept's) card, ``roadmap_in_trash`` for a card of a roadmap in the trash."""
    tz = await _zone(store, user.id, timezone)
    try:
        outcome = await answer_card(
            store, user.id, card_id, tz, rating=body.rating, option=body.option
        )
    except InvalidAnswer as exc:
        raise _invalid("body", str(exc)) from exc
    card = outcome.card
    assert card.due is not None
    return AnswerOut(
        card=card_out(card),
        rating=outcome.rating,
        correct=outcome.correct,
        right_option=card.question.answer if card.question else None,
        explanation=card.question.explanation if card.question else None,
        due_before=outcome.due_before,
        due_after=card.due,
    )


@router.get("/calendar", response_model=CalendarOut, responses=problem_responses(*AUTHED))
async def calendar(user: CurrentUser, store: StoreDep) -> CalendarOut:
    """The learner's time zone and whether a calendar feed exists (its URL is shown only once)."""
    settings = await store.calendar_settings(user.id)
    return CalendarOut(
        timezone=settings.timezone,
        feed_active=settings.feed_active,
        feed_created_at=settings.feed_created_at,
    )


@router.put("/calendar", response_model=CalendarOut, responses=problem_responses(*AUTHED))
async def set_timezone(body: TimezoneIn, user: CurrentUser, store: StoreDep) -> CalendarOut:
    """Set the time zone that "today" and the feed's days are counted in."""
    try:
        tz = zone(body.timezone)
    except ValueError as exc:
        raise _invalid("timezone", str(exc)) from exc
    settings = await store.set_timezone(user.id, tz.key)
    return CalendarOut(
        timezone=settings.timezone,
        feed_active=settings.feed_active,
        feed_created_at=settings.feed_created_at,
    )


@router.post(
    "/calendar/feed",
    status_code=201,
    response_model=FeedTokenOut,
    responses=problem_responses(401, 413, 422),
)
async def rotate_feed(request: Request, user: CurrentUser, store: StoreDep) -> FeedTokenOut:
    """Make a new secret feed URL (shown only now); the previous URL stops working."""
    token = await store.rotate_feed_token(user.id)
    url = str(request.url_for("calendar_feed", token=token))
    return FeedTokenOut(url=url, token=token)


@router.delete("/calendar/feed", status_code=204, responses=problem_responses(401))
async def revoke_feed(user: CurrentUser, store: StoreDep) -> Response:
    """Revoke the feed: its URL answers 404 from now on."""
    await store.revoke_feed(user.id)
    return Response(status_code=204)


@feed_router.get(
    FEED_PATH,
    name="calendar_feed",
    response_class=Response,
    summary="The reminder calendar (iCalendar), at its secret URL",
    responses={
        200: {"content": {"text/calendar": {}}, "description": "An RFC 5545 calendar"},
        **problem_responses(404, 422),
    },
)
async def calendar_feed(
    request: Request,
    token: Annotated[str, Path(min_length=10, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")],
) -> Response:
    """No bearer token: the URL's secret is the credential. Over the next 30 days: an all-day
    event for each day with reviews due (overdue ones on today, in the learner's time zone),
    and one spanning each week of each roadmap's study plan, naming its planned concepts."""
    store: Store = request.app.state.runtime.store
    owner = await store.feed_owner(token)
    if owner is None:
        raise NotFound("no such calendar feed (it may have been rotated or revoked)")
    user_id, timezone = owner
    body = await feed_for(store, user_id, timezone, str(request.base_url).rstrip("/"))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": "inline; filename=learnpath.ics",
        },
    )
