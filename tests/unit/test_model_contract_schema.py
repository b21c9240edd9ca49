"""The editor's published tool schema is the contract: what it requires is what validation needs.

The schema is read from what pydantic-ai actually sends the model (the output tool's
parameters), not from our models, and an answer holding only the required properties of
each operation variant must validate.
"""

from __future__ import annotations

from typing import Any

import pydantic_ai.models
import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from learnpath.agents import editor
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import Concept, Framework, Module, Stage
from tests.unit.conftest_llm import TODAY, guarded


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


FRAMEWORK = Framework(
    title="T",
    stages=[
        Stage(
            id="s1",
            name="S1",
            modules=[Module(id="m1", name="M1", concepts=[Concept(id="c1", name="C1")])],
        )
    ],
)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    name = ref.rsplit("/", 1)[-1]
    return _resolve(schema, schema["$defs"][name])


def _required_only(schema: dict[str, Any], node: dict[str, Any], ids: dict[str, str]) -> Any:
    """The smallest instance of ``node``: only required properties, ids from the framework."""
    node = _resolve(schema, node)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    if "anyOf" in node:
        return _required_only(schema, node["anyOf"][0], ids)
    kind = node.get("type")
    if kind == "object":
        return {
            key: ids.get(key) or _required_only(schema, node["properties"][key], ids)
            for key in node.get("required", [])
        }
    if kind == "array":
        return [_required_only(schema, node["items"], ids) for _ in range(node.get("minItems", 0))]
    if kind == "string":
        return "x" * max(1, node.get("minLength", 1))
    if kind in ("integer", "number"):
        return node.get("minimum", 1)
    if kind == "boolean":
        return False
    raise AssertionError(f"unexpected schema node {node}")


async def _published_schema() -> dict[str, Any]:
    seen: list[dict[str, Any]] = []

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        tool = info.output_tools[0]
        seen.append(tool.parameters_json_schema)
        return ModelResponse(parts=[ToolCallPart(tool.name, {"operations": []})])

    agent = editor.build(guarded(FunctionModel(respond, model_name="schema")), 0)
    request = LearningRequest(goal="Backend", hours_per_week=8, weeks=12)
    await editor.plan_edits(agent, request, FRAMEWORK, [], None, TODAY)
    return seen[0]


def _variants(schema: dict[str, Any]) -> list[dict[str, Any]]:
    items = _resolve(schema, schema["properties"]["operations"]["items"])
    return [_resolve(schema, v) for v in items.get("oneOf") or items["anyOf"]]


async def test_every_edit_operation_requires_its_discriminator() -> None:
    schema = await _published_schema()
    variants = _variants(schema)
    assert len(variants) == 7
    for variant in variants:
        assert "op" in variant.get("required", []), variant.get("title")


async def test_a_required_only_answer_of_each_operation_validates() -> None:
    schema = await _published_schema()
    ids = {
        "target_id": "c1",
        "stage_id": "s1",
        "module_id": "m1",
        "new_parent_id": "m1",
    }
    for variant in _variants(schema):
        answer = {"operations": [_required_only(schema, variant, ids)]}

        def respond(
            messages: list[ModelMessage], info: AgentInfo, a: Any = answer
        ) -> ModelResponse:
            return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, a)])

        agent = editor.build(guarded(FunctionModel(respond, model_name="schema")), 0)
        request = LearningRequest(goal="Backend", hours_per_week=8, weeks=12)
        plan = await editor.plan_edits(agent, request, FRAMEWORK, [], None, TODAY)
        assert plan.operations[0].op == variant["properties"]["op"]["const"]
