"""The schema is the contract: every instance of an agent's published schema is usable.

For each agent, instances of the JSON schema pydantic-ai sends the model (see
``tests/schema_contract.py``) are generated with hypothesis-jsonschema, holding only the
required properties or every property, in both output styles (tool call and ``native``
response format). Each must validate as the agent's output with no re-ask, and what the code
then relies on must hold: modules with concepts, gradeable quiz questions, well-formed ids.
What the code relies on must also be written in the schema itself, so that a model that
answers from the schema alone cannot break it.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pydantic_ai.models
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo

from learnpath.agents import curriculum, quiz, validator
from learnpath.agents.prompting import OutputStyle
from learnpath.domain.roadmap import Framework
from learnpath.workflow.engine import apply_what_fits
from tests.schema_contract import AGENTS, FRAMEWORK, Mode, instances, model, published_schema

STYLES = {"tool": OutputStyle(), "native": OutputStyle(mode="native", strict=True)}
ID = {"stage": re.compile(r"^s[0-9]+$"), "module": re.compile(r"^m[0-9]+$")}
CONCEPT_ID = re.compile(r"^c[0-9]+$")
CASES = [(name, mode) for name in AGENTS for mode in ("required", "all")]
FAST = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
THOROUGH = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _prop(schema: dict[str, Any], node: dict[str, Any], *path: str) -> dict[str, Any]:
    """The schema node at ``path`` (property names; ``[]`` steps into array items)."""
    node = _resolve(schema, node)
    for step in path:
        node = _resolve(schema, node["items"] if step == "[]" else node["properties"][step])
    return node


@pytest.mark.parametrize("style", STYLES)
def test_the_schema_states_what_the_code_relies_on(style: str) -> None:
    def schema(name: str) -> dict[str, Any]:
        return published_schema(name, STYLES[style])

    edits = schema("edit_plan")
    variants = _prop(edits, edits, "operations", "[]")
    variants_list = [_resolve(edits, v) for v in variants.get("oneOf") or variants["anyOf"]]
    assert len(variants_list) == 7
    for variant in variants_list:
        assert "op" in variant["required"], variant.get("title")  # the discriminator
        assert "const" in variant["properties"]["op"]

    outline = schema("curriculum_skeleton")
    assert _prop(outline, outline, "stages")["minItems"] >= 1
    assert _prop(outline, outline, "stages", "[]", "module_names")["minItems"] >= 1

    stage = schema("stage_detail")
    assert _prop(stage, stage, "modules")["minItems"] >= 1
    assert _prop(stage, stage, "modules", "[]", "concepts")["minItems"] >= 1
    assert "concepts" in _prop(stage, stage, "modules", "[]")["required"]

    answer = schema("quiz")
    assert _prop(answer, answer, "questions")["minItems"] >= quiz.MIN_QUESTIONS
    question = _prop(answer, answer, "questions", "[]")
    # No answer index to get wrong: the right option and the wrong ones are named apart.
    assert "answer" not in question["properties"]
    assert {"question", "correct_option", "wrong_options"} <= set(question["required"])
    assert _prop(answer, answer, "questions", "[]", "wrong_options")["minItems"] >= 1

    listing = schema("resource_list")
    assert _prop(listing, listing, "resources")["minItems"] >= 1
    analysis = schema("intent_analysis")
    assert _prop(analysis, analysis, "key_skills")["minItems"] >= 1


def _answer(name: str, style: OutputStyle, instance: Any) -> Any:
    """The agent's validated output when the model answers ``instance``; never re-asked."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if info.output_tools:
            return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, instance)])
        return ModelResponse(parts=[TextPart(json.dumps(instance))])

    agent = AGENTS[name](model(respond), 0, style)
    return asyncio.run(agent.ask("Answer.", {}, "en", deps=FRAMEWORK))


def _check_usable(name: str, output: Any) -> None:
    """What the code does next with an output of agent ``name`` works."""
    if name == "curriculum_skeleton":
        assert all(stage.module_names for stage in output.stages)
    elif name == "stage_detail":
        outline = curriculum.StageOutline(name="Next", module_names=["M"])
        stage = curriculum.build_stage(outline, output, 2, FRAMEWORK.stages)
        framework = Framework(title="T", stages=[*FRAMEWORK.stages, stage])
        _check_framework(framework)
    elif name == "edit_plan":
        edited, applied, skipped = apply_what_fits(FRAMEWORK, output.operations)
        assert len(applied) + len(skipped) == len(output.operations)
        _check_framework(edited, allow_empty=True)
    elif name == "quiz":
        written = quiz.to_quiz(output)
        usable = [
            q
            for q in output.questions
            if {o.casefold() for o in q.wrong_options} - {q.correct_option.casefold()}
        ]
        assert (written is None) == (not usable)
        for question in written.questions if written else []:
            assert 0 <= question.answer < len(question.options)
            assert len({o.casefold() for o in question.options}) == len(question.options)
    elif name == "structure_review":
        merged = validator.merge_issues([], output.issues, FRAMEWORK)
        assert all(i.target_id in (None, *FRAMEWORK.all_ids()) for i in merged)


def _check_framework(framework: Framework, *, allow_empty: bool = False) -> None:
    ids = framework.all_ids()
    assert len(ids) == len(set(ids))
    concept_ids = set(framework.concept_ids())
    for stage in framework.stages:
        assert ID["stage"].match(stage.id)
        for module in stage.modules:
            assert ID["module"].match(module.id)
            assert allow_empty or module.concepts
            for concept in module.concepts:
                assert CONCEPT_ID.match(concept.id)
                if not allow_empty:  # an edit may point anywhere; validation judges it
                    assert set(concept.prerequisites) <= concept_ids - {concept.id}


def _property(name: str, mode: Mode, style: str, data: st.DataObject) -> None:
    schema = published_schema(name, STYLES[style])
    instance = data.draw(instances(schema, mode), label=name)
    _check_usable(name, _answer(name, STYLES[style], instance))


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("name", "mode"), CASES)
@FAST
@given(data=st.data())
def test_every_instance_of_the_published_schema_is_usable(
    name: str, mode: Mode, style: str, data: st.DataObject
) -> None:
    _property(name, mode, style, data)


@pytest.mark.slow
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(("name", "mode"), CASES)
@THOROUGH
@given(data=st.data())
def test_every_instance_of_the_published_schema_is_usable_thoroughly(
    name: str, mode: Mode, style: str, data: st.DataObject
) -> None:
    _property(name, mode, style, data)
