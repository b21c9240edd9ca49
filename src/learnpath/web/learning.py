"""Web pages for learning: a concept's tutor and notes, the due-today reviews, the calendar.

The tutor page works without script (the question posts, the answer is written in the
background and the page shows it when reloaded); with ``learning.js`` the question is sent
with ``fetch`` and the answer streams in from ``…/chat/{message}/stream`` (server-sent
events, cookie-authenticated), token by token, then is replaced by its rendered HTML.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from learnpath.domain.reviews import Rating, zone
from learnpath.domain.roadmap import Framework
from learnpath.domain.tutor import MAX_QUESTION, Source, SourceKind, link_citations
from learnpath.learning.notes import save_answer
from learnpath.learning.quota import QuotaExceeded, check_chat_rate
from learnpath.learning.reviews import InvalidAnswer, answer_card, due_today, learner_zone
from learnpath.learning.tutoring import TutorService
from learnpath.sse import reply_events
from learnpath.store import Conflict, NotFound, Store
from learnpath.store.tutoring import MessageRecord
from learnpath.web.forms import bad_form, whole_number
from learnpath.web.i18n import translate, ui_language
from learnpath.web.live import page_stream, resume_from
from learnpath.web.markdown import render_markdown
from learnpath.web.rendering import PageRoute, conflict_message, redirect, render, templates
from learnpath.web.session import (
    CSRF_FIELD,
    PageError,
    Visitor,
    VisitorDep,
    checked_form,
    csrf_token,
    runtime_of,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
MAX_NOTE = 20_000
TIMEZONES = sorted(available_timezones())


def _tutoring(request: Request) -> TutorService:
    service: TutorService = request.app.state.tutoring
    return service


def _learn_url(roadmap_id: str, concept_id: str) -> str:
    return f"/roadmaps/{roadmap_id}/concepts/{concept_id}/learn"


async def _concept(store: Store, user_id: str, roadmap_id: str, concept_id: str) -> dict[str, Any]:
    roadmap = await store.get_roadmap(roadmap_id, user_id)
    framework = Framework.model_validate(roadmap.framework)
    for stage in framework.stages:
        for module in stage.modules:
            for concept in module.concepts:
                if concept.id == concept_id:
                    return {
                        "roadmap": roadmap,
                        "stage": stage,
                        "module": module,
                        "concept": concept,
                    }
    raise NotFound(f"no concept {concept_id}")


def message_view(message: MessageRecord) -> dict[str, Any]:
    """A message as the page shows it: the answer's HTML with ``[n]`` linked to its references."""
    sources = {s.number: s for s in (Source.model_validate(x) for x in message.sources or [])}
    cited = [sources[n] for n in message.citations or [] if n in sources]
    anchors = {n: f"#ref-{message.id}-{n}" for n in sources}
    text = link_citations(message.text, anchors) if message.role == "answer" else message.text
    return {
        "record": message,
        "html": render_markdown(text) if message.role == "answer" else None,
        "references": [
            {
                "number": s.number,
                "kind": s.kind,
                "title": s.title,
                "url": s.url
                if s.kind is SourceKind.RESOURCE
                else f"/roadmaps/{message.roadmap_id}?concept={message.concept_id}"
                f"#concept-{message.concept_id}",
                "external": s.kind is SourceKind.RESOURCE,
            }
            for s in cited
            if s.url or s.kind is not SourceKind.RESOURCE
        ],
        "stream_url": f"/roadmaps/{message.roadmap_id}/concepts/{message.concept_id}/chat/"
        f"{message.id}/stream?offset={len(message.text)}",
    }


def _message_html(request: Request, message: MessageRecord) -> str:
    template = templates.env.get_template("_message.html")
    return template.render(
        m=message_view(message),
        ui_lang=ui_language(request),
        csrf=csrf_token(request),
        csrf_field=CSRF_FIELD,
    )


@router.get("/roadmaps/{roadmap_id}/concepts/{concept_id}/learn")
async def learn_page(
    request: Request, roadmap_id: str, concept_id: str, visitor: VisitorDep
) -> Response:
    store = runtime_of(request).store
    found = await _concept(store, visitor.user.id, roadmap_id, concept_id)
    task = await store.get_task(found["roadmap"].task_id, visitor.user.id)
    messages = await store.conversation(visitor.user.id, roadmap_id, concept_id)
    notes = await store.notes(visitor.user.id, roadmap_id, concept_id)
    return render(
        request,
        "learn.html",
        {
            **found,
            "content_lang": str(task.request.get("language") or "en"),
            "messages": [message_view(m) for m in messages],
            "notes": notes,
            "offline": _tutoring(request).generated_by == "offline",
            "max_question": MAX_QUESTION,
            "max_note": MAX_NOTE,
        },
    )


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/roadmaps/{roadmap_id}/concepts/{concept_id}/chat")
async def ask(request: Request, roadmap_id: str, concept_id: str, visitor: VisitorDep) -> Response:
    """Ask (form post): start the answer; JSON for the page script, else back to the page."""
    form = await checked_form(request)
    question = str(form.get("question") or "").strip()
    language = ui_language(request)
    store = runtime_of(request).store
    await _concept(store, visitor.user.id, roadmap_id, concept_id)
    problem: tuple[int, str, dict[str, object]] | None = None
    if not question or len(question) > MAX_QUESTION or "\x00" in question:
        problem = (422, "learn.question_invalid", {"limit": MAX_QUESTION})
    else:
        try:
            await check_chat_rate(store, runtime_of(request).settings, visitor.user.id)
        except QuotaExceeded as exc:
            problem = (429, "learn.rate_limited", {"seconds": exc.retry_after})
    if problem is not None:
        status, key, params = problem
        if _wants_json(request):
            return JSONResponse({"error": translate(language, key, **params)}, status_code=status)
        raise PageError(status, "learn.cannot_ask", key, "learn.cannot_ask_hint", params)
    try:
        asked, answer = await _tutoring(request).ask(
            visitor.user.id, roadmap_id, concept_id, question
        )
    except Conflict as exc:
        if _wants_json(request):
            return JSONResponse({"error": conflict_message(language, exc)}, status_code=409)
        raise
    if _wants_json(request):
        return JSONResponse(
            {
                "question_html": _message_html(request, asked),
                "answer_html": _message_html(request, answer),
                "answer_id": answer.id,
                "stream_url": message_view(answer)["stream_url"],
            },
            status_code=201,
        )
    return redirect(f"{_learn_url(roadmap_id, concept_id)}#message-{answer.id}")


@router.get("/roadmaps/{roadmap_id}/concepts/{concept_id}/chat/{message_id}/stream")
async def answer_stream(
    request: Request,
    roadmap_id: str,
    concept_id: str,
    message_id: str,
    visitor: VisitorDep,
    last_event_id: Annotated[str | None, Header()] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """The answer's text as it is written, then ``done`` with the rendered message."""
    store = runtime_of(request).store
    message = await store.tutor_message(visitor.user.id, message_id)
    if message.roadmap_id != roadmap_id or message.concept_id != concept_id:
        raise NotFound(f"no message {message_id}")
    offset = resume_from(last_event_id, offset, maximum=10_000_000)

    def final(record: MessageRecord) -> dict[str, Any]:
        return {"status": record.status, "html": _message_html(request, record)}

    return page_stream(
        request,
        visitor.user.id,
        reply_events(_tutoring(request), visitor.user.id, message_id, offset, final),
    )


# --- notes -------------------------------------------------------------------------------


def _note_text(language: str, raw: object) -> str:
    text = str(raw or "").strip()
    if not text or len(text) > MAX_NOTE or "\x00" in text:
        raise PageError(
            422,
            "learn.note_invalid_title",
            "learn.note_invalid",
            "learn.note_invalid_hint",
            {"limit": MAX_NOTE},
        )
    return text


@router.post("/roadmaps/{roadmap_id}/concepts/{concept_id}/notes")
async def add_note(
    request: Request, roadmap_id: str, concept_id: str, visitor: VisitorDep
) -> Response:
    form = await checked_form(request)
    store = runtime_of(request).store
    await _concept(store, visitor.user.id, roadmap_id, concept_id)
    message_id = str(form.get("from_message") or "")
    if message_id:
        note = await save_answer(store, visitor.user.id, roadmap_id, concept_id, message_id)
    else:
        text = _note_text(ui_language(request), form.get("markdown"))
        note = await store.add_note(visitor.user.id, roadmap_id, concept_id, text)
    return redirect(f"{_learn_url(roadmap_id, concept_id)}#note-{note.id}")


@router.post("/notes/{note_id}")
async def edit_note(request: Request, note_id: str, visitor: VisitorDep) -> Response:
    form = await checked_form(request)
    store = runtime_of(request).store
    note = await store.get_note(visitor.user.id, note_id)
    if form.get("action") == "delete":
        await store.delete_note(visitor.user.id, note_id)
        return redirect(f"{_learn_url(note.roadmap_id, note.concept_id)}#notes")
    text = _note_text(ui_language(request), form.get("markdown"))
    await store.update_note(visitor.user.id, note_id, text)
    return redirect(f"{_learn_url(note.roadmap_id, note.concept_id)}#note-{note.id}")


# --- reviews -----------------------------------------------------------------------------


@router.get("/reviews")
async def reviews_page(
    request: Request,
    visitor: VisitorDep,
    roadmap: Annotated[str | None, Query(max_length=64)] = None,
    answered: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    store = runtime_of(request).store
    tz = await learner_zone(store, visitor.user.id)
    today = await due_today(store, visitor.user.id, tz, roadmap_id=roadmap, limit=100)
    result = None
    if answered:
        try:
            card = await store.get_card(visitor.user.id, answered)
            log = await store.review_log(visitor.user.id, answered)
            result = {"card": card, "last": log[-1] if log else None}
        except NotFound:
            result = None
    return render(
        request,
        "reviews.html",
        {"today": today, "tz": tz, "result": result, "roadmap_filter": roadmap or ""},
    )


@router.post("/reviews/{card_id}/answer")
async def answer(request: Request, card_id: str, visitor: VisitorDep) -> Response:
    form = await checked_form(request)
    store = runtime_of(request).store
    tz = await learner_zone(store, visitor.user.id)
    raw_rating = str(form.get("rating") or "")
    raw_option = str(form.get("option") or "")
    rating = Rating(raw_rating) if raw_rating in {r.value for r in Rating} else None
    picked = whole_number(raw_option, max_digits=3)
    if (isinstance(picked, str) and picked) or (raw_rating and rating is None):
        raise bad_form()
    option = picked if isinstance(picked, int) and rating is None else None
    try:
        await answer_card(store, visitor.user.id, card_id, tz, rating=rating, option=option)
    except InvalidAnswer as exc:
        raise PageError(
            422, "reviews.invalid_title", "reviews.invalid", "reviews.invalid_hint"
        ) from exc
    back = str(form.get("roadmap") or "")
    query = f"answered={card_id}" + (f"&roadmap={back}" if back else "")
    return redirect(f"/reviews?{query}#result")


# --- the calendar ------------------------------------------------------------------------


async def _calendar_page(
    request: Request, visitor: Visitor, *, new_url: str | None = None, status: int = 200
) -> Response:
    settings = await runtime_of(request).store.calendar_settings(visitor.user.id)
    return render(
        request,
        "calendar.html",
        {"settings": settings, "timezones": TIMEZONES, "new_url": new_url},
        status=status,
    )


@router.get("/calendar")
async def calendar_page(request: Request, visitor: VisitorDep) -> Response:
    return await _calendar_page(request, visitor)


@router.post("/calendar")
async def calendar_action(request: Request, visitor: VisitorDep) -> Response:
    form = await checked_form(request)
    store = runtime_of(request).store
    action = str(form.get("action") or "")
    if action == "timezone":
        try:
            tz = zone(str(form.get("timezone") or ""))
        except ValueError as exc:
            raise PageError(
                422, "calendar.bad_zone_title", "calendar.bad_zone", "calendar.bad_zone_hint"
            ) from exc
        await store.set_timezone(visitor.user.id, tz.key)
        return redirect("/calendar")
    if action == "rotate":
        token = await store.rotate_feed_token(visitor.user.id)
        url = str(request.url_for("calendar_feed", token=token))
        return await _calendar_page(request, visitor, new_url=url)
    if action == "revoke":
        await store.revoke_feed(visitor.user.id)
        return redirect("/calendar")
    raise PageError.bad_link()


async def roadmap_learning(store: Store, user_id: str, roadmap_id: str) -> dict[str, Any]:
    """What the roadmap page shows of learning: reviews due today and notes per concept."""
    tz = await learner_zone(store, user_id)
    today = await due_today(store, user_id, tz, roadmap_id=roadmap_id, limit=1)
    return {
        "reviews_due": today.counts.due,
        "reviews_new": today.counts.new,
        "reviews_next": today.counts.next_due,
        "note_counts": await store.note_counts(user_id, roadmap_id),
    }


__all__ = ["roadmap_learning", "router"]
