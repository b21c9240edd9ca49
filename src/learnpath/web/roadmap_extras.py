"""What the roadmap page shows besides the content: the schedule with the learner's pace,
the map, and each concept's week and prerequisites."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from learnpath.document import document_with_bodies
from learnpath.store import Store
from learnpath.store.records import RoadmapRecord, TaskRecord
from learnpath.web.i18n import translate
from learnpath.workspace.mapsvg import MapLabels, roadmap_map
from learnpath.workspace.plan import schedule_of


def map_labels(language: str) -> MapLabels:
    return MapLabels(
        title=translate(language, "map.title"),
        stage=translate(language, "map.stage"),
        legend=translate(language, "map.legend"),
        offline=translate(language, "map.offline"),
    )


def concept_link(roadmap_id: str, concept_id: str) -> str:
    quoted = quote(concept_id, safe="")
    return f"/roadmaps/{quote(roadmap_id, safe='')}?concept={quoted}#concept-{quoted}"


async def roadmap_svg(store: Store, roadmap: RoadmapRecord, user_id: str, language: str) -> str:
    document = document_with_bodies(roadmap, await store.latest_content(roadmap.id))
    done = {p["concept_id"] for p in await store.progress(user_id, roadmap.id) if p["done"]}
    return roadmap_map(
        document,
        done=done,
        link=lambda cid: concept_link(roadmap.id, cid),
        labels=map_labels(language),
    )


async def roadmap_extras(
    store: Store,
    roadmap: RoadmapRecord,
    task: TaskRecord,
    progress: list[dict[str, Any]],
    language: str,
    start: dt.date | None,
) -> dict[str, Any]:
    """The roadmap page's schedule, map and concept names (for prerequisites)."""
    schedule = schedule_of(roadmap, task.request, progress, today=dt.date.today(), start=start)
    return {
        "schedule": schedule,
        "planned": {c.concept_id: c for c in schedule.concepts},
        "names": {c.concept_id: c.name for c in schedule.concepts},
        "map_svg": await roadmap_svg(store, roadmap, task.user_id, language),
    }
