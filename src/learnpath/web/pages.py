"""The pages people read: new-roadmap form, task list, task progress and review, roadmap."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from learnpath.document import read_view
from learnpath.domain.task import TaskStatus
from learnpath.settings import AuthMode
from learnpath.store.records import RoadmapRecord
from learnpath.web.forms import RoadmapForm
from learnpath.web.i18n import ui_language
from learnpath.web.learning import roadmap_learning
from learnpath.web.rendering import PageRoute, redirect, render
from learnpath.web.roadmap_extras import roadmap_extras
from learnpath.web.session import (
    PageError,
    Visitor,
    VisitorDep,
    runtime_of,
    safe_next,
)
from learnpath.web.views import issue_views, open_issues, task_json, timeline

router = APIRouter(route_class=PageRoute, include_in_schema=False)
#: The task page shows the latest events; the live stream continues after the last one.
SHOWN_EVENTS = 30


@router.get("/")
async def new_roadmap(request: Request, visitor: VisitorDep) -> Response:
    return render(request, "new.html", {"form": RoadmapForm(), "key": str(uuid.uuid4())})


@router.get("/tasks")
async def task_list(
    request: Request,
    visitor: VisitorDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    store = runtime_of(request).store
    try:
        page = await store.list_tasks(visitor.user.id, limit=25, cursor=cursor)
    except ValueError as exc:
        raise PageError.bad_link() from exc
    return render(request, "tasks.html", {"tasks": page.items, "next_cursor": page.next_cursor})


@router.get("/tasks/{task_id}")
async def task_page(request: Request, task_id: str, visitor: VisitorDep) -> Response:
    return render(request, "task.html", await task_context(request, visitor, task_id))


async def task_context(request: Request, visitor: Visitor, task_id: str) -> dict[str, Any]:
    """Everything the task page shows; the review form's error and feedback start empty."""
    store = runtime_of(request).store
    task = await store.get_task(task_id, visitor.user.id)
    runs = await store.step_runs(task.id)
    events = await store.events_after(task.id, 0, limit=1000)
    shown = events[-SHOWN_EVENTS:]
    context = {
        "task": task,
        "timeline": timeline(task, runs),
        "events": shown,
        "earlier_events": len(events) - len(shown),
        "last_seq": events[-1].seq if events else 0,
        "offline": runtime_of(request).team.generated_by == "offline",
        "state": task_json(task, runs, events[-1].seq if events else 0, ui_language(request)),
        "framework": None,
        "issues": [],
        "review_feedback": "",
        "review_error": "",
    }
    if task.status is TaskStatus.HUMAN_REVIEW_PENDING and task.roadmap_id:
        roadmap = await store.get_roadmap(task.roadmap_id, visitor.user.id)
        context["framework"] = roadmap.framework
        context["offline"] = roadmap.generated_by == "offline"
        context["issues"] = issue_views(
            await open_issues(store, task.id), roadmap.framework, ui_language(request)
        )
    return context


@router.get("/roadmaps/{roadmap_id}")
async def roadmap_page(
    request: Request,
    roadmap_id: str,
    visitor: VisitorDep,
    concept: Annotated[str | None, Query(max_length=64)] = None,
    start: dt.date | None = None,
) -> Response:
    store = runtime_of(request).store
    roadmap = await store.get_roadmap(roadmap_id, visitor.user.id, in_trash=True)
    if roadmap.deleted_at is not None:
        return render(request, "trashed.html", {"roadmap": roadmap})
    return render(
        request, "roadmap.html", await roadmap_context(request, visitor, roadmap, concept, start)
    )


async def roadmap_context(
    request: Request,
    visitor: Visitor,
    roadmap: RoadmapRecord,
    concept: str | None = None,
    start: dt.date | None = None,
) -> dict[str, Any]:
    """Everything the roadmap page shows, from the roadmap's view; the quiz form's error
    starts empty."""
    store = runtime_of(request).store
    task = await store.get_task(roadmap.task_id, visitor.user.id)
    view = await read_view(store, roadmap, visitor.user.id)
    first = next((c.id for c in view.concepts()), None)
    return {
        "roadmap": roadmap,
        "task": task,
        "stages": view.stages,
        "offline": view.sample_content,
        "open_concept": concept or first,
        "done_count": len(view.done),
        "quiz_form": None,
        **roadmap_extras(view, task, ui_language(request), start),
        **await roadmap_learning(store, visitor.user.id, roadmap.id),
    }


@router.get("/login")
async def login_page(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    settings = runtime_of(request).settings
    if settings.auth is AuthMode.NONE:
        return redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "error": ""})


@router.get("/logout")
async def logout_page(request: Request) -> Response:
    return render(request, "logout.html")
