"""Usage accounting: every model call inside track_usage() counts, in spawned tasks too."""

from __future__ import annotations

import asyncio

import pydantic_ai.models
import pytest
from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from learnpath.llm.usage import record_usage, track_usage
from tests.unit.conftest_llm import guarded


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


class Answer(BaseModel):
    value: int


def metered(
    input_tokens: int, output_tokens: int, *, invalid_first: bool = False
) -> Agent[None, Answer]:
    calls = {"n": 0}

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls["n"] += 1
        args = {"value": "x"} if invalid_first and calls["n"] == 1 else {"value": 1}
        return ModelResponse(
            parts=[ToolCallPart(info.output_tools[0].name, args)],
            usage=RequestUsage(input_tokens=input_tokens, output_tokens=output_tokens),
        )

    return Agent(guarded(FunctionModel(respond)), output_type=Answer, retries={"output": 2})


async def test_counts_requests_and_tokens() -> None:
    agent = metered(100, 20)
    with track_usage() as tally:
        await agent.run("a")
        await agent.run("b")
    assert (tally.requests, tally.input_tokens, tally.output_tokens) == (2, 200, 40)
    assert tally.total_tokens == 240


async def test_output_retries_count_as_requests() -> None:
    with track_usage() as tally:
        await metered(10, 5, invalid_first=True).run("a")
    assert (tally.requests, tally.input_tokens, tally.output_tokens) == (2, 20, 10)


async def test_calls_in_spawned_tasks_are_counted() -> None:
    agent = metered(7, 3)
    with track_usage() as tally:
        tasks = [asyncio.create_task(agent.run(str(n))) for n in range(5)]
        await asyncio.gather(*tasks)
    assert (tally.requests, tally.input_tokens, tally.output_tokens) == (5, 35, 15)


async def test_nested_blocks_count_towards_every_enclosing_tally() -> None:
    agent = metered(1, 1)
    with track_usage() as task_tally:
        await agent.run("intent")
        with track_usage() as step_tally:
            await agent.run("curriculum")
    assert step_tally.requests == 1
    assert task_tally.requests == 2


async def test_concurrent_blocks_do_not_mix() -> None:
    agent = metered(1, 1)

    async def step(calls: int) -> int:
        with track_usage() as tally:
            for _ in range(calls):
                await agent.run("x")
        return tally.requests

    assert list(await asyncio.gather(step(1), step(3))) == [1, 3]


def test_recording_outside_a_block_is_harmless() -> None:
    record_usage(requests=1, input_tokens=5)
    with track_usage() as tally:
        pass
    assert tally.requests == 0
