"""Content progress: the newest version of each item, and how many concepts are done.

Read by the task and roadmap views and by a running workflow, which reports each
concept's progress as its items settle.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from learnpath.domain.content import ContentStatus
from learnpath.store.tables import concept_content


async def latest_content_statuses(conn: Any, roadmap_id: str) -> dict[tuple[str, str], str]:
    """Status of the latest version of every (concept, kind) of a roadmap."""
    by_roadmap = await latest_statuses_by_roadmap(conn, [roadmap_id])
    return by_roadmap.get(roadmap_id, {})


def newest_items(roadmap_ids: list[str]) -> Select[Any]:
    """The newest version of every (concept, kind) of these roadmaps: whole content rows."""
    newest = (
        select(
            concept_content.c.roadmap_id,
            concept_content.c.concept_id,
            concept_content.c.kind,
            func.max(concept_content.c.version).label("version"),
        )
        .where(concept_content.c.roadmap_id.in_(roadmap_ids))
        .group_by(
            concept_content.c.roadmap_id, concept_content.c.concept_id, concept_content.c.kind
        )
        .subquery()
    )
    return select(concept_content).join(
        newest,
        (concept_content.c.roadmap_id == newest.c.roadmap_id)
        & (concept_content.c.concept_id == newest.c.concept_id)
        & (concept_content.c.kind == newest.c.kind)
        & (concept_content.c.version == newest.c.version),
    )


async def latest_statuses_by_roadmap(
    conn: Any, roadmap_ids: list[str]
) -> dict[str, dict[tuple[str, str], str]]:
    """Latest item statuses of several roadmaps in one query."""
    rows = await conn.execute(newest_items(roadmap_ids))
    result: dict[str, dict[tuple[str, str], str]] = {}
    for r in rows:
        result.setdefault(r.roadmap_id, {})[(r.concept_id, r.kind)] = r.status
    return result


def count_progress(latest: dict[tuple[str, str], str]) -> tuple[int, int]:
    """(concepts whose every item is completed, concepts) from latest item statuses."""
    by_concept: dict[str, list[str]] = {}
    for (concept_id, _), status in latest.items():
        by_concept.setdefault(concept_id, []).append(status)
    done = sum(
        1 for statuses in by_concept.values() if all(s == ContentStatus.COMPLETED for s in statuses)
    )
    return done, len(by_concept)
