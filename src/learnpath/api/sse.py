"""A task's events as server-sent events: replay from the log, then follow it live.

Event ids are the task's event ``seq``; a client that reconnects with ``Last-Event-ID``
(or ``?after=N``) gets exactly the events after it, so nothing is lost or repeated. The
events come from ``follow_events``, which also decides when the stream ends; this module
frames them, adds keep-alives, and ends the stream with a reconnect hint when the
database goes away.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from learnpath.sse import (
    InvalidEventId,
    StreamLimits,
    StreamTiming,
    TooManyStreams,
    frame,
    retry,
    with_keepalives,
)
from learnpath.store import Store
from learnpath.store.follow import follow_events
from learnpath.store.outage import RETRY_AFTER_SECONDS, is_database_outage
from learnpath.store.records import EventRecord

log = logging.getLogger(__name__)

# The stream's building blocks, where the app and its error handlers import them from.
__all__ = [
    "InvalidEventId",
    "StreamLimits",
    "StreamTiming",
    "TooManyStreams",
    "format_event",
    "task_events",
]


def format_event(event: EventRecord) -> str:
    """One event in the text/event-stream format: ``id`` = seq, ``event`` = type."""
    payload = {
        "seq": event.seq,
        "type": event.type,
        "task_id": event.task_id,
        "data": event.data,
        "created_at": event.created_at.isoformat(),
    }
    return frame(event.type, payload, event.seq)


async def task_events(
    store: Store, task_id: str, after: int, *, timing: StreamTiming
) -> AsyncIterator[str]:
    """The task's events after ``after`` until the stream ends (see ``follow_events``)."""
    yield retry(timing.poll_seconds)
    try:
        async for chunk in with_keepalives(
            _framed(store, task_id, after, timing), timing.keepalive_seconds
        ):
            yield chunk
    except Exception as exc:
        # The response has started: end the stream; the client reconnects with its
        # Last-Event-ID and misses nothing.
        if not is_database_outage(exc):
            log.exception("event stream of task %s failed", task_id)
            return
        store.outage.failed(exc)
        yield f"retry: {RETRY_AFTER_SECONDS * 1000}\n: the database is unavailable; reconnect\n\n"


async def _framed(
    store: Store, task_id: str, after: int, timing: StreamTiming
) -> AsyncIterator[str]:
    events = follow_events(
        store, task_id, after, poll_seconds=timing.poll_seconds, batch=timing.batch
    )
    async for event in events:
        yield format_event(event)
