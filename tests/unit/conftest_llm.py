"""Helpers for the LLM and agent tests (imported explicitly; not a pytest conftest)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models import Model
from pydantic_ai.models.function import AgentInfo, FunctionModel

from learnpath.agents.team import ConceptBrief
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import Framework, IntentAnalysis
from learnpath.llm.guard import GuardedModel
from learnpath.llm.limits import ModelLimiter
from learnpath.llm.retry import RetryPolicy
from learnpath.settings import Settings

TODAY = dt.date(2026, 1, 5)


class RecordingSleep:
    """A stand-in for ``asyncio.sleep`` that records the delays instead of waiting.

    ``now()`` is a clock that moves by the recorded delays, for code that measures waits.
    """

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.elapsed = 0.0

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.elapsed += seconds

    def now(self) -> float:
        return self.elapsed


def settings(**overrides: Any) -> Settings:
    """Settings that ignore any ``.env`` file and the environment's model."""
    values: dict[str, Any] = {"model": None, "model_api_key": None, "agent_models": {}}
    values.update(overrides)
    return Settings(_env_file=None, **values)


def guarded(
    model: Model,
    *,
    retries: int = 3,
    timeout: float = 5.0,
    limit: int = 8,
    sleep: RecordingSleep | None = None,
    patience: float = RetryPolicy.rate_limit_patience,
) -> GuardedModel:
    sleep = sleep or RecordingSleep()
    return GuardedModel(
        model,
        display_name="test-model",
        limiter=ModelLimiter(limit),
        timeout=timeout,
        policy=RetryPolicy(retries=retries, rate_limit_patience=patience),
        sleep=sleep,
        clock=sleep.now,
    )


def tool_answer(args: dict[str, Any] | Callable[[int], dict[str, Any]]) -> FunctionModel:
    """A FunctionModel answering the output tool with ``args`` (or ``args(call_number)``)."""
    calls = {"n": 0}

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls["n"] += 1
        value = args(calls["n"]) if callable(args) else args
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, value)])

    return FunctionModel(respond, model_name="scripted")


def briefs(
    request: LearningRequest, intent: IntentAnalysis, framework: Framework
) -> list[ConceptBrief]:
    return [
        ConceptBrief(request, intent, framework.title, stage, module, concept)
        for stage, module, concept in framework.concepts()
    ]
