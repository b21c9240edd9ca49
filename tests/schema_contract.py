"""Each agent's published JSON schema, and hypothesis strategies for its instances.

The schema is the one the agent hands the model (an output tool's parameters, or the
``native`` response format's schema), captured from a ``FunctionModel``: not rebuilt from
learnpath's own models. Instances come from hypothesis-jsonschema in two modes:
``required`` (every object holds only its required properties) and ``all`` (every object
holds every declared property).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from functools import cache
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel

from learnpath.agents import curriculum, editor, intent, quiz, resources, tutorial, validator
from learnpath.agents.prompting import TOOL_OUTPUT, OutputStyle, StructuredAgent
from learnpath.domain.roadmap import Concept, Framework, Module, Stage
from learnpath.llm.guard import GuardedModel
from learnpath.llm.limits import ModelLimiter
from learnpath.llm.retry import RetryPolicy

Mode = Literal["required", "all"]
Schema = dict[str, Any]
Builder = Callable[[GuardedModel, int, OutputStyle], StructuredAgent[Any]]

AGENTS: dict[str, Builder] = {
    "intent_analysis": intent.build,
    "curriculum_skeleton": lambda m, r, s: curriculum.CurriculumAgents(m, r, s).skeleton,
    "stage_detail": lambda m, r, s: curriculum.CurriculumAgents(m, r, s).stage,
    "structure_review": validator.build,
    "edit_plan": editor.build,
    "tutorial": tutorial.build,
    "resource_list": resources.build,
    "quiz": quiz.build,
}
"""Every structured agent of the workflow, by the name of its output."""

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
"""The deps the editor's output validator checks plans against."""


def model(respond: Callable[[list[ModelMessage], AgentInfo], ModelResponse]) -> GuardedModel:
    """``respond`` as a guarded model with no transport retries."""
    return GuardedModel(
        FunctionModel(respond, model_name="schema-contract"),
        display_name="schema-contract",
        limiter=ModelLimiter(8),
        timeout=30.0,
        policy=RetryPolicy(retries=0),
    )


class _Captured(Exception):
    pass


@cache
def _published(name: str, mode: str, strict: bool) -> str:
    found: list[Schema] = []

    def capture(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        params = info.model_request_parameters
        if params.output_object is not None:
            found.append(params.output_object.json_schema)
        else:
            found.append(info.output_tools[0].parameters_json_schema)
        raise _Captured

    style = OutputStyle(mode="native" if mode == "native" else "tool", strict=strict)
    agent = AGENTS[name](model(capture), 0, style)

    async def run() -> None:
        with contextlib.suppress(Exception):  # the capture stops the run at the schema
            await agent.ask("Answer.", {}, "en", deps=FRAMEWORK)

    asyncio.run(run())
    assert found, f"no schema was sent for {name}"
    return json.dumps(found[0])


def published_schema(name: str, style: OutputStyle = TOOL_OUTPUT) -> Schema:
    """The JSON schema agent ``name`` sends the model in ``style``."""
    schema: Schema = json.loads(_published(name, style.mode, style.strict))
    return schema


def in_mode(node: Any, mode: Mode, *, max_items: int | None = None) -> Any:
    """``node`` with every object's properties cut to the required ones, or all required.

    ``max_items`` caps array lengths (a smaller instance of the same schema) where a test
    needs bounded answers.
    """
    if isinstance(node, list):
        return [in_mode(item, mode, max_items=max_items) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: in_mode(value, mode, max_items=max_items) for key, value in node.items()}
    if isinstance(out.get("properties"), dict):
        if mode == "required":
            required = set(out.get("required", []))
            out["properties"] = {k: v for k, v in out["properties"].items() if k in required}
        else:
            out["required"] = list(out["properties"])
    if max_items is not None and out.get("type") == "array":
        out["maxItems"] = max(
            out.get("minItems", 0), min(out.get("maxItems", max_items), max_items)
        )
    return out


_strategies: dict[str, st.SearchStrategy[Any]] = {}


def instances(
    schema: Schema, mode: Mode, *, max_items: int | None = None
) -> st.SearchStrategy[Any]:
    """Instances of ``schema`` in ``mode`` (strategies are cached per schema and mode)."""
    key = json.dumps([schema, mode, max_items], sort_keys=True)
    if key not in _strategies:
        _strategies[key] = from_schema(in_mode(schema, mode, max_items=max_items))
    return _strategies[key]
