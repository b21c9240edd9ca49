"""Server-sent events for a task: replay from the log, then follow it live.

Event ids are the task's event ``seq``; a client that reconnects with ``Last-Event-ID``
(or ``?after=N``) gets exactly the events after it, so nothing is lost or repeated.
Live events are noticed through ``store.events_signal`` (in-process commits, and
PostgreSQL NOTIFY from other processes), with a short poll as the fallback that also
covers other processes on SQLite.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from learnpath.store import Store
from learnpath.store.outage import RETRY_AFTER_SECONDS, is_database_outage
from learnpath.store.records import EventRecord

T = TypeVar("T")
_UNFINISHED: set[asyncio.Task[Any]] = set()


async def uncancelled(query: Coroutine[Any, Any, T]) -> T:
    """Await a stream's database read so that a client leaving cannot cancel it mid-query.

    A query cancelled half-way makes SQLAlchemy invalidate its connection and leave a
    graceful close pending (logged as "Task was destroyed but it is pending!"); shielded,
    the read finishes and its connection goes back to the pool. The task is kept referenced
    until it is done.
    """
    task = asyncio.ensure_future(query)
    _UNFINISHED.add(task)
    task.add_done_callback(_UNFINISHED.discard)
    return await asyncio.shield(task)


log = logging.getLogger(__name__)

#: After these events the stream ends (the client reconnects after deciding or retrying).
ENDING_EVENTS = frozenset(
    {
        "task_completed",
        "task_partially_failed",
        "task_failed",
        "task_canceled",
        "review_required",
    }
)


@dataclass(frozen=True)
class StreamTiming:
    """How often to look at the database without a signal, and to send keep-alives."""

    poll_seconds: float = 1.0
    keepalive_seconds: float = 15.0
    batch: int = 500


def format_event(event: EventRecord) -> str:
    """One event in the text/event-stream format."""
    payload = {
        "seq": event.seq,
        "type": event.type,
        "task_id": event.task_id,
        "data": event.data,
        "created_at": event.created_at.isoformat(),
    }
    data = json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":"))
    return f"id: {event.seq}\nevent: {event.type}\ndata: {data}\n\n"


async def task_events(
    store: Store,
    task_id: str,
    after: int,
    *,
    already_finished: bool,
    timing: StreamTiming,
) -> AsyncIterator[str]:
    """Yield the task's events after ``after``, then follow until the stream should end.

    The stream ends right after a terminal event or ``review_required`` when nothing
    follows it yet. A client that connects after the last event of a finished task
    (``already_finished``) gets an empty stream instead of waiting forever.
    """
    yield f"retry: {int(timing.poll_seconds * 1000) or 1000}\n\n"
    try:
        async for chunk in _follow(store, task_id, after, already_finished, timing):
            yield chunk
    except Exception as exc:
        # The response has started: end the stream; the client reconnects with its
        # Last-Event-ID and misses nothing.
        if not is_database_outage(exc):
            log.exception("event stream of task %s failed", task_id)
            return
        store.outage.failed(exc)
        yield f"retry: {RETRY_AFTER_SECONDS * 1000}\n: the database is unavailable; reconnect\n\n"


async def _follow(
    store: Store, task_id: str, after: int, already_finished: bool, timing: StreamTiming
) -> AsyncIterator[str]:
    last_sent = time.monotonic()
    first = True
    while True:
        seen = store.events_signal.version
        events = await uncancelled(store.events_after(task_id, after, limit=timing.batch))
        for event in events:
            yield format_event(event)
            after = event.seq
        if events:
            last_sent = time.monotonic()
            if len(events) == timing.batch:
                first = False
                continue
            if events[-1].type in ENDING_EVENTS:
                return
        elif first and already_finished:
            return
        first = False
        idle = time.monotonic() - last_sent
        if idle >= timing.keepalive_seconds:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()
            idle = 0.0
        wait = min(timing.poll_seconds, timing.keepalive_seconds - idle)
        await store.events_signal.wait(seen, max(wait, 0.01))
