"""The tutor (questions about a concept, answers streamed as server-sent events) and notes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response

from learnpath.api.deps import ConceptId, CurrentUser, RoadmapId, StoreDep
from learnpath.api.errors import ApiError, ensure_storable
from learnpath.api.learning_schemas import (
    ConversationOut,
    ExchangeOut,
    MessageOut,
    NoteIn,
    NoteList,
    NoteOut,
    NoteUpdateIn,
    QuestionIn,
    message_out,
    note_out,
)
from learnpath.api.openapi import AUTHED, problem_responses
from learnpath.api.render import framework_of
from learnpath.api.routes.tasks import SSE_EVENT_SCHEMA
from learnpath.learning.notes import save_answer
from learnpath.learning.quota import QuotaExceeded, check_chat_rate
from learnpath.learning.tutoring import TutorService
from learnpath.sse import StreamLimits, StreamSlot, event_id, frame, reply_events
from learnpath.store import NotFound, Store
from learnpath.store.tutoring import MessageRecord

router = APIRouter(tags=["learning"])

MessageId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
NoteId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]

SSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "`text/event-stream`. Events: `question` and `answer` (the stored "
        "messages, POST only), `delta` (`id` = the answer's length so far; data: "
        "`{message_id, offset, text}`), then `done` (the final answer: completed, failed with "
        "its `error`, or interrupted). Reconnect to `…/chat/{message_id}/events` with "
        "`Last-Event-ID` to continue where you left off.",
        "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
    }
}


def tutoring_of(request: Request) -> TutorService:
    service: TutorService = request.app.state.tutoring
    return service


async def concept_exists(store: Store, user_id: str, roadmap_id: str, concept_id: str) -> None:
    """NotFound unless the caller owns the roadmap and it has the concept."""
    roadmap = await store.get_roadmap(roadmap_id, user_id)
    if framework_of(roadmap).concept(concept_id) is None:
        raise NotFound(f"no concept {concept_id} in roadmap {roadmap_id}")


def reply_sse(
    service: TutorService, user_id: str, message_id: str, offset: int = 0
) -> AsyncIterator[str]:
    """A reply as server-sent events from ``offset``: ``delta`` pieces, then ``done`` with
    the stored message."""
    return reply_events(service, user_id, message_id, offset, _message_json)


def _message_json(message: MessageRecord) -> dict[str, Any]:
    return message_out(message).model_dump(mode="json")


def sse_response(request: Request, slot: StreamSlot, stream: AsyncIterator[str]) -> Response:
    limits: StreamLimits = request.app.state.stream_limits
    return limits.respond(slot, stream)


def stream_slot(request: Request, user_id: str) -> StreamSlot:
    """A slot among the user's open streams (429 ``too_many_streams`` past the cap)."""
    limits: StreamLimits = request.app.state.stream_limits
    return limits.reserve(user_id)


async def ask_tutor(
    request: Request, store: Store, user_id: str, roadmap_id: str, concept_id: str, question: str
) -> tuple[MessageRecord, MessageRecord]:
    """Check the rate limit, then store the question and start its answer."""
    ensure_storable(question, "question")
    await concept_exists(store, user_id, roadmap_id, concept_id)
    try:
        await check_chat_rate(store, request.app.state.settings, user_id)
    except QuotaExceeded as exc:
        raise ApiError(
            429, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)}
        ) from exc
    return await tutoring_of(request).ask(user_id, roadmap_id, concept_id, question.strip())


@router.post(
    "/roadmaps/{roadmap_id}/concepts/{concept_id}/chat",
    response_model=None,
    summary="Ask the tutor about a concept (the answer streams)",
    responses={
        **SSE_DOC,
        202: {"model": ExchangeOut, "description": "With `?stream=false`: the stored messages"},
        **problem_responses(*AUTHED, 409, 429),
    },
)
async def ask(
    request: Request,
    roadmap_id: RoadmapId,
    concept_id: ConceptId,
    body: QuestionIn,
    user: CurrentUser,
    store: StoreDep,
    stream: Annotated[
        bool, Query(description="false: answer 202 with the messages instead of streaming")
    ] = True,
) -> Response:
    """Store the question and answer it from the concept's tutorial, resources and place in
    the roadmap, citing them as ``[n]``. The answer goes on if the client disconnects; read it
    with ``GET …/chat``. One answer at a time per concept (409 ``reply_in_progress``);
    ``LEARNPATH_USER_CHAT_PER_MINUTE`` questions a minute (429 ``chat_rate_limited``)."""
    slot = stream_slot(request, user.id) if stream else None
    try:
        question, answer = await ask_tutor(
            request, store, user.id, roadmap_id, concept_id, body.question
        )
    except BaseException:
        if slot is not None:
            slot.release()
        raise
    if slot is None:
        exchange = ExchangeOut(
            question=message_out(question),
            answer=message_out(answer),
            events_url=f"{request.url.path}/{answer.id}/events",
        )
        return Response(exchange.model_dump_json(), status_code=202, media_type="application/json")

    async def events() -> AsyncIterator[str]:
        yield frame("question", _message_json(question))
        yield frame("answer", _message_json(answer))
        async for chunk in reply_sse(tutoring_of(request), user.id, answer.id):
            yield chunk

    return sse_response(request, slot, events())


@router.get(
    "/roadmaps/{roadmap_id}/concepts/{concept_id}/chat",
    response_model=ConversationOut,
    responses=problem_responses(*AUTHED, 409),
)
async def conversation(
    roadmap_id: RoadmapId, concept_id: ConceptId, user: CurrentUser, store: StoreDep
) -> ConversationOut:
    """The conversation about this concept, oldest first (an answer still being written shows
    its text so far with status ``streaming``)."""
    await concept_exists(store, user.id, roadmap_id, concept_id)
    messages = await store.conversation(user.id, roadmap_id, concept_id)
    return ConversationOut(
        roadmap_id=roadmap_id,
        concept_id=concept_id,
        messages=[message_out(m) for m in messages],
    )


@router.get(
    "/roadmaps/{roadmap_id}/concepts/{concept_id}/chat/{message_id}/events",
    response_model=None,
    summary="Follow one answer (server-sent events)",
    responses={**SSE_DOC, **problem_responses(*AUTHED, 429)},
)
async def answer_events(
    request: Request,
    roadmap_id: RoadmapId,
    concept_id: ConceptId,
    message_id: MessageId,
    user: CurrentUser,
    store: StoreDep,
    last_event_id: Annotated[str | None, Header()] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """The answer's text from ``Last-Event-ID`` (or ``?offset=``) as it is written, then
    ``done``; a finished answer is replayed at once."""
    message = await store.tutor_message(user.id, message_id)
    if message.roadmap_id != roadmap_id or message.concept_id != concept_id:
        raise NotFound(f"no message {message_id}")
    resumed = event_id(last_event_id, maximum=10_000_000)
    if resumed is not None:
        offset = resumed
    slot = stream_slot(request, user.id)
    return sse_response(request, slot, reply_sse(tutoring_of(request), user.id, message_id, offset))


@router.get(
    "/roadmaps/{roadmap_id}/notes",
    response_model=NoteList,
    responses=problem_responses(*AUTHED, 409),
)
async def roadmap_notes(roadmap_id: RoadmapId, user: CurrentUser, store: StoreDep) -> NoteList:
    """All the caller's notes on this roadmap (including notes on concepts an edit removed).
    409 ``roadmap_in_trash`` while the roadmap is in the trash."""
    await store.get_roadmap(roadmap_id, user.id)
    return NoteList(items=[note_out(n) for n in await store.notes(user.id, roadmap_id)])


@router.get(
    "/roadmaps/{roadmap_id}/concepts/{concept_id}/notes",
    response_model=NoteList,
    responses=problem_responses(*AUTHED, 409),
)
async def concept_notes(
    roadmap_id: RoadmapId, concept_id: ConceptId, user: CurrentUser, store: StoreDep
) -> NoteList:
    """The caller's notes on this concept, oldest first."""
    await concept_exists(store, user.id, roadmap_id, concept_id)
    notes = await store.notes(user.id, roadmap_id, concept_id)
    return NoteList(items=[note_out(n) for n in notes])


@router.post(
    "/roadmaps/{roadmap_id}/concepts/{concept_id}/notes",
    status_code=201,
    response_model=NoteOut,
    responses=problem_responses(*AUTHED, 409),
)
async def add_note(
    roadmap_id: RoadmapId,
    concept_id: ConceptId,
    body: NoteIn,
    user: CurrentUser,
    store: StoreDep,
    response: Response,
) -> NoteOut:
    """A Markdown note (``markdown``), or a tutor answer kept as a note (``from_message_id``)."""
    if (body.markdown is None) == (body.from_message_id is None):
        raise ApiError(
            422, "validation_error", "body: give either markdown or from_message_id, not both"
        )
    await concept_exists(store, user.id, roadmap_id, concept_id)
    if body.from_message_id is not None:
        note = await save_answer(store, user.id, roadmap_id, concept_id, body.from_message_id)
    else:
        assert body.markdown is not None
        ensure_storable(body.markdown, "markdown")
        note = await store.add_note(user.id, roadmap_id, concept_id, body.markdown)
    response.headers["Location"] = f"/api/v1/notes/{note.id}"
    return note_out(note)


@router.put("/notes/{note_id}", response_model=NoteOut, responses=problem_responses(*AUTHED))
async def edit_note(
    note_id: NoteId, body: NoteUpdateIn, user: CurrentUser, store: StoreDep
) -> NoteOut:
    """Replace the note's Markdown."""
    ensure_storable(body.markdown, "markdown")
    return note_out(await store.update_note(user.id, note_id, body.markdown))


@router.delete("/notes/{note_id}", status_code=204, responses=problem_responses(*AUTHED))
async def delete_note(note_id: NoteId, user: CurrentUser, store: StoreDep) -> Response:
    """Delete the note."""
    await store.delete_note(user.id, note_id)
    return Response(status_code=204)


__all__ = ["MessageOut", "router"]
