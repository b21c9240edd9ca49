"""A loopback fake web server: some paths answer 200, some 404, some are too slow.

Paths: ``/ok/...`` → 200, ``/missing/...`` → 404, ``/slow/...`` → 200 after ``slow_seconds``,
``/nohead/...`` → 405 to HEAD and 200 to GET, ``/moved/...`` → 301. Every request is logged
as ``(method, path)``.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class FakeWebServer:
    def __init__(self, *, slow_seconds: float = 2.0) -> None:
        self.slow_seconds = slow_seconds
        self.log: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(state: FakeWebServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, method: str) -> None:
            with state.lock:
                state.log.append((method, self.path))
                state.in_flight += 1
                state.peak = max(state.peak, state.in_flight)
            try:
                status = 200
                if self.path.startswith("/missing/"):
                    status = 404
                elif self.path.startswith("/slow/"):
                    time.sleep(state.slow_seconds)
                elif self.path.startswith("/nohead/") and method == "HEAD":
                    status = 405
                elif self.path.startswith("/moved/"):
                    status = 301
                body = b"<html><body>page</body></html>"
                self.send_response(status)
                if status == 301:
                    self.send_header("Location", "/ok/target")
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if method == "GET":
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with state.lock:
                    state.in_flight -= 1

        def do_HEAD(self) -> None:
            self._answer("HEAD")

        def do_GET(self) -> None:
            self._answer("GET")

    return Handler
