"""Roadmaps: read one, a concept with its content, regenerate a concept's content.

The list (with the learner's own progress) is in ``library``."""

from __future__ import annotations

from fastapi import APIRouter

from learnpath.api.deps import ConceptId, CurrentUser, RoadmapId, StoreDep
from learnpath.api.errors import ensure_storable
from learnpath.api.openapi import AUTHED, problem_responses
from learnpath.api.render import concept_detail
from learnpath.api.schemas import (
    ConceptDetail,
    RegenerateAccepted,
    RegenerateIn,
)
from learnpath.document import RoadmapOut, read_view
from learnpath.store import NotFound

router = APIRouter(tags=["roadmaps"])


@router.get(
    "/roadmaps/{roadmap_id}",
    response_model=RoadmapOut,
    responses=problem_responses(*AUTHED, 409),
)
async def get_roadmap(roadmap_id: RoadmapId, user: CurrentUser, store: StoreDep) -> RoadmapOut:
    """Stages, modules and concepts, with each concept's content status and version."""
    roadmap = await store.get_roadmap(roadmap_id, user.id)
    return (await read_view(store, roadmap)).out()


@router.get(
    "/roadmaps/{roadmap_id}/concepts/{concept_id}",
    response_model=ConceptDetail,
    responses=problem_responses(*AUTHED, 409),
)
async def get_concept(
    roadmap_id: RoadmapId, concept_id: ConceptId, user: CurrentUser, store: StoreDep
) -> ConceptDetail:
    """The concept with the newest version of its tutorial, resources and quiz."""
    roadmap = await store.get_roadmap(roadmap_id, user.id)
    detail = concept_detail(await read_view(store, roadmap, concept_id=concept_id), concept_id)
    if detail is None:
        raise NotFound(f"no concept {concept_id} in roadmap {roadmap_id}")
    return detail


@router.post(
    "/roadmaps/{roadmap_id}/concepts/{concept_id}/regenerate",
    status_code=202,
    response_model=RegenerateAccepted,
    responses=problem_responses(*AUTHED, 409),
)
async def regenerate(
    roadmap_id: RoadmapId,
    concept_id: ConceptId,
    body: RegenerateIn,
    user: CurrentUser,
    store: StoreDep,
) -> RegenerateAccepted:
    """Queue a new version of the concept's content, following ``instructions``."""
    ensure_storable(body.instructions, "instructions")
    roadmap = await store.get_roadmap(roadmap_id, user.id)
    version = await store.regenerate_concept(roadmap.id, concept_id, user.id, body.instructions)
    task = await store.get_task(roadmap.task_id, user.id)
    return RegenerateAccepted(
        task_id=task.id,
        roadmap_id=roadmap.id,
        concept_id=concept_id,
        version=version,
        status=task.status,
    )
