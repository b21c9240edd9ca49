"""A roadmap as the learner works with it: export, schedule, map, changes and their history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from learnpath.api.deps import CurrentUser, RoadmapId, StoreDep
from learnpath.api.errors import ensure_storable
from learnpath.api.openapi import AUTHED, problem_responses
from learnpath.api.workspace_schemas import EditOut, EditRecordOut, EditsIn, HistoryOut
from learnpath.domain.schedule import Schedule
from learnpath.workspace.changes import change_roadmap
from learnpath.workspace.exports import MEDIA_TYPES, ExportFormat, export_roadmap, map_svg
from learnpath.workspace.plan import roadmap_schedule

router = APIRouter(tags=["workspace"])

StartDate = Annotated[
    dt.date | None,
    Query(description="The first day of the plan (default: the day the roadmap was made)"),
]


@router.get(
    "/roadmaps/{roadmap_id}/export",
    response_class=Response,
    responses={
        200: {
            "description": "The file, with a `Content-Disposition` file name. `md`: a Markdown "
            "plan (contents, schedule, stages › modules › concepts with prerequisites, "
            "tutorials, resources, quizzes, and under each concept the caller's own notes, "
            "marked *My notes*); `json`: the roadmap document with each content entry's `body` "
            "and `error`, each concept's `learner_notes`, plus `status`, `unfinished`, "
            "`schedule` and `learner_notes_on_removed_concepts`; `apkg`: an Anki deck with a "
            "note per quiz question. An unfinished roadmap exports what exists, marked as such.",
            "content": {MEDIA_TYPES[f].split(";")[0]: {} for f in ExportFormat},
        },
        **problem_responses(*AUTHED, 409),
    },
)
async def export(
    roadmap_id: RoadmapId,
    user: CurrentUser,
    store: StoreDep,
    format: Annotated[ExportFormat, Query(description="md, json or apkg")] = ExportFormat.MD,
    start: StartDate = None,
) -> Response:
    """Download the roadmap as a Markdown plan, the JSON document or an Anki deck."""
    exported = await export_roadmap(
        store, roadmap_id, user.id, format, today=dt.date.today(), start=start
    )
    return Response(
        exported.data,
        media_type=exported.media_type,
        headers={"Content-Disposition": exported.disposition},
    )


@router.get(
    "/roadmaps/{roadmap_id}/schedule",
    response_model=Schedule,
    responses=problem_responses(*AUTHED, 409),
)
async def schedule(
    roadmap_id: RoadmapId, user: CurrentUser, store: StoreDep, start: StartDate = None
) -> Schedule:
    """Every concept in a week and on dates, prerequisites first, at the request's hours per
    week; and the caller's pace (hours due by today against hours done). Recomputed from
    the roadmap and progress on every read."""
    roadmap = await store.get_roadmap(roadmap_id, user.id)
    return await roadmap_schedule(store, roadmap, user.id, today=dt.date.today(), start=start)


@router.get(
    "/roadmaps/{roadmap_id}/map.svg",
    response_class=Response,
    responses={
        200: {
            "description": "Stages → modules → concepts with prerequisite arrows; done "
            "concepts are ticked; each concept links to its web page",
            "content": {"image/svg+xml": {}},
        },
        **problem_responses(*AUTHED, 409),
    },
)
async def roadmap_map_svg(roadmap_id: RoadmapId, user: CurrentUser, store: StoreDep) -> Response:
    """The roadmap as a map (SVG, rendered on the server)."""
    roadmap = await store.get_roadmap(roadmap_id, user.id)
    svg = await map_svg(store, roadmap, user.id)
    return Response(svg, media_type="image/svg+xml")


@router.post(
    "/roadmaps/{roadmap_id}/edits",
    status_code=200,
    response_model=EditOut,
    responses={
        202: {"description": "Applied; content for the new concepts is being generated"},
        **problem_responses(*AUTHED, 409),
    },
)
async def edit(
    roadmap_id: RoadmapId, body: EditsIn, user: CurrentUser, store: StoreDep, response: Response
) -> EditOut:
    """Change a completed roadmap with the review's operations, all or nothing.

    New concepts get their content from a job of the roadmap's task (202; follow it at
    `/tasks/{task_id}/events`); removed concepts lose their content and progress; every
    other concept keeps both. An operation naming an unknown id is `invalid_edits` (422),
    a result with a cycle, an empty stage or module or an unknown prerequisite is
    `edit_breaks_roadmap` (422, with `issues`); while the task runs, `task_busy` (409).
    """
    ensure_storable(body.model_dump(mode="json"))
    outcome = await change_roadmap(store, roadmap_id, user.id, body.operations, body.note)
    if outcome.content_queued:
        response.status_code = 202
    return EditOut(
        roadmap_id=roadmap_id,
        task_id=outcome.task_id,
        edit_id=outcome.edit_id,
        added=outcome.added,
        removed=outcome.removed,
        content_queued=outcome.content_queued,
        status=outcome.status,
    )


@router.get(
    "/roadmaps/{roadmap_id}/edits",
    response_model=HistoryOut,
    responses=problem_responses(*AUTHED),
)
async def history(roadmap_id: RoadmapId, user: CurrentUser, store: StoreDep) -> HistoryOut:
    """Every change to the roadmap, oldest first: the model's edit rounds, the reviewer's
    and the learner's changes, each with who made it and when."""
    records = await store.edit_history(roadmap_id, user.id)
    return HistoryOut(
        roadmap_id=roadmap_id,
        edits=[
            EditRecordOut(
                edit_id=r.id,
                source=r.source,
                user_id=r.user_id,
                operations=r.operations,
                note=r.rationale,
                created_at=r.created_at,
            )
            for r in records
        ],
    )
