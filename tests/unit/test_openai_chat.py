"""``LeanOpenAI`` sends the request ``AsyncOpenAI`` sends, and reads the answer alike.

Both clients talk to a transport that records each request and answers from a script; for
every argument set the method, URL, headers and body must be equal: the body's bytes, but
for the order of its top-level fields, which follows the call's arguments where the SDK has
an order of its own (JSON objects are unordered; every nested object keeps its order, so
each message and tool is byte for byte the SDK's). The argument sets are
what pydantic-ai's chat model sends (tools, strict schemas, a response format, extra
headers, body and query, a timeout) and what must fall back to the SDK's own ``create``
(a stream, a pydantic model, a tuple, a nested ``omit``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pydantic
import pytest
from openai import AsyncOpenAI, RateLimitError, omit

from learnpath.llm.openai_chat import LeanCompletions, LeanOpenAI, is_plain_json

ANSWER = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "final_result", "arguments": '{"a": "é"}'},
                    }
                ],
            },
        }
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
}
STREAM = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}\n\ndata: [DONE]\n\n'

TOOL = {
    "type": "function",
    "function": {
        "name": "final_result",
        "description": "The answer",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "string"}, "n": {"type": ["integer", "null"]}},
            "required": ["a", "n"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
MESSAGES = [
    {"role": "system", "content": "Write in English. Ünïcode — ✓"},
    {"role": "user", "content": "Task.\n\n<context>{}</context>"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "final_result", "arguments": "{}"},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "1 validation error\n  a: missing"},
]


class Recorder:
    """A transport that records requests and answers with ``answer``."""

    def __init__(self, answer: httpx.Response | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answer is not None:
            return self.answer
        if json.loads(request.content).get("stream"):
            return httpx.Response(
                200, content=STREAM, headers={"content-type": "text/event-stream"}
            )
        return httpx.Response(200, json=ANSWER)

    def client(self, kind: type[AsyncOpenAI]) -> AsyncOpenAI:
        return kind(
            base_url="http://model.invalid/v1",
            api_key="secret-key",
            max_retries=0,
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(self.handle)),
        )


def described(request: httpx.Request) -> tuple[str, str, dict[str, str], list[tuple[str, str]]]:
    """The request, its body as its top-level fields, each serialized as sent."""
    body = json.loads(request.content)
    fields = sorted(
        (key, json.dumps(value, ensure_ascii=False, separators=(",", ":")))
        for key, value in body.items()
    )
    separators = len(body) - 1 + 2  # commas between the fields, and the braces
    assert len(request.content) == separators + sum(
        len(json.dumps(key, ensure_ascii=False).encode()) + 1 + len(value.encode())
        for key, value in fields
    ), "the body is not compact JSON of these fields"
    return request.method, str(request.url), dict(request.headers), fields


class Answer(pydantic.BaseModel):
    a: str


def _arguments() -> dict[str, dict[str, Any]]:
    base: dict[str, Any] = {"model": "m", "messages": MESSAGES}
    return {
        "minimal": base,
        "pydantic-ai-tool": {
            **base,
            "tools": [TOOL],
            "tool_choice": "required",
            "parallel_tool_calls": omit,
            "stream": False,
            "stream_options": omit,
            "max_completion_tokens": 512,
            "temperature": 0.2,
            "seed": omit,
            "timeout": 30.0,
            "extra_headers": {"User-Agent": "pydantic-ai/x", "X-Trace": "1"},
        },
        "native": {
            **base,
            "stream": False,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": TOOL["function"]["parameters"]},
            },
            "extra_body": {"top_k": 5},
            "extra_query": {"api-version": "2024-06-01"},
        },
        "none-values": {**base, "stop": None, "user": "learner", "max_tokens": None},
        "stream": {**base, "stream": True},
        "pydantic-model": {**base, "metadata": Answer(a="x")},
        "tuple": {**base, "stop": ("a", "b")},
        "nested-omit": {
            **base,
            "tools": [{**TOOL, "function": {**TOOL["function"], "strict": omit}}],
        },
    }


ARGUMENTS = _arguments()


@pytest.mark.parametrize("case", sorted(ARGUMENTS))
async def test_the_lean_client_sends_what_the_sdk_sends(case: str) -> None:
    lean, sdk = Recorder(), Recorder()
    mine = await lean.client(LeanOpenAI).chat.completions.create(**ARGUMENTS[case])
    theirs = await sdk.client(AsyncOpenAI).chat.completions.create(**ARGUMENTS[case])
    assert len(lean.requests) == len(sdk.requests) == 1
    assert described(lean.requests[0]) == described(sdk.requests[0])
    assert lean.requests[0].extensions.get("timeout") == sdk.requests[0].extensions.get("timeout")
    if ARGUMENTS[case].get("stream"):
        assert [c async for c in mine] == [c async for c in theirs]
    else:
        assert mine == theirs
        assert mine.choices[0].message.tool_calls[0].function.arguments == '{"a": "é"}'


async def test_plain_bodies_skip_the_transform_and_the_rest_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fast path is taken exactly for plain, non-streaming bodies."""
    import openai.resources.chat.completions.completions as sdk_completions

    transformed: list[object] = []
    real = sdk_completions.async_maybe_transform

    async def counting(data: object, expected: Any) -> object:
        transformed.append(data)
        return await real(data, expected)

    monkeypatch.setattr(sdk_completions, "async_maybe_transform", counting)
    client = Recorder().client(LeanOpenAI)
    took_sdk_path = {}
    for case, arguments in sorted(ARGUMENTS.items()):
        before = len(transformed)
        result = await client.chat.completions.create(**arguments)
        if arguments.get("stream"):
            _ = [c async for c in result]
        took_sdk_path[case] = len(transformed) > before
    assert took_sdk_path == {
        "minimal": False,
        "pydantic-ai-tool": False,
        "native": False,
        "none-values": False,
        "stream": True,
        "pydantic-model": True,
        "tuple": True,
        "nested-omit": True,
    }


async def test_an_error_status_raises_the_sdks_error_as_it_would() -> None:
    limited = httpx.Response(
        429, json={"error": {"message": "slow down"}}, headers={"retry-after": "3"}
    )
    lean, sdk = Recorder(limited), Recorder(limited)
    errors = []
    for recorder, kind in ((lean, LeanOpenAI), (sdk, AsyncOpenAI)):
        with pytest.raises(RateLimitError) as caught:
            await recorder.client(kind).chat.completions.create(**ARGUMENTS["minimal"])
        errors.append(caught.value)
    mine, theirs = errors
    assert (mine.status_code, mine.body, mine.response.headers["retry-after"]) == (
        theirs.status_code,
        theirs.body,
        "3",
    )


async def test_copies_with_other_options_keep_the_lean_completions() -> None:
    """pydantic-ai sends a request that sets ``max_retries`` through ``with_options``."""
    client = Recorder().client(LeanOpenAI)
    copy = client.with_options(max_retries=0)
    assert isinstance(copy, LeanOpenAI)
    assert isinstance(copy.chat.completions, LeanCompletions)


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ({"a": [1, 2.5, True, None, "x", {"b": []}]}, True),
        ([], True),
        ("text", True),
        ({"a": (1, 2)}, False),
        ({1: "non-string key"}, False),
        ({"a": omit}, False),
        ({"a": Answer(a="x")}, False),
        ({"a": b"bytes"}, False),
        ({"a": {"b": {1, 2}}}, False),
    ],
)
def test_plain_json_is_only_jsons_own_types(value: object, plain: bool) -> None:
    assert is_plain_json(value) is plain
