"""Learner progress: concepts marked done and quiz answers, scored on the server."""

from __future__ import annotations

from fastapi import APIRouter

from learnpath.api.deps import ConceptId, CurrentUser, RoadmapId, StoreDep
from learnpath.api.errors import ApiError
from learnpath.api.openapi import AUTHED, problem_responses
from learnpath.api.render import framework_of, progress_out
from learnpath.api.schemas import (
    ConceptProgressOut,
    ProgressIn,
    QuestionResult,
    QuizAnswersIn,
    QuizResultOut,
    RoadmapProgressOut,
)
from learnpath.domain.content import InvalidAnswers
from learnpath.learning.quiz import QuizNotReady
from learnpath.learning.quiz import answer_quiz as record_quiz
from learnpath.store import NotFound, Store
from learnpath.store.records import RoadmapRecord, UserRecord

router = APIRouter(tags=["progress"])


async def _concept_roadmap(
    store: Store, user: UserRecord, roadmap_id: str, concept_id: str
) -> RoadmapRecord:
    roadmap = await store.get_roadmap(roadmap_id, user.id)
    if framework_of(roadmap).concept(concept_id) is None:
        raise NotFound(f"no concept {concept_id} in roadmap {roadmap_id}")
    return roadmap


@router.put(
    "/roadmaps/{roadmap_id}/concepts/{concept_id}/progress",
    response_model=ConceptProgressOut,
    responses=problem_responses(*AUTHED, 409),
)
async def set_done(
    roadmap_id: RoadmapId,
    concept_id: ConceptId,
    body: ProgressIn,
    user: CurrentUser,
    store: StoreDep,
) -> ConceptProgressOut:
    """Mark the concept done (or not done) for the caller."""
    roadmap = await _concept_roadmap(store, user, roadmap_id, concept_id)
    row = await store.record_progress(user.id, roadmap.id, concept_id, done=body.done)
    return progress_out(row)


@router.post(
    "/roadmaps/{roadmap_id}/concepts/{concept_id}/quiz",
    response_model=QuizResultOut,
    responses=problem_responses(*AUTHED, 409),
)
async def answer_quiz(
    roadmap_id: RoadmapId,
    concept_id: ConceptId,
    body: QuizAnswersIn,
    user: CurrentUser,
    store: StoreDep,
) -> QuizResultOut:
    """Score the answers against the stored quiz and record the result."""
    roadmap = await _concept_roadmap(store, user, roadmap_id, concept_id)
    try:
        recorded = await record_quiz(store, user.id, roadmap.id, concept_id, body.answers)
    except QuizNotReady as exc:
        raise ApiError(409, "quiz_not_ready", str(exc)) from exc
    except InvalidAnswers as exc:
        raise ApiError(422, "validation_error", f"answers: {exc}") from exc
    result = recorded.result
    results = [
        QuestionResult(
            index=r.index,
            chosen=r.chosen,
            answer=r.answer,
            correct=r.correct,
            explanation=r.explanation,
        )
        for r in result.results
    ]
    return QuizResultOut(
        concept_id=concept_id,
        score=result.score,
        correct=result.correct,
        total=len(results),
        results=results,
        progress=progress_out(recorded.progress),
    )


@router.get(
    "/roadmaps/{roadmap_id}/progress",
    response_model=RoadmapProgressOut,
    responses=problem_responses(*AUTHED, 409),
)
async def get_progress(
    roadmap_id: RoadmapId, user: CurrentUser, store: StoreDep
) -> RoadmapProgressOut:
    """The caller's progress through the roadmap."""
    roadmap = await store.get_roadmap(roadmap_id, user.id)
    concept_ids = set(framework_of(roadmap).concept_ids())
    rows = [progress_out(r) for r in await store.progress(user.id, roadmap.id)]
    return RoadmapProgressOut(
        roadmap_id=roadmap.id,
        done=sum(1 for r in rows if r.done and r.concept_id in concept_ids),
        total=len(concept_ids),
        concepts=rows,
    )
