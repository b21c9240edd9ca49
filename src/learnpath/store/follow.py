"""Following a task's event log: the one loop behind the API's stream, the web page and the CLI.

``follow_events`` yields the task's events after a sequence number, in order, and then the
new ones as they are committed. It ends once it has read all there is, when:

* the last event ends a stream (``EventType.ends_stream``: a terminal event, or
  ``review_required``); whoever follows starts again after deciding the review or
  retrying the task;
* or the task was already finished when the follow started (its terminal event is then
  in the log): a follow that starts after the last event gets nothing instead of waiting
  for an event that will never come, and events added to a finished task's log without
  reopening it (a rename, a share) do not keep it open.

New events are noticed through ``store.events_signal`` (note its version, read, then wait,
so a commit between the read and the wait is never missed), with a poll every
``poll_seconds`` as the fallback for commits the signal does not hear about. How the events
are shown (server-sent events, keep-alives, a progress bar) is up to the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

from learnpath.domain.events import ends_stream
from learnpath.store.reads import ReadQueries
from learnpath.store.records import EventRecord

T = TypeVar("T")
_UNFINISHED: set[asyncio.Task[Any]] = set()

#: Seconds between two looks at the database when no signal arrives.
POLL_SECONDS = 1.0
#: Events read at once.
BATCH = 500


async def uncancelled(query: Coroutine[Any, Any, T]) -> T:
    """Await a database read so that a reader going away cannot cancel it mid-query.

    A query cancelled half-way makes SQLAlchemy invalidate its connection and leave a
    graceful close pending (logged as "Task was destroyed but it is pending!"); shielded,
    the read finishes and its connection goes back to the pool. The task is kept referenced
    until it is done.
    """
    task = asyncio.ensure_future(query)
    _UNFINISHED.add(task)
    task.add_done_callback(_UNFINISHED.discard)
    return await asyncio.shield(task)


async def follow_events(
    store: ReadQueries,
    task_id: str,
    after_seq: int = 0,
    *,
    poll_seconds: float = POLL_SECONDS,
    batch: int = BATCH,
) -> AsyncIterator[EventRecord]:
    """The task's events after ``after_seq``, then the new ones, until the stream ends.

    Nothing is skipped or repeated: following again from the ``seq`` of the last event
    received gives exactly the events after it.
    """
    # Looked at before the first read: a task finished now has all its events in the log.
    finished = (await uncancelled(store.get_task(task_id))).status.is_terminal
    after = after_seq
    while True:
        seen = store.events_signal.version
        events = await uncancelled(store.events_after(task_id, after, limit=batch))
        for event in events:
            yield event
            after = event.seq
        if len(events) == batch:
            continue
        if finished or (events and ends_stream(events[-1].type)):
            return
        await store.events_signal.wait(seen, poll_seconds)
