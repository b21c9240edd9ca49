"""A loopback fake search server, shaped like SearXNG's JSON API and Tavily's search API.

``GET /search?q=...&format=json`` answers like SearXNG (``{"results": [{url, title,
content}]}``); ``POST /search`` with a JSON body answers like Tavily (same result fields,
bearer key checked). ``results`` is what every search returns; ``status`` forces an error;
``requests`` logs ``(method, query)``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


class FakeSearchServer:
    def __init__(self, results: list[dict[str, Any]], *, api_key: str = "tvly-test") -> None:
        self.results = results
        self.api_key = api_key
        self.status = 200
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(state: FakeSearchServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            state.requests.append(("GET", query.get("q", [""])[0]))
            if parts.path != "/search" or query.get("format") != ["json"]:
                self._send(403, {"error": "format not allowed"})
                return
            if state.status != 200:
                self._send(state.status, {"error": "forced"})
                return
            self._send(200, {"query": query["q"][0], "results": state.results})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            state.bodies.append(body)
            state.requests.append(("POST", str(body.get("query", ""))))
            if self.headers.get("Authorization") != f"Bearer {state.api_key}":
                self._send(401, {"detail": {"error": "Unauthorized: missing or invalid API key."}})
                return
            if state.status != 200:
                self._send(state.status, {"detail": {"error": "forced"}})
                return
            limit = int(body.get("max_results", 5))
            self._send(
                200,
                {
                    "query": body.get("query"),
                    "results": [{**r, "score": 0.9} for r in state.results[:limit]],
                    "response_time": 0.01,
                },
            )

    return Handler
