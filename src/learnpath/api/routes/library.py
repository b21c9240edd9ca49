"""The learner's roadmaps: the list with their own progress, rename, trash and restore,
share links and forks of shared roadmaps."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from learnpath.api.deps import CurrentUser, RoadmapId, StoreDep
from learnpath.api.openapi import AUTHED, problem_responses
from learnpath.api.routes.paging import Cursor, Limit, checked_cursor
from learnpath.api.routes.tasks import IdempotencyKey
from learnpath.api.workspace_schemas import (
    ForkIn,
    ForkOut,
    LearnerOut,
    PaceOut,
    RenameIn,
    ShareOut,
    WorkspacePage,
    WorkspaceRoadmap,
)
from learnpath.store.records import RoadmapRecord
from learnpath.workspace.plan import Standing, standings
from learnpath.workspace.sharing import fork_shared, share, shared_document

router = APIRouter(tags=["roadmaps"])

ShareToken = Annotated[
    str, Path(min_length=1, max_length=200, description="The token of a share link")
]


def workspace_roadmap(roadmap: RoadmapRecord, standing: Standing | None = None) -> WorkspaceRoadmap:
    learner = None
    if standing is not None:
        learner = LearnerOut(
            done=standing.done,
            total=standing.total,
            quiz_average=standing.quiz_average,
            pace=PaceOut(
                status=standing.pace.status,
                due_hours=standing.pace.due_hours,
                done_hours=standing.pace.done_hours,
            ),
        )
    return WorkspaceRoadmap(
        roadmap_id=roadmap.id,
        task_id=roadmap.task_id,
        title=roadmap.title,
        generated_by=roadmap.generated_by,
        shared=roadmap.shared_at is not None,
        deleted_at=roadmap.deleted_at,
        created_at=roadmap.created_at,
        updated_at=roadmap.updated_at,
        learner=learner,
    )


@router.get("/roadmaps", response_model=WorkspacePage, responses=problem_responses(*AUTHED))
async def list_roadmaps(
    user: CurrentUser, store: StoreDep, limit: Limit = 20, cursor: Cursor = None
) -> WorkspacePage:
    """The caller's roadmaps (not in the trash), newest first, each with the caller's own
    progress: concepts done of all, quiz average and pace."""
    page = await store.list_roadmaps(user.id, limit=limit, cursor=checked_cursor(cursor))
    mine = await standings(store, page.items, user.id, today=dt.date.today())
    return WorkspacePage(
        items=[workspace_roadmap(r, mine[r.id]) for r in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/trash", response_model=WorkspacePage, responses=problem_responses(*AUTHED))
async def trash(
    user: CurrentUser, store: StoreDep, limit: Limit = 20, cursor: Cursor = None
) -> WorkspacePage:
    """The caller's roadmaps in the trash, newest first."""
    page = await store.list_roadmaps(
        user.id, limit=limit, cursor=checked_cursor(cursor), in_trash=True
    )
    return WorkspacePage(
        items=[workspace_roadmap(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.patch(
    "/roadmaps/{roadmap_id}",
    response_model=WorkspaceRoadmap,
    responses=problem_responses(*AUTHED, 409),
)
async def rename(
    roadmap_id: RoadmapId, body: RenameIn, user: CurrentUser, store: StoreDep
) -> WorkspaceRoadmap:
    """Rename the roadmap (recorded in its history); `task_busy` (409) while it is generated."""
    return workspace_roadmap(await store.rename_roadmap(roadmap_id, user.id, body.title))


@router.delete(
    "/roadmaps/{roadmap_id}",
    response_model=WorkspaceRoadmap,
    responses=problem_responses(*AUTHED),
)
async def move_to_trash(
    roadmap_id: RoadmapId, user: CurrentUser, store: StoreDep
) -> WorkspaceRoadmap:
    """Move the roadmap to the trash: it leaves the lists, its routes answer 409
    `roadmap_in_trash` and its share link stops working, until it is restored."""
    return workspace_roadmap(await store.trash_roadmap(roadmap_id, user.id))


@router.post(
    "/roadmaps/{roadmap_id}/restore",
    response_model=WorkspaceRoadmap,
    responses=problem_responses(*AUTHED),
)
async def restore(roadmap_id: RoadmapId, user: CurrentUser, store: StoreDep) -> WorkspaceRoadmap:
    """Take the roadmap out of the trash, as it was."""
    return workspace_roadmap(await store.restore_roadmap(roadmap_id, user.id))


@router.post(
    "/roadmaps/{roadmap_id}/share",
    status_code=201,
    response_model=ShareOut,
    responses=problem_responses(*AUTHED, 409),
)
async def create_share(
    roadmap_id: RoadmapId, user: CurrentUser, store: StoreDep, request: Request
) -> ShareOut:
    """A read-only link to the roadmap and its content, for anyone who has it, without
    signing in and without your progress. Only the token's hash is stored: the URL is
    shown once; asking again makes a new link and revokes the previous one."""
    token, shared_at = await share(store, roadmap_id, user.id)
    return ShareOut(url=share_url(request, token), token=token, shared_at=shared_at)


def share_url(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + f"/shared/{token}"


@router.delete(
    "/roadmaps/{roadmap_id}/share",
    status_code=204,
    response_class=Response,
    responses=problem_responses(*AUTHED),
)
async def revoke_share(roadmap_id: RoadmapId, user: CurrentUser, store: StoreDep) -> Response:
    """Revoke the share link (nothing happens when there is none)."""
    await store.revoke_share(roadmap_id, user.id)
    return Response(status_code=204)


@router.get(
    "/shared/{token}",
    response_model=dict[str, Any],
    responses={
        200: {
            "description": "The roadmap document with each content entry's `body`, without "
            "ids, dates or anything of its owner (no authentication needed)"
        },
        **problem_responses(404, 422),
    },
)
async def read_shared(token: ShareToken, store: StoreDep) -> dict[str, Any]:
    """A shared roadmap, read-only, for anyone with the link (no token needed)."""
    return await shared_document(store, token)


@router.post(
    "/shared/{token}/fork",
    status_code=201,
    response_model=ForkOut,
    responses=problem_responses(*AUTHED),
)
async def fork(
    token: ShareToken,
    user: CurrentUser,
    store: StoreDep,
    response: Response,
    body: ForkIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> ForkOut:
    """Copy a shared roadmap into your account: its framework and content, your own hours
    per week and level, no progress. With an `Idempotency-Key` used before, the earlier
    copy is returned (200)."""
    wanted = body or ForkIn()
    copied = await fork_shared(
        store,
        token,
        user.id,
        hours_per_week=wanted.hours_per_week,
        weeks=wanted.weeks,
        level=wanted.level,
        idempotency_key=idempotency_key,
    )
    if not copied.created:
        response.status_code = 200
    task = await store.get_task(copied.task_id, user.id)
    return ForkOut(roadmap_id=copied.roadmap_id, task_id=copied.task_id, status=task.status)
