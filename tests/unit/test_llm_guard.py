"""GuardedModel: retries with back-off and Retry-After, timeout, concurrency cap, errors."""

from __future__ import annotations

import asyncio

import pydantic_ai.models
import pytest
from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.exceptions import (
    ModelAuthenticationError,
    ModelHTTPError,
    ModelRateLimitError,
    ModelServerError,
)
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from learnpath.llm.errors import ModelCallError
from learnpath.llm.guard import GuardedModel
from tests.unit.conftest_llm import RecordingSleep, guarded


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


class Answer(BaseModel):
    value: int


def failing_then_ok(errors: list[Exception]) -> tuple[FunctionModel, list[int]]:
    """A model raising ``errors`` in turn, then answering; also returns its call log."""
    calls: list[int] = []

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append(len(calls) + 1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"value": 7})])

    return FunctionModel(respond), calls


def http(
    category: type[ModelHTTPError] | type[Exception], status: int, **headers: str
) -> ModelHTTPError:
    return ModelHTTPError.for_category(
        category,  # type: ignore[arg-type]
        status_code=status,
        model_name="m",
        headers=headers or None,
    )


async def run(model: GuardedModel) -> int:
    result = await Agent(model, output_type=Answer).run("go")
    return result.output.value


async def test_429_is_retried_after_the_providers_retry_after() -> None:
    inner, calls = failing_then_ok([http(ModelRateLimitError, 429, **{"Retry-After": "3"})])
    sleep = RecordingSleep()
    assert await run(guarded(inner, sleep=sleep)) == 7
    assert len(calls) == 2
    assert sleep.delays == [3.0]


async def test_500s_back_off_exponentially() -> None:
    inner, calls = failing_then_ok([http(ModelServerError, 500), http(ModelServerError, 500)])
    sleep = RecordingSleep()
    assert await run(guarded(inner, sleep=sleep, retries=3)) == 7
    assert len(calls) == 3
    assert sleep.delays == [0.5, 1.0]


async def test_exhausted_retries_raise_model_unavailable() -> None:
    inner, calls = failing_then_ok([http(ModelServerError, 500)] * 5)
    with pytest.raises(ModelCallError) as caught:
        await run(guarded(inner, retries=2))
    assert caught.value.code == "model_unavailable"
    assert "3 attempts" in caught.value.message
    assert len(calls) == 3


async def test_rejected_credentials_are_not_retried() -> None:
    inner, calls = failing_then_ok([http(ModelAuthenticationError, 401)])
    sleep = RecordingSleep()
    with pytest.raises(ModelCallError) as caught:
        await run(guarded(inner, sleep=sleep))
    assert caught.value.code == "model_auth_failed"
    assert "LEARNPATH_MODEL_API_KEY" in caught.value.message
    assert len(calls) == 1
    assert sleep.delays == []


async def test_rate_limit_that_never_clears_ends_after_the_patience() -> None:
    inner, calls = failing_then_ok([http(ModelRateLimitError, 429)] * 50)
    sleep = RecordingSleep()
    with pytest.raises(ModelCallError) as caught:
        await run(guarded(inner, retries=1, sleep=sleep, patience=10.0))
    assert caught.value.code == "model_rate_limited"
    assert "LEARNPATH_MODEL_RATE_LIMIT_PATIENCE_SECONDS" in caught.value.message
    assert "5 attempts" in caught.value.message
    # Backed off 0.5 + 1 + 2 + 4 = 7.5 s; the next wait (8 s) would pass the 10 s patience.
    assert sleep.delays == [0.5, 1.0, 2.0, 4.0]
    assert len(calls) == 5


async def test_429s_do_not_use_up_the_retries_of_real_failures() -> None:
    limited = http(ModelRateLimitError, 429, **{"Retry-After": "1"})
    inner, calls = failing_then_ok([limited] * 6 + [http(ModelServerError, 500), limited])
    sleep = RecordingSleep()
    assert await run(guarded(inner, retries=1, sleep=sleep)) == 7
    assert len(calls) == 9
    assert sleep.delays == [1.0] * 6 + [0.5, 1.0]


async def test_real_failures_still_end_the_call_after_their_retries() -> None:
    limited = http(ModelRateLimitError, 429)
    server = http(ModelServerError, 500)
    inner, calls = failing_then_ok([limited, server, limited, server, server])
    with pytest.raises(ModelCallError) as caught:
        await run(guarded(inner, retries=1))
    assert caught.value.code == "model_unavailable"
    assert len(calls) == 4


async def test_a_429_shrinks_the_providers_window_and_answers_widen_it() -> None:
    inner, _ = failing_then_ok([http(ModelRateLimitError, 429, **{"Retry-After": "2"})])
    model = guarded(inner, limit=8)
    window = model.limiter.provider(model.provider_key)
    assert await run(model) == 7
    assert window.decreases == 1
    assert window.window == pytest.approx(6 + 1 / 6)  # 8 less a quarter, then one answer
    assert window.paused_until > 0


async def test_a_slow_call_times_out_and_is_retried() -> None:
    calls: list[int] = []

    async def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append(1)
        if len(calls) == 1:
            await asyncio.sleep(5)
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"value": 1})])

    assert await run(guarded(FunctionModel(respond), timeout=0.05, retries=1)) == 1
    assert len(calls) == 2


async def test_timeout_without_retries_is_model_timeout() -> None:
    async def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await asyncio.sleep(5)
        raise AssertionError("unreachable")

    with pytest.raises(ModelCallError) as caught:
        await run(guarded(FunctionModel(respond), timeout=0.05, retries=0))
    assert caught.value.code == "model_timeout"
    assert "LEARNPATH_MODEL_TIMEOUT_SECONDS" in caught.value.message


async def test_concurrency_is_capped_across_agents_sharing_a_limiter() -> None:
    active = {"now": 0, "peak": 0}

    async def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        active["now"] += 1
        active["peak"] = max(active["peak"], active["now"])
        await asyncio.sleep(0.01)
        active["now"] -= 1
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"value": 2})])

    first = guarded(FunctionModel(respond), limit=3)
    second = GuardedModel(
        FunctionModel(respond),
        display_name="other",
        limiter=first.limiter,
        timeout=5,
        policy=first.policy,
    )
    results = await asyncio.gather(*(run(first if n % 2 else second) for n in range(12)))
    assert results == [2] * 12
    assert active["peak"] == 3
    assert first.limiter.peak == 3
