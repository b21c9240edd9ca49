"""Structured output through a tool call (default) or the provider's JSON-schema response format.

``LEARNPATH_OUTPUT_MODE=native`` asks with the response format and no tools; strict schemas
are asked for with ``LEARNPATH_STRICT_OUTPUT``; the offline model always answers through its
tool; a model that cannot answer in the configured mode is a configuration error that says
which setting to change.
"""

from __future__ import annotations

import json

import pydantic_ai.models
import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.profiles import ModelProfile

from learnpath.agents import intent
from learnpath.agents.llm_team import LLMTeam
from learnpath.agents.prompting import OutputStyle
from learnpath.domain.request import LearningRequest
from learnpath.llm.errors import ModelCallError
from tests.unit.conftest_llm import TODAY, guarded, settings

REQUEST = LearningRequest(goal="Become a data engineer", hours_per_week=8, weeks=12)
ANSWER = {
    "goal_summary": "g",
    "target_role": "r",
    "domain": "data",
    "key_skills": ["SQL"],
    "weekly_hours": 8,
    "total_weeks": 12,
}


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


async def test_native_output_asks_with_a_json_schema_and_no_tools() -> None:
    seen: list[AgentInfo] = []

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(info)
        return ModelResponse(parts=[TextPart(json.dumps(ANSWER))])

    style = OutputStyle(mode="native", strict=True)
    agent = intent.build(guarded(FunctionModel(respond, model_name="native")), 0, style)
    analysis = await intent.analyse(agent, REQUEST, TODAY)
    assert analysis.key_skills == ["SQL"]
    params = seen[0].model_request_parameters
    assert params.output_mode == "native" and not seen[0].output_tools
    assert params.output_object is not None
    assert params.output_object.name == "intent_analysis" and params.output_object.strict
    assert "key_skills" in params.output_object.json_schema["required"]


async def test_a_model_without_native_output_is_a_configuration_error() -> None:
    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise AssertionError("never asked")

    plain = FunctionModel(
        respond, model_name="plain", profile=ModelProfile(supports_json_schema_output=False)
    )
    agent = intent.build(guarded(plain), 0, OutputStyle(mode="native"))
    with pytest.raises(ModelCallError) as caught:
        await intent.analyse(agent, REQUEST, TODAY)
    assert caught.value.code == "model_misconfigured"
    assert "LEARNPATH_OUTPUT_MODE" in caught.value.message


async def test_the_offline_model_answers_through_its_tool_in_native_mode() -> None:
    team = LLMTeam(settings(output_mode="native", strict_output=True), today=lambda: TODAY)
    analysis = await team.analyse_intent(REQUEST)
    assert analysis.key_skills
    assert team.generated_by == "offline"
