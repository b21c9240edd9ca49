"""Repeat a request that met a dropped database connection, before the client sees it.

When PostgreSQL terminates a backend (``pg_terminate_backend``, a failover, a restart)
the statement running on it fails, and the request answers 503 ``database_unavailable``.
The connection pool replaces the dead connection at once, so the same request a moment
later nearly always succeeds. This middleware makes that moment happen on the server:
a 503 that carries ``Retry-After`` (the database outage answer of the API and of the
web pages) is not sent; the request runs again after a short pause, up to
``ATTEMPTS`` times. Only the last answer reaches the client, so a real outage is still
a 503 with ``Retry-After``.

Only requests that are safe to repeat are repeated: ``GET``/``HEAD``/``OPTIONS``, and
any request that carries an ``Idempotency-Key`` (the store answers a repeated key with
the first result). Streams are never repeated once they started: a response that began
with any other status is passed through as it comes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnpath.api.middleware import replaying

ATTEMPTS = 3
#: Seconds before attempt 2, 3, …: long enough for the pool to reconnect.
PAUSES = (0.2, 0.6)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Readiness must report the outage as it is, not hide it.
NEVER_REPEATED = frozenset({"/readyz", "/healthz"})


def repeatable(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["path"] in NEVER_REPEATED:
        return False
    if scope["method"] in SAFE_METHODS:
        return True
    return any(name.lower() == b"idempotency-key" for name, _ in scope.get("headers", []))


class RepeatOnDatabaseDrop:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not repeatable(scope):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1
            held = await self._attempt(scope, body, receive, send, hold_503=not last)
            if not held:
                return
            await asyncio.sleep(PAUSES[min(attempt, len(PAUSES) - 1)])

    async def _attempt(
        self, scope: Scope, body: list[Message], receive: Receive, send: Send, *, hold_503: bool
    ) -> bool:
        """Run the app once; True when it answered a database 503 that was held back."""
        held = False

        async def guarded_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and hold_503 and _is_outage(message):
                held = True
            if not held:
                await send(message)

        await self.app(scope, replaying(body, receive), guarded_send)
        return held


def _is_outage(start: Message) -> bool:
    headers: Any = start.get("headers", [])
    return start["status"] == 503 and any(name.lower() == b"retry-after" for name, _ in headers)


async def _read_body(receive: Receive) -> list[Message]:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages
