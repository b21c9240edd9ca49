"""Keep-alives around a quiet stream: sent while it waits, without disturbing its wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from learnpath.sse import KEEPALIVE, frame, with_keepalives


class Quiet:
    """Content that waits for ``go`` between two chunks and notes how it ended."""

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.waits = 0
        self.ended = ""

    async def chunks(self) -> AsyncIterator[str]:
        try:
            for chunk in ("first", "second"):
                self.waits += 1
                await self.go.wait()
                self.go.clear()
                yield chunk
            self.ended = "done"
        except asyncio.CancelledError:
            self.ended = "cancelled"
            raise
        finally:
            self.ended = self.ended or "closed"


async def test_keepalives_fill_the_wait_and_the_content_goes_on_undisturbed() -> None:
    quiet = Quiet()
    stream = with_keepalives(quiet.chunks(), 0.01)
    assert [await anext(stream), await anext(stream)] == [KEEPALIVE, KEEPALIVE]
    quiet.go.set()
    received = [chunk async for chunk in _until(stream, "first")]
    assert received[-1] == "first" and set(received[:-1]) <= {KEEPALIVE}
    quiet.go.set()
    assert [chunk async for chunk in stream if chunk != KEEPALIVE] == ["second"]
    assert (quiet.waits, quiet.ended) == (2, "done")


async def test_closing_during_a_wait_ends_the_content() -> None:
    quiet = Quiet()
    stream = with_keepalives(quiet.chunks(), 0.01)
    assert await anext(stream) == KEEPALIVE
    await stream.aclose()
    assert quiet.ended == "cancelled"


async def test_closing_between_chunks_closes_the_content() -> None:
    quiet = Quiet()
    quiet.go.set()
    stream = with_keepalives(quiet.chunks(), 60)
    assert await anext(stream) == "first"
    await stream.aclose()
    assert quiet.ended == "closed"


def test_an_event_is_framed_with_its_id_and_compact_json() -> None:
    assert frame("end", {"status": "completed"}, 7) == (
        'id: 7\nevent: end\ndata: {"status":"completed"}\n\n'
    )
    assert frame("done", {"text": "学"}) == 'event: done\ndata: {"text":"学"}\n\n'


async def _until(stream: AsyncIterator[str], last: str) -> AsyncIterator[str]:
    async for chunk in stream:
        yield chunk
        if chunk == last:
            return
