"""What the roadmap page shows besides the content: the schedule with the learner's pace,
the map, and each concept's week and prerequisites."""

from __future__ import annotations

import datetime as dt
from typing import Any

from learnpath.document import RoadmapView
from learnpath.store import Store
from learnpath.store.records import RoadmapRecord, TaskRecord
from learnpath.web.i18n import translate
from learnpath.workspace.exports import map_svg, view_map
from learnpath.workspace.mapsvg import MapLabels
from learnpath.workspace.plan import schedule_of


def map_labels(language: str) -> MapLabels:
    return MapLabels(
        title=translate(language, "map.title"),
        stage=translate(language, "map.stage"),
        legend=translate(language, "map.legend"),
        offline=translate(language, "map.offline"),
    )


async def roadmap_svg(store: Store, roadmap: RoadmapRecord, user_id: str, language: str) -> str:
    return await map_svg(store, roadmap, user_id, map_labels(language))


def roadmap_extras(
    view: RoadmapView, task: TaskRecord, language: str, start: dt.date | None
) -> dict[str, Any]:
    """The roadmap page's schedule, map and concept names (for prerequisites)."""
    schedule = schedule_of(
        view.roadmap, task.request, view.progress, today=dt.date.today(), start=start
    )
    return {
        "schedule": schedule,
        "planned": {c.concept_id: c for c in schedule.concepts},
        "names": {c.concept_id: c.name for c in schedule.concepts},
        "map_svg": view_map(view, map_labels(language)),
    }
