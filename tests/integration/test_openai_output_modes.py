"""What an OpenAI-compatible server receives in each output mode, strict or not.

Against the schema-only fake (written from the OpenAI API's documented shapes): tool mode
sends the output as a function tool, native mode as ``response_format`` ``json_schema`` with
no tools; with ``LEARNPATH_STRICT_OUTPUT`` the tool or schema carries ``strict: true`` and its
schema keeps the documented rules for strict structured outputs: every object lists all its
properties as required and allows no others.
"""

from __future__ import annotations

from typing import Any

import pytest

from learnpath.agents.llm_team import LLMTeam
from learnpath.domain.request import LearningRequest
from tests.fakes.openai_schema_server import SchemaOnlyOpenAI
from tests.unit.conftest_llm import TODAY, RecordingSleep, settings

REQUEST = LearningRequest(goal="Become a data engineer", hours_per_week=8, weeks=12)


def _objects(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [o for item in node for o in _objects(item)]
    if not isinstance(node, dict):
        return []
    found = [node] if node.get("type") == "object" and "properties" in node else []
    return found + [o for value in node.values() for o in _objects(value)]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("output_mode", ["tool", "native"])
async def test_each_output_mode_sends_what_the_api_documents(
    output_mode: str, strict: bool
) -> None:
    with SchemaOnlyOpenAI("all", tools_supported=output_mode == "tool") as fake:
        config = settings(
            model=f"{fake.base_url}#gpt-4o-mini", output_mode=output_mode, strict_output=strict
        )
        team = LLMTeam(config, today=lambda: TODAY, sleep=RecordingSleep())
        try:
            analysis = await team.analyse_intent(REQUEST)
        finally:
            await team.aclose()
        body = fake.requests[0]
    assert analysis.key_skills
    if output_mode == "tool":
        assert "response_format" not in body
        (tool,) = body["tools"]
        assert tool["type"] == "function" and tool["function"]["name"] == "intent_analysis"
        spec, schema = tool["function"], tool["function"]["parameters"]
    else:
        assert not body.get("tools")
        assert body["response_format"]["type"] == "json_schema"
        spec = body["response_format"]["json_schema"]
        assert spec["name"] == "intent_analysis"
        schema = spec["schema"]
    assert bool(spec.get("strict")) is strict
    assert "key_skills" in schema["required"]
    if strict:
        for node in _objects(schema):
            assert sorted(node["required"]) == sorted(node["properties"]), node.get("title")
            assert node.get("additionalProperties") is False, node.get("title")
