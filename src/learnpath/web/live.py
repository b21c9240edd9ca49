"""Live progress for the task page: a cookie-authenticated event stream and a JSON snapshot.

The stream replays the task's events after ``Last-Event-ID`` (event id = sequence
number), or on the first connection after ``?after=`` (the last event the page rendered),
and then follows new ones (``follow_events``). Each is sent as a ``task`` event labelled
in the page's language. When the follow ends (the task finished, or waits for a review)
an ``end`` event with the task's status closes it, so the browser does not reconnect
forever; the page reloads for the new status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from learnpath.sse import (
    MAX_EVENT_ID,
    InvalidEventId,
    StreamLimits,
    StreamTiming,
    TooManyStreams,
    event_id,
    frame,
    retry,
    with_keepalives,
)
from learnpath.store import Store
from learnpath.store.follow import follow_events, uncancelled
from learnpath.web.i18n import ui_language
from learnpath.web.rendering import PageRoute, error_page
from learnpath.web.session import PageError, VisitorDep, runtime_of
from learnpath.web.views import event_json, task_json

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def resume_from(last_event_id: str | None, fallback: int, maximum: int = MAX_EVENT_ID) -> int:
    """Where a page's stream resumes: ``Last-Event-ID`` when sent, else ``fallback``."""
    try:
        resumed = event_id(last_event_id, maximum=maximum)
    except InvalidEventId as exc:
        raise PageError.bad_link() from exc
    return fallback if resumed is None else resumed


def page_stream(request: Request, user_id: str, content: AsyncIterator[str]) -> Response:
    """A page's event stream within the user's stream cap (else a 429 page with Retry-After)."""
    limits: StreamLimits = request.app.state.stream_limits
    try:
        slot = limits.reserve(user_id)
    except TooManyStreams as exc:
        page = error_page(
            request,
            429,
            "error.too_many_streams.title",
            "error.too_many_streams.message",
            "error.too_many_streams.hint",
            params={"limit": exc.limit},
        )
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    return limits.respond(slot, content)


@router.get("/tasks/{task_id}/state")
async def task_state(request: Request, task_id: str, visitor: VisitorDep) -> Response:
    """The task as JSON for the page script (and its polling fallback)."""
    store = runtime_of(request).store
    task = await store.get_task(task_id, visitor.user.id)
    runs = await store.step_runs(task.id)
    return JSONResponse(
        task_json(task, runs, task.last_event_seq, ui_language(request)),
        headers={"Cache-Control": "no-store"},
    )


@router.get("/tasks/{task_id}/stream")
async def task_stream(
    request: Request,
    task_id: str,
    visitor: VisitorDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[int, Query(ge=0, le=MAX_EVENT_ID)] = 0,
) -> Response:
    """Events after ``Last-Event-ID`` (a reconnect) or else ``?after=`` (the page's last one).

    The stream ends after ``LEARNPATH_STREAM_MAX_SECONDS``; the browser reconnects with its
    ``Last-Event-ID`` and gets what it has not seen."""
    store = runtime_of(request).store
    await store.get_task(task_id, visitor.user.id)
    after = resume_from(last_event_id, after)
    language = ui_language(request)
    return page_stream(
        request, visitor.user.id, _events(request, store, task_id, visitor.user.id, after, language)
    )


async def _events(
    request: Request, store: Store, task_id: str, user_id: str, after: int, language: str
) -> AsyncIterator[str]:
    timing: StreamTiming = request.app.state.sse_timing
    yield retry(2.0)
    async for chunk in with_keepalives(
        _labelled(store, task_id, user_id, after, language, timing), timing.keepalive_seconds
    ):
        yield chunk


async def _labelled(
    store: Store, task_id: str, user_id: str, after: int, language: str, timing: StreamTiming
) -> AsyncIterator[str]:
    """The task's events for the page, then ``end`` with the task's status."""
    events = follow_events(
        store, task_id, after, poll_seconds=timing.poll_seconds, batch=timing.batch
    )
    async for event in events:
        after = event.seq
        yield frame("task", event_json(event, language), event.seq)
    task = await uncancelled(store.get_task(task_id, user_id))
    yield frame("end", {"status": str(task.status)}, after)
