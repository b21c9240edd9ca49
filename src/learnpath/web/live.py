"""Live progress for the task page: a cookie-authenticated event stream and a JSON snapshot.

The stream replays the task's events after ``Last-Event-ID`` (event id = sequence
number), or on the first connection after ``?after=`` (the last event the page rendered), and then follows new ones, woken by the store's events signal with a short
poll as the fallback for events committed by other processes. It ends with an
``end`` event once the task is finished, so the browser does not reconnect forever.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from learnpath.api.sse import uncancelled
from learnpath.store import Store
from learnpath.web.i18n import ui_language
from learnpath.web.rendering import PageRoute
from learnpath.web.session import Visitor, current_visitor, runtime_of
from learnpath.web.views import event_json, task_json

router = APIRouter(route_class=PageRoute, include_in_schema=False)
VisitorDep = Annotated[Visitor, Depends(current_visitor)]

POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
MAX_STREAM_SECONDS = 300.0


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
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Events after ``Last-Event-ID`` (a reconnect) or else ``?after=`` (the page's last one)."""
    store = runtime_of(request).store
    await store.get_task(task_id, visitor.user.id)
    if last_event_id and last_event_id.isdigit():
        after = int(last_event_id)
    return StreamingResponse(
        _events(request, store, task_id, visitor.user.id, after, ui_language(request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request, store: Store, task_id: str, user_id: str, after: int, language: str
) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    clock = asyncio.get_running_loop().time
    deadline = clock() + MAX_STREAM_SECONDS
    quiet_since = clock()
    while clock() < deadline and not await request.is_disconnected():
        seen = store.events_signal.version
        events = await uncancelled(store.events_after(task_id, after))
        for event in events:
            after = event.seq
            payload = json.dumps(event_json(event, language), ensure_ascii=False, default=str)
            yield f"id: {event.seq}\nevent: task\ndata: {payload}\n\n"
        if events:
            quiet_since = clock()
            continue
        task = await uncancelled(store.get_task(task_id, user_id))
        if task.status.is_terminal:
            yield f"id: {after}\nevent: end\ndata: {json.dumps({'status': str(task.status)})}\n\n"
            return
        await store.events_signal.wait(seen, POLL_SECONDS)
        if clock() - quiet_since >= KEEPALIVE_SECONDS:
            quiet_since = clock()
            yield ": keepalive\n\n"
