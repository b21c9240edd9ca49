"""Tasks: submit a generation, watch it, decide its review, cancel, retry, trace."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from learnpath.api.deps import CurrentUser, SettingsDep, StoreDep, TaskId
from learnpath.api.errors import ApiError, ensure_storable
from learnpath.api.openapi import AUTHED, DocumentedAs, problem_responses
from learnpath.api.render import agent_usage_out, step_run_out, task_out
from learnpath.api.routes.paging import Cursor, Limit, checked_cursor
from learnpath.api.schemas import TaskAccepted, TaskOut, TaskPage, TraceOut
from learnpath.api.sse import StreamLimits, StreamTiming, task_events
from learnpath.domain.request import InvalidSubmission, LearningRequest, parse_submission
from learnpath.domain.task import TaskStatus
from learnpath.learning.quota import submit_limits
from learnpath.workflow.review import ReviewDecision, submit_review

router = APIRouter(tags=["tasks"])

MAX_SEQ = 2**31 - 1

SSE_EVENT_SCHEMA = {
    "type": "object",
    "description": "One server-sent event; `data` is JSON with seq, type, task_id, data, created_at",
    "properties": {
        "id": {"type": "string", "description": "The event's seq"},
        "event": {"type": "string", "description": "The event type"},
        "data": {"type": "string"},
        "retry": {"type": "integer"},
    },
}

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,200}$",
        description="Repeat a submission safely: the same key returns the same task",
    ),
]


SubmissionBody = Annotated[dict[str, Any], DocumentedAs(LearningRequest), Body()]
"""A new roadmap's request: any JSON object here (anything else is a 422 from the framework),
checked by ``submission_or_422`` alone, and documented as ``LearningRequest``."""


def submission_or_422(data: Mapping[str, Any]) -> LearningRequest:
    """``parse_submission`` with its problems as a 422 ``validation_error``: the API's only
    check of a new request, the one the web form and the CLI use, so all three refuse the
    same request on the same fields."""
    try:
        return parse_submission(data, dt.date.today())
    except InvalidSubmission as exc:
        errors = [
            {"loc": ["body", *p.field.split(".")], "message": p.message, "type": p.kind}
            for p in exc.problems
        ]
        raise ApiError(422, "validation_error", str(exc), extra={"errors": errors}) from exc


@router.post(
    "/roadmaps/generate",
    status_code=202,
    response_model=TaskAccepted,
    summary="Start generating a roadmap",
    responses={
        200: {"model": TaskAccepted, "description": "The task already made for this key"},
        **problem_responses(*AUTHED, 409, 429),
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {
                        "minimal": {"value": {"goal": "Become a backend engineer"}},
                        "full": {
                            "value": {
                                "goal": "Become a backend engineer in 6 months",
                                "level": "beginner",
                                "hours_per_week": 8,
                                "background": "I know some Python",
                                "language": "en",
                                "review": True,
                            }
                        },
                    }
                }
            }
        }
    },
)
async def generate(
    body: SubmissionBody,
    user: CurrentUser,
    store: StoreDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TaskAccepted:
    """Queue a generation task (202). With an ``Idempotency-Key`` used before by this user
    for the same body, the existing task is returned (200); for another body, 409."""
    request = submission_or_422(body).model_dump(mode="json")
    ensure_storable(request)
    task, created = await store.submit_task(
        user_id=user.id,
        request=request,
        idempotency_key=idempotency_key,
        limits=submit_limits(settings),
    )
    if not created:
        if task.request != request:
            raise ApiError(
                409,
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request; "
                "use a new key for a new roadmap",
            )
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return TaskAccepted(task_id=task.id, status=task.status)


@router.get("/tasks", response_model=TaskPage, responses=problem_responses(*AUTHED))
async def list_tasks(
    user: CurrentUser,
    store: StoreDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: Annotated[TaskStatus | None, Query(description="Only tasks in this status")] = None,
) -> TaskPage:
    """The caller's tasks, newest first."""
    page = await store.list_tasks(
        user.id, limit=limit, cursor=checked_cursor(cursor), status=status
    )
    return TaskPage(items=[task_out(t) for t in page.items], next_cursor=page.next_cursor)


@router.get("/tasks/{task_id}", response_model=TaskOut, responses=problem_responses(*AUTHED))
async def get_task(task_id: TaskId, user: CurrentUser, store: StoreDep) -> TaskOut:
    return task_out(await store.get_task(task_id, user.id))


@router.get(
    "/tasks/{task_id}/events",
    response_class=StreamingResponse,
    response_model=None,
    summary="Follow a task's events (server-sent events)",
    responses={
        200: {
            "description": "`text/event-stream`: `id` = seq, `event` = type, `data` = JSON",
            "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
        },
        **problem_responses(*AUTHED, 429),
    },
)
async def events(
    task_id: TaskId,
    user: CurrentUser,
    store: StoreDep,
    request: Request,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_SEQ, description="Replay after this seq")
    ] = None,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=10, pattern=r"^[0-9]+$")
    ] = None,
) -> StreamingResponse:
    """Replay the task's events after ``Last-Event-ID`` (or ``?after=``), then follow live.

    The stream ends after a terminal event, or after ``review_required`` (reconnect with
    ``Last-Event-ID`` once the review is decided)."""
    task = await store.get_task(task_id, user.id)
    start = int(last_event_id) if last_event_id is not None else (after or 0)
    if start > MAX_SEQ:
        raise ApiError(422, "validation_error", f"Last-Event-ID: must be at most {MAX_SEQ}")
    timing: StreamTiming = request.app.state.sse_timing
    limits: StreamLimits = request.app.state.stream_limits
    return limits.respond(
        limits.reserve(user.id),
        task_events(store, task.id, start, timing=timing),
    )


@router.post(
    "/tasks/{task_id}/review",
    status_code=202,
    response_model=TaskOut,
    responses=problem_responses(*AUTHED, 409),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {
                        "approve": {"value": {"decision": "approve"}},
                        "reject": {
                            "value": {
                                "decision": "reject",
                                "feedback": "Add a stage on testing",
                                "edits": [{"op": "rename", "target_id": "s1", "name": "Basics"}],
                            }
                        },
                    }
                }
            }
        }
    },
)
async def review(
    task_id: TaskId, decision: ReviewDecision, user: CurrentUser, store: StoreDep
) -> TaskOut:
    """Approve the parked roadmap, or reject it with feedback (and optional edits).
    A decision is accepted once per review round: a second one is 409."""
    ensure_storable(decision.model_dump(mode="json"))
    await submit_review(store, task_id, user.id, decision)
    return task_out(await store.get_task(task_id, user.id))


@router.post(
    "/tasks/{task_id}/cancel",
    status_code=202,
    response_model=TaskOut,
    responses=problem_responses(*AUTHED, 409),
)
async def cancel(task_id: TaskId, user: CurrentUser, store: StoreDep) -> TaskOut:
    """Cancel at once when queued or parked; a running task stops at its next checkpoint."""
    await store.cancel_task(task_id, user.id)
    return task_out(await store.get_task(task_id, user.id))


@router.post(
    "/tasks/{task_id}/retry",
    status_code=202,
    response_model=TaskOut,
    responses=problem_responses(*AUTHED, 409),
)
async def retry(task_id: TaskId, user: CurrentUser, store: StoreDep) -> TaskOut:
    """Run a failed task again from its failed step, or regenerate only its failed content."""
    await store.retry_task(task_id, user.id)
    return task_out(await store.get_task(task_id, user.id))


@router.get("/tasks/{task_id}/trace", response_model=TraceOut, responses=problem_responses(*AUTHED))
async def trace(task_id: TaskId, user: CurrentUser, store: StoreDep) -> TraceOut:
    """Every step run of the task: attempts, timings, model requests, tokens and errors."""
    task = await store.get_task(task_id, user.id)
    usage = await store.model_usage(task.id)
    runs = [step_run_out(run, usage.get(run.id)) for run in await store.step_runs(task.id)]
    return TraceOut(
        task_id=task.id,
        steps=runs,
        model_requests=sum(r.model_requests for r in runs),
        input_tokens=sum(r.input_tokens for r in runs),
        output_tokens=sum(r.output_tokens for r in runs),
        agents=agent_usage_out([row for rows in usage.values() for row in rows]),
    )
