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
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

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

#: Seconds a client refused for too many streams should wait before trying again.
STREAM_RETRY_AFTER_SECONDS = 10
#: The last line of a stream that reached its lifetime: the client reconnects.
LIFETIME_REACHED = ": this stream reached its lifetime; reconnect with Last-Event-ID\n\n"
MAX_EVENT_ID = 2**31 - 1


class TooManyStreams(Exception):
    """The user already has the most open streams this process allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"you already have {limit} open event streams on this server; close one "
            f"(or wait {STREAM_RETRY_AFTER_SECONDS} s) and try again"
        )
        self.limit = limit
        self.retry_after = STREAM_RETRY_AFTER_SECONDS


class InvalidEventId(ValueError):
    """A ``Last-Event-ID`` this server never sent (not a small decimal number)."""


def event_id(value: str | None, *, maximum: int = MAX_EVENT_ID) -> int | None:
    """The ``Last-Event-ID`` as a number; ``InvalidEventId`` for anything this server never sent.

    Only ASCII digits count (``"²".isdigit()`` is true in Python) and at most ``maximum``.
    """
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(maximum))):
        raise InvalidEventId(f"Last-Event-ID: {value[:20]!r} is not an event id of this stream")
    number = int(value)
    if number > maximum:
        raise InvalidEventId(f"Last-Event-ID: must be at most {maximum}")
    return number


class StreamSlot:
    """One open stream of a user; released once, whatever ends the stream."""

    def __init__(self, limits: StreamLimits, user_id: str) -> None:
        self._limits = limits
        self._user_id = user_id
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._limits.release(self._user_id)


class StreamLimits:
    """Each stream's maximum lifetime, and how many streams a user may hold open at once.

    The count lives in this process: with several server processes, each allows
    ``per_user`` streams.
    """

    def __init__(self, *, max_seconds: float, per_user: int) -> None:
        self.max_seconds = max_seconds
        self.per_user = per_user
        self._open: Counter[str] = Counter()

    def open_streams(self, user_id: str) -> int:
        return self._open[user_id]

    def reserve(self, user_id: str) -> StreamSlot:
        """A slot for a new stream; ``TooManyStreams`` past the per-user cap."""
        if self._open[user_id] >= self.per_user:
            raise TooManyStreams(self.per_user)
        self._open[user_id] += 1
        return StreamSlot(self, user_id)

    def release(self, user_id: str) -> None:
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]

    def respond(
        self,
        slot: StreamSlot,
        content: AsyncIterator[str],
        headers: Mapping[str, str] | None = None,
    ) -> StreamingResponse:
        """The SSE response: ``content`` until it ends or the lifetime is reached."""
        return _SlotStream(
            slot,
            within_lifetime(content, self.max_seconds),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", **(headers or {})},
        )


class _SlotStream(StreamingResponse):
    """A streaming response that gives its slot back however the response ends."""

    def __init__(self, slot: StreamSlot, content: AsyncIterator[str], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()


async def within_lifetime(content: AsyncIterator[str], seconds: float) -> AsyncIterator[str]:
    """Pass ``content`` on until ``seconds`` have passed, then end it between two events.

    Every chunk of ``content`` is a whole event (or comment), so a stream cut here never
    splits one: the client reconnects with the id of the last event it got and misses
    nothing. Waiting for the next chunk is what gets cancelled at the deadline.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    iterator = aiter(content)
    try:
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                chunk = await asyncio.wait_for(anext(iterator), remaining)
            except StopAsyncIteration:
                return
            except TimeoutError:
                break
            yield chunk
        yield LIFETIME_REACHED
    finally:
        closer = getattr(iterator, "aclose", None)
        if closer is not None:
            await closer()


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
