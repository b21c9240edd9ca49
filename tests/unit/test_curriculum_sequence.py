"""Coherent curricula: stages are designed in order, each knowing the concepts before it.

A stage's prompt lists the earlier stages' concepts by id and name; its prerequisites may
name them (by id or by name) and survive validation; content agents are told a concept's
prerequisites by name and summary, not as bare ids.
"""

from __future__ import annotations

from typing import Any

import pydantic_ai.models
import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from learnpath.agents import curriculum, tutorial, validator
from learnpath.agents.team import MemoryJournal
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import IntentAnalysis
from learnpath.llm.offline import prompt_context
from tests.unit.conftest_llm import TODAY, briefs, guarded, tool_answer

REQUEST = LearningRequest(goal="Become a data engineer", hours_per_week=8, weeks=26)
INTENT = IntentAnalysis(
    goal_summary="data engineering",
    target_role="data engineer",
    domain="data",
    key_skills=["SQL"],
    weekly_hours=8,
    total_weeks=26,
)
SKELETON = {
    "title": "Data engineering",
    "stages": [
        {"name": "Foundations", "module_names": ["SQL"]},
        {"name": "Pipelines", "module_names": ["Batch"]},
    ],
}
STAGES = {
    1: {
        "modules": [
            {
                "name": "SQL",
                "concepts": [
                    {"name": "Select queries", "description": "Reading rows with SELECT."},
                    {"name": "Joins", "description": "Combining tables.", "prerequisites": []},
                ],
            }
        ]
    },
    2: {
        "modules": [
            {
                "name": "Batch",
                "concepts": [
                    # By id, by name (another case), and one that names nothing known.
                    {"name": "Batch loads", "prerequisites": ["c2", "select QUERIES", "c99"]},
                    {"name": "Scheduling", "prerequisites": ["Batch loads", "Later thing"]},
                ],
            }
        ]
    },
}


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", False)


class Designer:
    """Answers the outline and each stage, and keeps the input each stage was designed from."""

    def __init__(self) -> None:
        self.stage_contexts: list[dict[str, Any]] = []

    def respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        tool = info.output_tools[0].name
        context = prompt_context(messages)
        if tool == "curriculum_skeleton":
            return ModelResponse(parts=[ToolCallPart(tool, SKELETON)])
        self.stage_contexts.append(context)
        return ModelResponse(parts=[ToolCallPart(tool, STAGES[int(context["stage_index"])])])


async def _design() -> tuple[Designer, Any, MemoryJournal]:
    designer = Designer()
    agents = curriculum.CurriculumAgents(
        guarded(FunctionModel(designer.respond, model_name="designer")), 0
    )
    journal = MemoryJournal()
    framework = await curriculum.design(agents, REQUEST, INTENT, TODAY, journal)
    return designer, framework, journal


async def test_stage_two_is_designed_knowing_stage_one_concepts() -> None:
    designer, framework, journal = await _design()
    assert [c["stage_index"] for c in designer.stage_contexts] == [1, 2]
    assert designer.stage_contexts[0]["earlier_concepts"] == []
    assert designer.stage_contexts[1]["earlier_concepts"] == [
        {"id": "c1", "name": "Select queries", "stage": "Foundations"},
        {"id": "c2", "name": "Joins", "stage": "Foundations"},
    ]
    assert framework.all_ids() == ["s1", "m1", "c1", "c2", "s2", "m2", "c3", "c4"]
    # Every finished part was handed to the journal as it was done.
    assert set(journal.parts) == {"outline", "stage_1", "stage_2"}
    assert journal.parts["stage_1"] == framework.stages[0].model_dump(mode="json")


async def test_cross_stage_prerequisites_survive_validation() -> None:
    _, framework, _ = await _design()
    loads, scheduling = framework.stages[1].modules[0].concepts
    assert loads.prerequisites == ["c2", "c1"]  # unknown "c99" dropped
    assert scheduling.prerequisites == [loads.id]  # a later, unknown name dropped
    review = {"issues": [], "comments": "fine"}
    agent = validator.build(guarded(tool_answer(review)), 0)
    result = await validator.validate(agent, REQUEST, INTENT, framework, TODAY)
    assert result.valid, result.issues
    assert not [i for i in result.issues if "prerequisite" in i.code]


async def test_a_journal_with_finished_parts_is_not_asked_again() -> None:
    _, first, journal = await _design()
    resumed = MemoryJournal(parts={k: v for k, v in journal.parts.items() if k != "stage_2"})
    designer = Designer()
    agents = curriculum.CurriculumAgents(
        guarded(FunctionModel(designer.respond, model_name="designer")), 0
    )
    again = await curriculum.design(agents, REQUEST, INTENT, TODAY, resumed)
    assert [c["stage_index"] for c in designer.stage_contexts] == [2]
    assert again == first


async def test_content_agents_get_prerequisite_names_and_summaries() -> None:
    _, framework, _ = await _design()
    seen: list[dict[str, Any]] = []

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(prompt_context(messages))
        answer = {"title": "T", "summary": "S", "markdown": "# T"}
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, answer)])

    agent = tutorial.build(guarded(FunctionModel(respond, model_name="writer")), 0)
    brief = briefs(REQUEST, INTENT, framework)[2]  # "Batch loads"
    brief = type(brief)(
        **{
            **brief.__dict__,
            "prerequisites": tuple(
                c for p in brief.concept.prerequisites if (c := framework.concept(p)) is not None
            ),
        }
    )
    await tutorial.write(agent, brief)
    assert seen[0]["prerequisites"] == [
        {"name": "Joins", "summary": "Combining tables."},
        {"name": "Select queries", "summary": "Reading rows with SELECT."},
    ]
    assert "prerequisites" not in seen[0]["concept"]
