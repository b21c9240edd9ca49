"""A fake OpenAI-compatible chat completions server on loopback, for tests and benchmarks.

It is a real HTTP server (``127.0.0.1``, ephemeral port, its own thread), so the whole
client stack runs: pydantic-ai's OpenAI chat model, the OpenAI SDK and httpx. By default it
answers every agent with valid output produced by the offline model from the prompt's input
block; rules make chosen requests misbehave::

    with FakeLLMServer() as server:
        server.add_rule(Reply.error(429, retry_after=0.1), agent="intent")
        server.add_rule(Reply.invalid(), agent="tutorial", contains="REST API design")
        settings = Settings(model=server.model_setting)
        ...
        assert server.requests_by_agent["intent"] == 2

With ``rate_limit=RateLimit(requests=R, window=60.0)`` it plays a provider with a request
rate limit: a sliding window admits at most ``R`` requests in any ``window`` seconds, and a
request beyond that is answered 429 at once (before any latency) with the wait until the
oldest admitted request leaves the window, as ``Retry-After`` (whole seconds, rounded up)
and ``retry-after-ms`` (milliseconds). Refused requests do not count against the window.
``admitted_times``/``refused_times`` give the arrival times for goodput figures.

The agent of a request is found from the name of its output tool
(``learnpath.llm.offline.OUTPUT_TOOLS``). A streamed request without one is the tutor's
(``learnpath.testing.fake_stream``): it gets the offline tutor's answer, ``chunk_delay``
seconds between pieces; ``Reply.cut()`` makes it fail half-way.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

from learnpath.llm.context import extract_context
from learnpath.llm.offline import OUTPUT_TOOLS, offline_answer
from learnpath.testing.background import Background
from learnpath.testing.fake_stream import stream_text_answer

ReplyKind = Literal["valid", "invalid", "garbage", "truncated", "error", "cut"]
MODEL_NAME = "fake-model"
TUTOR = "tutor"  # the agent of streamed requests without an output tool


@dataclass(frozen=True)
class Reply:
    """What the server answers to a request a rule matches."""

    kind: ReplyKind = "valid"
    status: int = 200
    retry_after: float | None = None
    delay: float = 0.0

    @classmethod
    def valid(cls, *, delay: float = 0.0) -> Reply:
        return cls("valid", delay=delay)

    @classmethod
    def invalid(cls) -> Reply:
        """Well-formed JSON that fails the output schema (an unexpected field)."""
        return cls("invalid")

    @classmethod
    def garbage(cls) -> Reply:
        """Tool-call arguments that are not JSON at all."""
        return cls("garbage")

    @classmethod
    def truncated(cls) -> Reply:
        """Valid output cut off halfway, with ``finish_reason: length``."""
        return cls("truncated")

    @classmethod
    def error(cls, status: int, *, retry_after: float | None = None) -> Reply:
        """An HTTP error status, with a ``Retry-After`` header when given."""
        return cls("error", status=status, retry_after=retry_after)

    @classmethod
    def cut(cls) -> Reply:
        """A streamed answer that stops half-way with an error event."""
        return cls("cut")

    @classmethod
    def slow(cls, delay: float) -> Reply:
        """Valid output after ``delay`` seconds."""
        return cls("valid", delay=delay)


@dataclass
class Rule:
    """Answer requests for ``agent`` whose messages contain ``contains`` with ``reply``.

    ``times`` is how many requests the rule applies to (None: every matching request).
    """

    reply: Reply
    agent: str | None = None
    contains: str | None = None
    times: int | None = 1
    used: int = 0

    def matches(self, agent: str, text: str) -> bool:
        if self.times is not None and self.used >= self.times:
            return False
        if self.agent is not None and self.agent != agent:
            return False
        return self.contains is None or self.contains in text


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` admitted in any ``window`` seconds (a sliding window)."""

    requests: int
    window: float = 60.0

    def __post_init__(self) -> None:
        if self.requests < 1 or self.window <= 0:
            raise ValueError("a rate limit needs at least one request per positive window")

    @property
    def per_minute(self) -> float:
        return self.requests * 60.0 / self.window


@dataclass
class SlidingWindow:
    """The sliding window of one ``RateLimit``: admitted arrival times, oldest first."""

    limit: RateLimit
    recent: deque[float] = field(default_factory=deque)
    admitted: list[float] = field(default_factory=list)
    refused: list[float] = field(default_factory=list)

    def admit(self, now: float) -> float | None:
        """None when the request at ``now`` is admitted, else the seconds until it would be."""
        while self.recent and self.recent[0] <= now - self.limit.window:
            self.recent.popleft()
        if len(self.recent) < self.limit.requests:
            self.recent.append(now)
            self.admitted.append(now)
            return None
        self.refused.append(now)
        return self.recent[0] + self.limit.window - now


@dataclass
class _State:
    latency: float
    chunk_delay: float = 0.0
    window: SlidingWindow | None = None
    rules: list[Rule] = field(default_factory=list)
    by_agent: Counter[str] = field(default_factory=Counter)
    log: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    peak: int = 0

    def enter(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def admit(self, agent: str) -> float | None:
        """None when the rate limit (if any) admits the request, else the wait it asks for."""
        with self.lock:
            if self.window is None:
                return None
            wait = self.window.admit(time.monotonic())
            if wait is not None:
                self.by_agent[agent] += 1
                self.log.append((agent, "rate_limited"))
            return wait

    def choose(self, agent: str, text: str) -> Reply:
        with self.lock:
            self.by_agent[agent] += 1
            for rule in self.rules:
                if rule.matches(agent, text):
                    rule.used += 1
                    self.log.append((agent, rule.reply.kind))
                    return rule.reply
            self.log.append((agent, "valid"))
            return Reply()


class _Server(ThreadingHTTPServer):
    # A provider takes many connections at once; the default backlog of 5 would refuse
    # some of them under load, and the client's retries would count as model calls.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (a cancelled call, a worker stopping) is not an error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeLLMServer(Background):
    """The fake server; use as a context manager (or ``start()``/``stop()``). Thread-safe."""

    def __init__(self, *, latency: float = 0.0, rate_limit: RateLimit | None = None) -> None:
        self._state = _State(
            latency=latency, window=None if rate_limit is None else SlidingWindow(rate_limit)
        )
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        server = _Server(("127.0.0.1", 0), _handler_for(self._state))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-llm",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``."""
        if self._server is None:
            raise RuntimeError("the fake LLM server is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def model_setting(self) -> str:
        """A ``LEARNPATH_MODEL`` value that points at this server."""
        return f"{self.base_url}#{MODEL_NAME}"

    def add_rule(
        self,
        reply: Reply,
        *,
        agent: str | None = None,
        contains: str | None = None,
        times: int | None = 1,
    ) -> Rule:
        """Add a rule (checked in the order added; the first that matches answers)."""
        rule = Rule(reply=reply, agent=agent, contains=contains, times=times)
        with self._state.lock:
            self._state.rules.append(rule)
        return rule

    @property
    def latency(self) -> float:
        return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._state.latency = seconds

    @property
    def chunk_delay(self) -> float:
        """Seconds between the pieces of a streamed (tutor) answer."""
        return self._state.chunk_delay

    @chunk_delay.setter
    def chunk_delay(self, seconds: float) -> None:
        self._state.chunk_delay = seconds

    @property
    def requests_total(self) -> int:
        with self._state.lock:
            return sum(self._state.by_agent.values())

    @property
    def requests_by_agent(self) -> dict[str, int]:
        with self._state.lock:
            return dict(self._state.by_agent)

    @property
    def replies(self) -> list[tuple[str, str]]:
        """(agent, reply kind) of every request so far, in order."""
        with self._state.lock:
            return list(self._state.log)

    @property
    def max_concurrent(self) -> int:
        """The most requests the server was handling at the same time."""
        with self._state.lock:
            return self._state.peak

    @property
    def rate_limit(self) -> RateLimit | None:
        return None if self._state.window is None else self._state.window.limit

    @property
    def admitted_times(self) -> list[float]:
        """``time.monotonic()`` arrival times of the requests the rate limit admitted."""
        with self._state.lock:
            return [] if self._state.window is None else list(self._state.window.admitted)

    @property
    def refused_times(self) -> list[float]:
        """``time.monotonic()`` arrival times of the requests refused with 429 by the limit."""
        with self._state.lock:
            return [] if self._state.window is None else list(self._state.window.refused)

    @property
    def rate_limited_total(self) -> int:
        """How many requests the rate limit refused."""
        with self._state.lock:
            return 0 if self._state.window is None else len(self._state.window.refused)

    def reset(self) -> None:
        """Forget the rules and the counts."""
        with self._state.lock:
            self._state.rules.clear()
            self._state.by_agent.clear()
            self._state.log.clear()
            self._state.peak = 0
            if self._state.window is not None:
                self._state.window = SlidingWindow(self._state.window.limit)


def _handler_for(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: tests read the counters, not the access log."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                self._send(400, _error_body("request body is not JSON", "invalid_request_error"))
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, _error_body(f"no route {self.path}", "invalid_request_error"))
                return
            tool_name = _output_tool(body)
            if body.get("stream") and tool_name is None:
                self._stream(body)
                return
            if body.get("stream"):
                self._send(400, _error_body("streaming is not supported", "invalid_request_error"))
                return
            if tool_name is None:
                self._send(400, _error_body("no learnpath output tool", "invalid_request_error"))
                return
            agent = OUTPUT_TOOLS[tool_name]

            def respond(reply: Reply, text: str) -> None:
                try:
                    arguments, finish = _arguments(reply.kind, tool_name, text)
                    completion = _completion(body, tool_name, arguments, finish, text)
                except Exception as exc:  # a bug in the fake: answer it rather than drop the line
                    self._send(500, _error_body(f"fake server error: {exc!r}", "server_error"))
                    return
                self._send(200, completion)

            self._answer(agent, body, respond)

        def _answer(
            self, agent: str, body: dict[str, Any], respond: Callable[[Reply, str], None]
        ) -> None:
            """Answer as scripted for ``agent``: 429 when rate limited; else, after the
            latency, the scripted failure or ``respond(reply, text)``."""
            if self._refused(agent):
                return
            text = _all_text(body)
            reply = state.choose(agent, text)
            state.enter()
            try:
                time.sleep(state.latency + reply.delay)
                if reply.kind == "error":
                    headers = (
                        {}
                        if reply.retry_after is None
                        else {"Retry-After": f"{reply.retry_after:g}"}
                    )
                    self._send(
                        reply.status, _error_body("scripted failure", "server_error"), headers
                    )
                    return
                respond(reply, text)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up (a timeout test): nothing to answer
            finally:
                state.leave()

        def _refused(self, agent: str) -> bool:
            """Answer 429 when the rate limit refuses the request (True), else do nothing."""
            wait = state.admit(agent)
            if wait is None:
                return False
            headers = {
                "Retry-After": str(max(1, math.ceil(wait))),
                "retry-after-ms": str(max(1, math.ceil(wait * 1000))),
            }
            message = "Rate limit reached for requests: please try again later."
            self._send(429, _error_body(message, "requests", code="rate_limit_exceeded"), headers)
            return True

        def _stream(self, body: dict[str, Any]) -> None:
            self._answer(
                TUTOR,
                body,
                lambda reply, text: stream_text_answer(
                    self, body, text, chunk_delay=state.chunk_delay, cut=reply.kind == "cut"
                ),
            )

        def _send(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _output_tool(body: dict[str, Any]) -> str | None:
    """The name of the request's output tool (learnpath agents offer exactly one tool)."""
    for tool in body.get("tools") or []:
        name = tool.get("function", {}).get("name")
        if name in OUTPUT_TOOLS:
            return str(name)
    return None


def _all_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "\n".join(parts)


def _arguments(kind: ReplyKind, tool: str, text: str) -> tuple[str, str]:
    if kind == "invalid":
        return json.dumps({"unexpected_field": "this does not match the schema"}), "tool_calls"
    if kind == "garbage":
        return "Sure! Here is what you asked for: {not json", "tool_calls"
    answer = json.dumps(offline_answer(tool, extract_context(text) or {}), ensure_ascii=False)
    if kind == "truncated":
        return answer[: len(answer) // 2], "length"
    return answer, "tool_calls"


def _completion(
    body: dict[str, Any], tool_name: str, arguments: str, finish: str, prompt: str
) -> dict[str, Any]:
    call = {"name": tool_name, "arguments": arguments}
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "call_fake_1", "type": "function", "function": call}],
    }
    prompt_tokens, completion_tokens = max(1, len(prompt) // 4), max(1, len(arguments) // 4)
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model", MODEL_NAME)),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _error_body(message: str, kind: str, *, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code}}
