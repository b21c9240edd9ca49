"""ASGI middleware: allowed hosts, security headers, text the databases cannot store,
the request body limit and per-route request timing."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from prometheus_client import Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnpath.api.errors import PROBLEM_JSON, problem
from learnpath.domain.text import first_unstorable

DRAIN_FACTOR = 16


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` (a body already read) first, then waits
    on the client as ``receive`` does (for its disconnect)."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def read_body(receive: Receive, limit: int | None = None) -> tuple[list[Message], bytes]:
    """Receive a request's body: its messages (to replay with ``replaying``) and its bytes.

    Reads up to the last body message or a disconnect, or stops at the first message
    that takes the body past ``limit`` bytes (the caller sees ``len(body) > limit``).
    """
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            break
        if not message.get("more_body", False):
            break
    return messages, b"".join(chunks)


class HttpMiddleware:
    """An ASGI middleware that handles HTTP requests; anything else (lifespan) passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the app has no websockets; lifespan has no Host
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class BodyLimit(HttpMiddleware):
    """Refuse request bodies over ``max_bytes`` with 413, counting the bytes actually sent.

    A declared ``Content-Length`` over the limit is refused before anything is read;
    otherwise the body is read (up to the limit) before the app runs, so a chunked body
    without ``Content-Length`` cannot get past it either. Later ``receive`` calls (an SSE
    stream waiting for the client to go away) reach the server unchanged.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, page: PageRefusal | None = None) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.page = page

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._drain(receive, declared)
                    await self._refuse(scope, receive, send)
                    return
        buffered, body = await read_body(receive, self.max_bytes)
        if len(body) > self.max_bytes:
            if buffered[-1].get("more_body", False):
                await self._drain(receive, None)
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, replaying(buffered, receive), send)

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

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.page is not None and not is_api_path(scope.get("path", "")):
            await _refuse(scope, receive, send, self.page, 413, "payload_too_large", "")
            return
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


class RequestTiming(HttpMiddleware):
    """Observe each request's latency by method, route template and status."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        super().__init__(app)
        self.histogram = histogram

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
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


#: Renders a refusal for a browser (the web UI's error page): request, status, reason.
PageRefusal = Callable[[Request, int, str], Awaitable[Response]]

#: Paths that answer JSON, not pages: refused with problem+json.
_API_PREFIXES = ("/api/", "/openapi.json", "/healthz", "/readyz", "/metrics", "/calendar/")

#: The web UI's own scripts and styles, and Swagger UI's (``/docs``), all from 'self'.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


def is_api_path(path: str) -> bool:
    return path.startswith(_API_PREFIXES)


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    page: PageRefusal | None,
    status: int,
    code: str,
    detail: str,
    *,
    page_key: str | None = None,
    **extra: Any,
) -> None:
    """Answer problem+json on API paths, the web UI's error page (``page_key``) elsewhere."""
    if page is not None and not is_api_path(scope.get("path", "")):
        app = scope.get("app")
        if app is not None and "router" not in scope:
            scope = {**scope, "router": app.router}
        response = await page(Request(scope, receive), status, page_key or code)
    else:
        response = problem(status, code, detail, **extra)
    await response(scope, receive, send)


def host_name(value: str) -> str:
    """The name of a ``Host`` header without its port, lower case (``[::1]`` keeps brackets)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HostCheck(HttpMiddleware):
    """Refuse a request whose ``Host`` is not allowed, before any route runs (400).

    A page on another site can make the browser send requests to a local server under
    the attacker's own name (DNS rebinding); checking the name the browser used stops it.
    """

    def __init__(self, app: ASGIApp, allowed: Iterable[str], page: PageRefusal | None) -> None:
        super().__init__(app)
        self.allowed = frozenset(allowed)
        self.page = page

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = host_name(Headers(scope=scope).get("host", ""))
        if "*" in self.allowed or name in self.allowed:
            await self.app(scope, receive, send)
            return
        shown = name[:80] or "(none)"
        await _refuse(
            scope,
            receive,
            send,
            self.page,
            400,
            "host_not_allowed",
            f"the Host header {shown!r} is not one this server answers to; add it to "
            "LEARNPATH_ALLOWED_HOSTS (with LEARNPATH_AUTH=none only localhost, 127.0.0.1 "
            "and [::1] are allowed)",
        )


class SecurityHeaders(HttpMiddleware):
    """Add the browser protections: a 'self'-only policy on pages, nosniff everywhere."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                kind = headers.get("content-type", "")
                added = _PAGE_HEADERS if kind.startswith(("text/html", "image/svg")) else {}
                for name, value in added.items():
                    headers.setdefault(name, value)
                headers.setdefault("x-content-type-options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _error(loc: list[str], message: str) -> dict[str, Any]:
    return {"loc": loc, "message": message, "type": "value_error"}


class TextGuard(HttpMiddleware):
    """Refuse text PostgreSQL and SQLite cannot store, wherever a request carries it.

    NUL characters and lone surrogates in the path, the query, a JSON body or a form are
    refused (422 ``validation_error`` on the API, the error page on the web) before any route
    runs, so nothing downstream has to guard every field. A JSON body whose numbers are
    too long to read is refused the same way (``validation_error``).
    """

    def __init__(self, app: ASGIApp, page: PageRefusal | None) -> None:
        super().__init__(app)
        self.page = page

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = first_unstorable(scope.get("path", ""), "path")
        if found is None:
            query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
            if b"\x00" in query:
                found = ("query", "contains a NUL character")
        body = b""
        buffered: list[Message] = []
        kind = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        # The framework reads a body without a content type, or any ``…+json``, as JSON too.
        is_json = kind in ("", "application/json") or kind.endswith("+json")
        forms = ("application/x-www-form-urlencoded", "multipart/form-data")
        checks_body = is_json or kind in forms
        if found is None and checks_body and scope.get("method") in ("POST", "PUT", "PATCH"):
            buffered, body = await read_body(receive)
            if is_json:
                try:
                    found = first_unstorable(json.loads(body), "body") if body else None
                except ValueError as exc:
                    if "integer string conversion" in str(exc):
                        reason = "a number has too many digits"
                        await self._invalid(scope, receive, send, "body", reason, f"body: {reason}")
                        return
            elif kind == "multipart/form-data":
                # No route takes a file: a NUL byte can only be in a text field.
                if b"\x00" in body:
                    found = ("form", "contains a NUL character")
            else:
                pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
                if any("\x00" in key or "\x00" in value for key, value in pairs):
                    found = ("form", "contains a NUL character")
        if found is not None:
            where, reason = found
            detail = f"{where}: {reason}; remove it and send the request again"
            await self._invalid(scope, receive, send, where, reason, detail, "invalid_text")
            return

        await self.app(scope, replaying(buffered, receive), send)

    async def _invalid(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        where: str,
        reason: str,
        detail: str,
        page_key: str | None = None,
    ) -> None:
        """Refuse with 422 ``validation_error``: ``reason`` about the field at ``where``."""
        errors = [_error(where.split("."), reason)]
        await _refuse(
            scope,
            receive,
            send,
            self.page,
            422,
            "validation_error",
            detail,
            page_key=page_key,
            errors=errors,
        )
