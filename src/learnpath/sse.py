"""Server-sent events, as both the HTTP API and the web UI send them.

The framing of one event, keep-alive comments while a stream is quiet, each stream's
maximum lifetime, the per-user cap on open streams, the parsing of ``Last-Event-ID``, and
a tutor's reply as events. What a stream carries is chosen by the layer that serves it:
the API sends a task's events as they are stored, the web page sends them labelled for
its language (both read them with ``learnpath.store.follow.follow_events``).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from learnpath.learning.tutoring import TutorService
from learnpath.store.follow import uncancelled
from learnpath.store.tutoring import MessageRecord

#: Seconds a client refused for too many streams should wait before trying again.
STREAM_RETRY_AFTER_SECONDS = 10
#: The last line of a stream that reached its lifetime: the client reconnects.
LIFETIME_REACHED = ": this stream reached its lifetime; reconnect with Last-Event-ID\n\n"
#: Sent while a stream is quiet, so that proxies and clients keep the connection open.
KEEPALIVE = ": keep-alive\n\n"
MAX_EVENT_ID = 2**31 - 1


@dataclass(frozen=True)
class StreamTiming:
    """How often to look at the database without a signal, and to send keep-alives."""

    poll_seconds: float = 1.0
    keepalive_seconds: float = 15.0
    batch: int = 500


def frame(event: str, data: Any, event_id: int | None = None) -> str:
    """One event in the text/event-stream format, its data as compact JSON."""
    payload = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {payload}\n\n"


def retry(seconds: float) -> str:
    """The field that tells a client how long to wait before it reconnects."""
    return f"retry: {int(seconds * 1000) or 1000}\n\n"


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


class TooManyStreams(Exception):
    """The user already has the most open streams this process allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"you already have {limit} open event streams on this server; close one "
            f"(or wait {STREAM_RETRY_AFTER_SECONDS} s) and try again"
        )
        self.limit = limit
        self.retry_after = STREAM_RETRY_AFTER_SECONDS


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
        await _close(iterator)


async def with_keepalives(content: AsyncIterator[str], seconds: float) -> AsyncIterator[str]:
    """Pass ``content`` on, with a ``KEEPALIVE`` comment each time ``seconds`` pass without
    a chunk.

    The wait for the next chunk runs on its own and is never cut short by a keep-alive, so
    ``content`` (a follow between two database reads, say) is not disturbed by it.
    """
    iterator = aiter(content)
    pending: asyncio.Future[str] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait({pending}, timeout=seconds)
            if not done:
                yield KEEPALIVE
                continue
            finished, pending = pending, None
            try:
                chunk = finished.result()
            except StopAsyncIteration:
                return
            yield chunk
    finally:
        if pending is not None:
            # ``content`` runs in the pending wait: cancelled there, it ends there.
            pending.cancel()
            await asyncio.wait({pending})
            if not pending.cancelled():
                pending.exception()  # the stream is over: what it ended with is not news
        await _close(iterator)


async def _close(iterator: AsyncIterator[str]) -> None:
    closer = getattr(iterator, "aclose", None)
    if closer is not None:
        await closer()


async def reply_events(
    service: TutorService,
    user_id: str,
    message_id: str,
    offset: int,
    final: Callable[[MessageRecord], Any],
) -> AsyncIterator[str]:
    """A tutor's reply as events from ``offset``: ``delta`` pieces (``id`` = the reply's
    length so far), then ``done`` with ``final`` of the finished message."""
    yield retry(1.0)
    async for event in service.follow(user_id, message_id, offset, read=uncancelled):
        if event.final is not None:
            yield frame("done", final(event.final))
            return
        end = event.offset + len(event.text)
        yield frame(
            "delta", {"message_id": message_id, "offset": event.offset, "text": event.text}, end
        )
