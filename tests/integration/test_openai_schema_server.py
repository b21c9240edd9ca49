"""The schema-only OpenAI fake, driven by the real ``openai`` client."""

from __future__ import annotations

import json

import jsonschema_rs
import openai
import pytest
from openai import OpenAI

from tests.fakes.openai_schema_server import SchemaOnlyOpenAI

PARAMS = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 3},
        "tags": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[a-z]{2,5}-\\d{2}$"},
            "minItems": 1,
        },
        "level": {"enum": ["low", "high"]},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
    },
    "required": ["title", "tags", "level"],
    "additionalProperties": False,
}
TOOLS = [
    {
        "type": "function",
        "function": {"name": "other", "parameters": {"type": "object", "properties": {}}},
    },
    {
        "type": "function",
        "function": {"name": "make", "description": "d", "parameters": PARAMS, "strict": True},
    },
]


def client(fake: SchemaOnlyOpenAI) -> OpenAI:
    return OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)


def test_named_tool_call_is_valid_and_parsed() -> None:
    with SchemaOnlyOpenAI(mode="all", seed=1) as fake:
        reply = client(fake).chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            tools=TOOLS,  # type: ignore[arg-type]
            tool_choice={"type": "function", "function": {"name": "make"}},
        )
        choice = reply.choices[0]
        assert choice.finish_reason == "tool_calls"
        call = choice.message.tool_calls[0]  # type: ignore[index]
        assert call.function.name == "make"  # type: ignore[union-attr]
        args = json.loads(call.function.arguments)  # type: ignore[union-attr]
        jsonschema_rs.validator_for(PARAMS, validate_formats=True).validate(args)
        assert set(args) == set(PARAMS["properties"])  # type: ignore[arg-type]
        assert fake.tool_calls == ["make"]
        assert reply.usage is not None and reply.usage.total_tokens > 0


def test_response_format_json_schema_and_plain_text_and_models() -> None:
    with SchemaOnlyOpenAI(seed=2) as fake:
        c = client(fake)
        reply = c.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "x", "schema": PARAMS, "strict": True},
            },
        )
        content = json.loads(reply.choices[0].message.content or "")
        jsonschema_rs.validator_for(PARAMS).validate(content)
        assert set(content) == {"title", "tags", "level"}
        text = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert text.choices[0].finish_reason == "stop" and text.choices[0].message.content
        assert [m.id for m in c.models.list()] == ["gpt-4o-mini"]


def test_streaming_tool_call() -> None:
    with SchemaOnlyOpenAI(seed=3) as fake:
        chunks = list(
            client(fake).chat.completions.create(
                model="m",
                messages=[{"role": "user", "content": "hi"}],
                tools=TOOLS,
                stream=True,  # type: ignore[arg-type]
            )
        )
        assert chunks[0].choices[0].delta.tool_calls[0].function.name == "other"  # type: ignore[index,union-attr]
        assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_fault_injection_is_seeded_and_roughly_honoured() -> None:
    def run() -> tuple[int, int, int]:
        with SchemaOnlyOpenAI(error_rate_429=0.2, error_rate_500=0.1, seed=7) as fake:
            c = client(fake)
            ok = 0
            for _ in range(200):
                try:
                    c.chat.completions.create(
                        model="m", messages=[{"role": "user", "content": "hi"}]
                    )
                    ok += 1
                except (openai.RateLimitError, openai.InternalServerError):
                    pass
            assert ok == fake.status_counts[200]
            return ok, fake.errors_429, fake.errors_500

    first = run()
    assert first == run()
    assert first == (138, 42, 20)  # exact for seed 7: ~20% 429s, ~10% 500s of 200


def test_rate_limit_admits_r_requests_per_window_and_says_when_to_come_back() -> None:
    with SchemaOnlyOpenAI(rate_limit=(2, 30.0)) as fake:
        c = client(fake)
        for _ in range(2):
            c.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        waits = []
        for _ in range(3):
            with pytest.raises(openai.RateLimitError) as info:
                c.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
            assert info.value.code == "rate_limit_exceeded"
            headers = info.value.response.headers
            waits.append(int(headers["retry-after-ms"]))
            assert int(headers["retry-after"]) == -(-waits[-1] // 1000)
        assert 0 < waits[-1] <= waits[0] <= 30_000  # refusals take no place in the window
        assert fake.status_counts == {200: 2, 429: 3}


def test_bad_requests_get_documented_error_body() -> None:
    with SchemaOnlyOpenAI() as fake:
        with pytest.raises(openai.BadRequestError) as info:
            client(fake).chat.completions.create(model="m", messages=[])
        assert info.value.body["param"] == "messages"  # type: ignore[index]
        assert fake.status_counts[400] == 1
