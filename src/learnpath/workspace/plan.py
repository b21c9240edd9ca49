"""The schedule of a stored roadmap and the learner's standing on it, computed on each read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import Framework
from learnpath.domain.schedule import Pace, Schedule, plan
from learnpath.store import Store
from learnpath.store.records import RoadmapRecord


def schedule_of(
    roadmap: RoadmapRecord,
    request: dict[str, Any],
    progress: list[dict[str, Any]],
    *,
    today: dt.date,
    start: dt.date | None = None,
) -> Schedule:
    """The plan from ``start`` (default: the day the roadmap was made) with the hours and
    span of the roadmap's request, and the learner's ``progress``."""
    wanted = LearningRequest.model_validate(request)
    return plan(
        Framework.model_validate(roadmap.framework),
        start=start or roadmap.created_at.date(),
        hours_per_week=wanted.hours_per_week,
        weeks=wanted.weeks,
        deadline=wanted.deadline,
        done={p["concept_id"] for p in progress if p["done"]},
        today=today,
    )


async def roadmap_schedule(
    store: Store,
    roadmap: RoadmapRecord,
    user_id: str,
    *,
    today: dt.date,
    start: dt.date | None = None,
) -> Schedule:
    task = await store.get_task(roadmap.task_id, user_id)
    progress = await store.progress(user_id, roadmap.id)
    return schedule_of(roadmap, task.request, progress, today=today, start=start)


@dataclass(frozen=True)
class Standing:
    """The learner's own progress on one roadmap (not the generation's)."""

    done: int
    total: int
    quiz_average: float | None
    pace: Pace


def standing_of(
    roadmap: RoadmapRecord,
    request: dict[str, Any],
    progress: list[dict[str, Any]],
    *,
    today: dt.date,
) -> Standing:
    concepts = set(Framework.model_validate(roadmap.framework).concept_ids())
    mine = [p for p in progress if p["concept_id"] in concepts]
    scores = [float(p["quiz_score"]) for p in mine if p.get("quiz_score") is not None]
    schedule = schedule_of(roadmap, request, progress, today=today)
    return Standing(
        done=sum(1 for p in mine if p["done"]),
        total=len(concepts),
        quiz_average=sum(scores) / len(scores) if scores else None,
        pace=schedule.pace,
    )


async def standings(
    store: Store, roadmaps: list[RoadmapRecord], user_id: str, *, today: dt.date
) -> dict[str, Standing]:
    """Each roadmap's standing, with two queries for the whole list."""
    progress = await store.progress_by_roadmap(user_id, [r.id for r in roadmaps])
    requests = await store.task_requests([r.task_id for r in roadmaps])
    return {
        r.id: standing_of(r, requests[r.task_id], progress[r.id], today=today) for r in roadmaps
    }
