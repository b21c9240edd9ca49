"""Content progress: the newest version of each item, and how many concepts are done.

Read by the task and roadmap views; a running workflow keeps a ``ContentTally`` instead,
so reporting each concept's progress as its items settle costs no query.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ContentOutcome:
    """What one item's write changed for its concept (for progress reporting)."""

    concept_done: bool
    concept_failed: bool
    done: int
    total: int
    cancel_requested: bool = False
    """Whether the task's cancel was asked for by the time the item was saved."""


class ContentTally:
    """The newest status of every item of one roadmap, kept by the job that writes them.

    While a job holds its task's lease the task is processing, and every command that
    changes content (retry, regenerate, a learner's edit) refuses a processing task, so the
    job's own writes are the only changes: a tally read once per run (``from_rows``, the
    rows of ``newest_items``) stays exact, and each item's write updates it in O(1).
    """

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], tuple[int, str]] = {}  # (version, status)
        self._concepts: dict[str, Counter[str]] = {}  # status counts of newest items
        self.done = 0

    @classmethod
    def from_rows(cls, rows: Any) -> ContentTally:
        tally = cls()
        for row in rows:
            tally._set(row.concept_id, row.kind, row.version, row.status)
        return tally

    @property
    def total(self) -> int:
        return len(self._concepts)

    def _is_done(self, concept_id: str) -> bool:
        counts = self._concepts.get(concept_id)
        return counts is not None and counts[ContentStatus.COMPLETED] == counts.total() > 0

    def _set(self, concept_id: str, kind: str, version: int, status: str) -> None:
        known = self._items.get((concept_id, kind))
        if known is not None and known[0] > version:
            return  # an older version (reset by a retry) does not change the newest
        was_done = self._is_done(concept_id)
        counts = self._concepts.setdefault(concept_id, Counter())
        if known is not None:
            counts[known[1]] -= 1
        counts[status] += 1
        self._items[(concept_id, kind)] = (version, status)
        self.done += int(self._is_done(concept_id)) - int(was_done)

    def settle(self, concept_id: str, kind: str, version: int, status: str) -> ContentOutcome:
        """Record one item's new status; what its concept and the roadmap now stand at."""
        self._set(concept_id, kind, version, status)
        counts = self._concepts[concept_id]
        settled = counts[ContentStatus.PENDING] == 0
        failed = counts[ContentStatus.FAILED] > 0
        return ContentOutcome(
            concept_done=settled and not failed,
            concept_failed=settled and failed,
            done=self.done,
            total=self.total,
        )
