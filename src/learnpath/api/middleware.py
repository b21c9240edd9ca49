"""ASGI middleware: the request body limit and per-route request timing."""

from __future__ import annotations

import json
import time

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnpath.api.errors import PROBLEM_JSON

DRAIN_FACTOR = 16


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, counting the bytes actually sent.

    A declared ``Content-Length`` over the limit is refused before anything is read;
    otherwise the body is read (up to the limit) before the app runs, so a chunked body
    without ``Content-Length`` cannot get past it either. Later ``receive`` calls (an SSE
    stream waiting for the client to go away) reach the server unchanged.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._drain(receive, declared)
                    await self._refuse(send)
                    return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                if message.get("more_body", False):
                    await self._drain(receive, None)
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        await self.app(scope, replay, send)

    async def _drain(self, receive: Receive, declared: int | None) -> None:
        """Read and drop a moderately oversized body, so the client can read our answer.

        A client still sending when the server closes may never see the 413; past
        ``DRAIN_FACTOR`` times the limit the connection is closed without reading on.
        """
        budget = self.max_bytes * DRAIN_FACTOR
        if declared is not None and declared > budget:
            return
        read = 0
        while read <= budget:
            message = await receive()
            if message["type"] != "http.request":
                return
            read += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": "https://learnpath.dev/problems/payload_too_large",
                "title": "Payload too large",
                "status": 413,
                "detail": f"the request body is larger than {self.max_bytes} bytes",
                "code": "payload_too_large",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RequestTiming:
    """Observe each request's latency by method, route template and status."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.histogram.labels(
                method=scope.get("method", ""),
                route=_route_template(scope),
                status=str(status),
            ).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    """The matched route's path template, with the prefix it was included under."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    regex = getattr(route, "path_regex", None)
    if not isinstance(template, str):
        return "unmatched"
    path: str = scope.get("path", "")
    if regex is None or regex.match(path):
        return template
    for index, char in enumerate(path):
        if char == "/" and index and regex.match(path[index:]):
            return path[:index] + template
    return template
