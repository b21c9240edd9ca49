"""A loopback fake of the OpenAI Chat Completions API, built only from its documented shapes.

It is deliberately independent of the code under test: it never imports the project. It reads
the documented request fields of ``POST /v1/chat/completions`` (``model``, ``messages``,
``tools`` of ``type: "function"`` with ``function.name``/``parameters``, ``tool_choice`` as
``"auto"``/``"required"``/``"none"``/``{"type": "function", "function": {"name": ...}}``,
``response_format`` as ``json_schema`` or ``json_object``, ``stream``) and answers with the
documented ``chat.completion`` object. Answers:

* tools given and ``tool_choice`` is not ``"none"`` → one tool call (the named tool, else the
  first) whose ``arguments`` JSON string is generated from that tool's ``parameters`` schema;
* else ``response_format`` ``json_schema`` → ``content`` is JSON generated from
  ``json_schema.schema`` (the documented structured-output shape; ``strict`` is accepted);
* else ``json_object`` → a small JSON object; else a short plain text.

With ``tools_supported=False`` it plays a server without tool calling, as some local
OpenAI-compatible servers are: a request carrying ``tools`` is answered 400.

Errors use the documented body ``{"error": {"message", "type", "param", "code"}}``: injected
429s (with ``retry-after: 0``) and 500s at seeded rates, 400 for malformed requests, 404 for
unknown paths. ``rate_limit=(R, seconds)`` plays a request rate limit: at most ``R`` requests
are admitted in any ``seconds`` (a sliding window), and one beyond it is answered 429
``rate_limit_exceeded`` with the wait until a place frees, as ``retry-after`` (whole seconds,
rounded up) and ``retry-after-ms``; refused requests take no place. ``stream: true`` is answered with a minimal server-sent-event stream of
``chat.completion.chunk`` objects ending in ``data: [DONE]`` (or 400 with ``allow_stream=False``).
``GET /v1/models`` lists ``model_ids``.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from tests.fakes.json_schema_values import JsonSchemaValues, Mode, SchemaValueError


class SchemaOnlyOpenAI:
    """Context manager: ``with SchemaOnlyOpenAI() as fake: OpenAI(base_url=fake.base_url, ...)``.

    Attributes for assertions: ``requests`` (every chat-completion JSON body received, errors
    included), ``status_counts`` (``Counter`` of answered HTTP statuses), ``tool_calls`` (names
    of the tools the fake called, in order), ``schema_answers`` (names of the
    ``response_format`` JSON schemas it answered, in order), ``headers`` (request headers).
    """

    def __init__(
        self,
        mode: Mode = "required",
        *,
        error_rate_429: float = 0.0,
        error_rate_500: float = 0.0,
        seed: int = 0,
        model_ids: tuple[str, ...] = ("gpt-4o-mini",),
        api_key: str | None = None,
        allow_stream: bool = True,
        tools_supported: bool = True,
        rate_limit: tuple[int, float] | None = None,
    ) -> None:
        if error_rate_429 < 0 or error_rate_500 < 0 or error_rate_429 + error_rate_500 > 1:
            raise ValueError("error rates must be >= 0 and sum to at most 1")
        self.mode: Mode = mode
        self.error_rate_429 = error_rate_429
        self.error_rate_500 = error_rate_500
        self.seed = seed
        self.model_ids = model_ids
        self.api_key = api_key
        self.allow_stream = allow_stream
        self.tools_supported = tools_supported
        if rate_limit is not None and (rate_limit[0] < 1 or rate_limit[1] <= 0):
            raise ValueError("a rate limit needs at least one request per positive window")
        self.rate_limit = rate_limit
        self._admitted: deque[float] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.status_counts: Counter[int] = Counter()
        self.tool_calls: list[str] = []
        self.schema_answers: list[str] = []
        self.lock = threading.Lock()
        self._faults = random.Random(f"faults:{seed}")
        self._values = JsonSchemaValues(mode=mode, seed=seed)
        self._answers = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` — pass as the OpenAI client's ``base_url``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def errors_429(self) -> int:
        return self.status_counts[429]

    @property
    def errors_500(self) -> int:
        return self.status_counts[500]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- answering (called under self.lock) ----------------------------------------------------

    def rate_limit_wait(self, now: float) -> float | None:
        """None when the rate limit (if any) admits a request at ``now``, else the wait."""
        if self.rate_limit is None:
            return None
        requests, window = self.rate_limit
        while self._admitted and self._admitted[0] <= now - window:
            self._admitted.popleft()
        if len(self._admitted) < requests:
            self._admitted.append(now)
            return None
        return self._admitted[0] + window - now

    def draw_fault(self) -> int | None:
        r = self._faults.random()
        if r < self.error_rate_429:
            return 429
        if r < self.error_rate_429 + self.error_rate_500:
            return 500
        return None

    def answer(self, body: dict[str, Any]) -> tuple[dict[str, Any], str | None, str]:
        """``(message, tool_name or None, finish_reason)`` for a validated request body."""
        self._answers += 1
        tools = [t for t in body.get("tools") or [] if t.get("type") == "function"]
        choice = body.get("tool_choice", "auto" if tools else "none")
        if tools and choice != "none":
            tool = tools[0]
            if isinstance(choice, dict):
                name = (choice.get("function") or {}).get("name")
                tool = next(t for t in tools if t["function"]["name"] == name)
            fn = tool["function"]
            params = fn.get("parameters") or {"type": "object", "properties": {}}
            args = self._values.generate(params)
            self.tool_calls.append(fn["name"])
            call = {
                "id": f"call_fake{self._answers}",
                "type": "function",
                "function": {"name": fn["name"], "arguments": json.dumps(args)},
            }
            message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]}
            return message, fn["name"], "tool_calls"
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            spec = fmt["json_schema"]
            content = json.dumps(
                self._values.generate(spec.get("schema") or {"type": "object", "properties": {}})
            )
            self.schema_answers.append(spec["name"])
        elif fmt.get("type") == "json_object":
            content = json.dumps({"answer": self._values.next_text("answer")})
        else:
            content = f"This is fake reply {self._answers}."
        return {"role": "assistant", "content": content, "refusal": None}, None, "stop"


def _invalid(body: Any) -> tuple[str, str | None] | None:
    """The documented-request checks: ``(message, param)`` of the first problem, if any."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object.", None
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter", "model"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array", "messages"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "role" not in m:
            return f"Invalid message at index {i}: missing 'role'", f"messages[{i}]"
    tools = body.get("tools") or []
    names: list[str] = []
    for i, t in enumerate(tools):
        fn = t.get("function") if isinstance(t, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            return f"Missing required parameter: 'tools[{i}].function.name'.", f"tools[{i}]"
        params = fn.get("parameters")
        if params is not None and not isinstance(params, dict):
            return "function.parameters must be a JSON schema object", f"tools[{i}]"
        names.append(fn["name"])
    choice = body.get("tool_choice")
    if choice is not None:
        if isinstance(choice, str):
            if choice not in ("auto", "none", "required"):
                return f"Invalid value for 'tool_choice': {choice!r}", "tool_choice"
            if choice == "required" and not names:
                return "tool_choice 'required' needs tools", "tool_choice"
        else:
            name = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
            if name not in names:
                return f"Tool choice names an unknown function {name!r}", "tool_choice"
    fmt = body.get("response_format")
    if fmt is not None:
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        if kind not in ("text", "json_object", "json_schema"):
            return f"Invalid response_format type {kind!r}", "response_format"
        if kind == "json_schema":
            js = fmt.get("json_schema")
            if not isinstance(js, dict) or not isinstance(js.get("name"), str):
                return (
                    "Missing required parameter: 'response_format.json_schema.name'",
                    "response_format",
                )
            if not isinstance(js.get("schema", {}), dict):
                return "response_format.json_schema.schema must be an object", "response_format"
    return None


def _usage(body: dict[str, Any], output: str) -> dict[str, int]:
    prompt = max(1, len(json.dumps(body.get("messages", []))) // 4)
    completion = max(1, len(output) // 4)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _error(
    message: str, kind: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _handler(state: SchemaOnlyOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(
            self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            with state.lock:
                state.status_counts[status] += 1
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if (
                state.api_key is None
                or self.headers.get("Authorization") == f"Bearer {state.api_key}"
            ):
                return True
            self._send(
                401,
                _error(
                    "Incorrect API key provided.", "invalid_request_error", None, "invalid_api_key"
                ),
            )
            return False

        def do_GET(self) -> None:
            path = self.path.split("?")[0].rstrip("/")
            if not self._authorised():
                return
            models = [
                {"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"}
                for m in state.model_ids
            ]
            if path in ("/v1/models", "/models"):
                self._send(200, {"object": "list", "data": models})
                return
            for m in models:
                if path in (f"/v1/models/{m['id']}", f"/models/{m['id']}"):
                    self._send(200, m)
                    return
            self._send(
                404,
                _error(
                    f"Unknown request URL: GET {path}", "invalid_request_error", None, "unknown_url"
                ),
            )

        def do_POST(self) -> None:
            path = self.path.split("?")[0].rstrip("/")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if path not in ("/v1/chat/completions", "/chat/completions"):
                self._send(
                    404,
                    _error(
                        f"Unknown request URL: POST {path}",
                        "invalid_request_error",
                        None,
                        "unknown_url",
                    ),
                )
                return
            try:
                body: Any = json.loads(raw or b"null")
            except ValueError:
                self._send(
                    400,
                    _error(
                        "We could not parse the JSON body of your request.", "invalid_request_error"
                    ),
                )
                return
            with state.lock:
                state.requests.append(body if isinstance(body, dict) else {"_raw": body})
                state.headers.append(dict(self.headers.items()))
            if not self._authorised():
                return
            problem = _invalid(body)
            if problem is None and body.get("tools") and not state.tools_supported:
                problem = ("This model does not support tools.", "tools")
            if problem is not None:
                self._send(400, _error(problem[0], "invalid_request_error", problem[1]))
                return
            stream = bool(body.get("stream"))
            if stream and not state.allow_stream:
                self._send(
                    400,
                    _error(
                        "Streaming is not supported by this fake.",
                        "invalid_request_error",
                        "stream",
                    ),
                )
                return
            with state.lock:
                wait = state.rate_limit_wait(time.monotonic())
            if wait is not None:
                self._send(
                    429,
                    _error(
                        "Rate limit reached for requests.", "requests", None, "rate_limit_exceeded"
                    ),
                    {
                        "retry-after": str(max(1, math.ceil(wait))),
                        "retry-after-ms": str(max(1, math.ceil(wait * 1000))),
                    },
                )
                return
            with state.lock:
                fault = state.draw_fault()
                if fault is None:
                    try:
                        message, _tool, finish = state.answer(body)
                    except SchemaValueError as e:
                        problem_text = f"Invalid schema: {e}"
                        message = {}
                        finish = ""
                    else:
                        problem_text = ""
                    number = state._answers
            if fault == 429:
                self._send(
                    429,
                    _error(
                        "Rate limit reached for requests (fake).",
                        "requests",
                        None,
                        "rate_limit_exceeded",
                    ),
                    {"retry-after": "0"},
                )
                return
            if fault == 500:
                self._send(
                    500,
                    _error(
                        "The server had an error while processing your request.", "server_error"
                    ),
                )
                return
            if problem_text:
                self._send(400, _error(problem_text, "invalid_request_error", "response_format"))
                return
            output = (
                json.dumps(message.get("tool_calls"))
                if message.get("tool_calls")
                else str(message.get("content"))
            )
            completion: dict[str, Any] = {
                "id": f"chatcmpl-fake{number}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "system_fingerprint": "fp_fake",
                "choices": [
                    {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
                ],
                "usage": _usage(body, output),
            }
            if stream:
                self._stream(completion, body)
            else:
                self._send(200, completion)

        def _stream(self, completion: dict[str, Any], body: dict[str, Any]) -> None:
            with state.lock:
                state.status_counts[200] += 1
            message = completion["choices"][0]["message"]
            delta: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
            if message.get("tool_calls"):
                delta["tool_calls"] = [{"index": 0, **c} for c in message["tool_calls"]]
            base = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint")}
            chunks: list[dict[str, Any]] = [
                {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                },
                {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [
                        {
                            "index": 0,
                            "delta": {},
                            "finish_reason": completion["choices"][0]["finish_reason"],
                        }
                    ],
                },
            ]
            if (body.get("stream_options") or {}).get("include_usage"):
                chunks.append(
                    {
                        **base,
                        "object": "chat.completion.chunk",
                        "choices": [],
                        "usage": completion["usage"],
                    }
                )
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.close_connection = True

    return Handler
