"""Read-only share links and forks of shared roadmaps.

A link carries a random 256-bit token; only its SHA-256 is stored, so the database never
holds a usable link. The shared document is the roadmap document with its content and
without anything of its owner: no ids, dates, request, progress or task.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
from typing import Any

from learnpath.document import read_view
from learnpath.domain.request import MAX_WEEKS, LearningRequest, Level
from learnpath.domain.roadmap import Framework
from learnpath.store import NotFound, Store
from learnpath.store.records import RoadmapRecord
from learnpath.store.workspace import Fork

TOKEN_PREFIX = "lps_"
_TOKEN = re.compile(r"^lps_[A-Za-z0-9_-]{20,100}$")
#: Keys of the document that say whose roadmap it is or when it was made: not shared.
OWNER_KEYS = ("roadmap_id", "task_id", "created_at", "updated_at")


def share_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def share(store: Store, roadmap_id: str, user_id: str) -> tuple[str, dt.datetime]:
    """A new share token for the roadmap (the previous one stops working) and its time."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    shared_at = await store.set_share_token(roadmap_id, user_id, share_hash(token))
    return token, shared_at


async def shared_roadmap(store: Store, token: str) -> RoadmapRecord:
    if not _TOKEN.match(token):
        raise NotFound("no shared roadmap at this link; it may have been revoked")
    return await store.shared_roadmap(share_hash(token))


def public_document(roadmap: RoadmapRecord, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without its owner's data (ids, dates)."""
    return {key: value for key, value in document.items() if key not in OWNER_KEYS}


async def shared_document(store: Store, token: str) -> dict[str, Any]:
    """The shared roadmap's document with its content, without its owner's data."""
    roadmap = await shared_roadmap(store, token)
    return public_document(roadmap, (await read_view(store, roadmap)).document())


async def fork_shared(
    store: Store,
    token: str,
    user_id: str,
    *,
    hours_per_week: int = 8,
    weeks: int | None = None,
    level: Level = Level.BEGINNER,
    idempotency_key: str | None = None,
) -> Fork:
    """Copy the shared roadmap into ``user_id``'s account: framework and content, with a
    request of the new owner's own (hours per week, weeks, level) and no progress."""
    source = await shared_roadmap(store, token)
    framework = Framework.model_validate(source.framework)
    source_request = (await store.get_task(source.task_id)).request
    if weeks is None:
        weeks = min(MAX_WEEKS, max(1, math.ceil(framework.total_hours() / hours_per_week)))
    request = LearningRequest(
        goal=framework.title[:2000] if len(framework.title) >= 3 else f"{framework.title} roadmap",
        level=level,
        hours_per_week=hours_per_week,
        weeks=weeks,
        language=str(source_request.get("language") or "en"),
    )
    intent = await store.intent_of(source.task_id)
    if intent is not None:
        # Keep what describes the curriculum; drop what the owner said about themselves.
        intent = {
            **intent,
            "goal_summary": framework.title[:1000],
            "current_level": level.value,
            "known_skills": [],
            "notes": "",
            "weekly_hours": hours_per_week,
            "total_weeks": weeks,
        }
    return await store.fork_roadmap(
        source,
        user_id,
        request=request.model_dump(mode="json"),
        intent=intent,
        idempotency_key=idempotency_key,
    )
