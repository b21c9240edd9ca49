"""A roadmap as a file to download: a Markdown plan, the JSON document or an Anki deck.

Every format is built from the roadmap document; Markdown and JSON carry the schedule and
the owner's notes (an export is always the owner's: shared links and forks have their own
views). An unfinished roadmap exports what exists, marked as such.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from learnpath.document import RoadmapView, read_view
from learnpath.domain.task import TaskStatus
from learnpath.export import Notes, to_markdown, with_notes
from learnpath.store import Store
from learnpath.store.records import RoadmapRecord, TaskRecord
from learnpath.store.tutoring import NoteRecord
from learnpath.workspace.anki import anki_package
from learnpath.workspace.mapsvg import MapLabels, roadmap_map
from learnpath.workspace.plan import schedule_of


class ExportFormat(StrEnum):
    MD = "md"
    JSON = "json"
    APKG = "apkg"


MEDIA_TYPES = {
    ExportFormat.MD: "text/markdown; charset=utf-8",
    ExportFormat.JSON: "application/json",
    ExportFormat.APKG: "application/zip",
}


@dataclass(frozen=True)
class Export:
    data: bytes
    media_type: str
    filename: str

    @property
    def disposition(self) -> str:
        return f'attachment; filename="{self.filename}"'


def file_name(title: str, roadmap_id: str, fmt: str) -> str:
    """``<title-slug>-<id8>.<fmt>``: ASCII only, so every client keeps it as it is."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "roadmap"
    return f"{slug}-{roadmap_id[:8]}.{fmt}"


def unfinished_note(task: TaskRecord) -> str | None:
    """Why the roadmap is not complete (None when it is)."""
    if task.status is TaskStatus.COMPLETED:
        return None
    if task.status is TaskStatus.PARTIAL_FAILURE:
        return (
            f"Content for some concepts could not be generated ({task.progress_done} of "
            f"{task.progress_total} concepts are complete); retry the task to write the rest."
        )
    return (
        f"The roadmap's task is {task.status.value.replace('_', ' ')}: "
        f"{task.progress_done} of {task.progress_total} concepts have their content. "
        "This file holds what exists so far."
    )


async def export_roadmap(
    store: Store,
    roadmap_id: str,
    user_id: str,
    fmt: ExportFormat,
    *,
    today: dt.date,
    start: dt.date | None = None,
) -> Export:
    roadmap = await store.get_roadmap(roadmap_id, user_id)
    task = await store.get_task(roadmap.task_id, user_id)
    view = await read_view(store, roadmap, user_id)
    document = view.document()
    note = unfinished_note(task)
    name = file_name(roadmap.title, roadmap.id, fmt.value)
    if fmt is ExportFormat.APKG:
        data = await asyncio.to_thread(anki_package, document, note=note or "")
        return Export(data, MEDIA_TYPES[fmt], name)
    schedule = schedule_of(roadmap, task.request, view.progress, today=today, start=start)
    notes = await notes_by_concept(store, user_id, roadmap.id)
    if fmt is ExportFormat.MD:
        text = to_markdown(document, schedule, unfinished=note, notes=notes)
    else:
        document = with_notes(document, notes)
        document |= {
            "status": task.status.value,
            "unfinished": note,
            "schedule": schedule.model_dump(mode="json"),
        }
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return Export(text.encode("utf-8"), MEDIA_TYPES[fmt], name)


async def notes_by_concept(store: Store, user_id: str, roadmap_id: str) -> Notes:
    """``user_id``'s notes on the roadmap, per concept id, oldest first."""
    grouped: dict[str, list[NoteRecord]] = {}
    for note in await store.notes(user_id, roadmap_id):
        grouped.setdefault(note.concept_id, []).append(note)
    return grouped


def concept_page(roadmap_id: str, concept_id: str) -> str:
    """The web page of a concept (where the map's boxes link to)."""
    quoted = quote(concept_id, safe="")
    return f"/roadmaps/{quote(roadmap_id, safe='')}?concept={quoted}#concept-{quoted}"


def view_map(view: RoadmapView, labels: MapLabels | None = None) -> str:
    """The roadmap's map with the view's learner's done concepts ticked, linking to
    concept pages."""
    return roadmap_map(
        view.document(),
        done=view.done,
        link=lambda cid: concept_page(view.id, cid),
        labels=labels,
    )


async def map_svg(
    store: Store, roadmap: RoadmapRecord, user_id: str, labels: MapLabels | None = None
) -> str:
    """The roadmap's map with ``user_id``'s done concepts ticked, linking to concept pages."""
    return view_map(await read_view(store, roadmap, user_id), labels)
