"""Curriculum agent: a skeleton first (stages and module names), then one call per stage
for its modules and concepts, assembled into a ``Framework`` with stable ids."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from learnpath.agents.prompting import TOOL_OUTPUT, OutputStyle, StructuredAgent, structured_agent
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import (
    Concept,
    Framework,
    IntentAnalysis,
    Module,
    ModuleDraft,
    Stage,
    assign_ids,
    fit_to_budget,
)
from learnpath.llm.guard import GuardedModel

TARGET_SHARE = 0.9
"""Share of the learner's hour budget the curriculum aims to fill."""


class StageOutline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    module_names: list[str] = Field(min_length=1, max_length=6)


class CurriculumSkeleton(BaseModel):
    """The roadmap's outline: title, summary, and stages with their module names."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(default="", max_length=4000)
    stages: list[StageOutline] = Field(min_length=1, max_length=8)


class StageDetail(BaseModel):
    """One stage's modules with their concepts (prerequisites given by concept name)."""

    model_config = ConfigDict(extra="forbid")

    modules: list[ModuleDraft] = Field(min_length=1, max_length=8)


class CurriculumAgents:
    """The two pydantic-ai agents the curriculum is built with."""

    def __init__(
        self, model: GuardedModel, output_retries: int, style: OutputStyle = TOOL_OUTPUT
    ) -> None:
        self.skeleton: StructuredAgent[CurriculumSkeleton] = structured_agent(
            "curriculum_skeleton",
            model,
            CurriculumSkeleton,
            output_retries,
            name="curriculum",
            tool="curriculum_skeleton",
            style=style,
        )
        self.stage: StructuredAgent[StageDetail] = structured_agent(
            "curriculum_stage",
            model,
            StageDetail,
            output_retries,
            name="curriculum",
            tool="stage_detail",
            style=style,
        )


async def design(
    agents: CurriculumAgents, request: LearningRequest, intent: IntentAnalysis, today: dt.date
) -> Framework:
    """Skeleton, then every stage's details concurrently, then ids ``s1.. m1.. c1..``."""
    budget = request.hour_budget(today)
    base: dict[str, Any] = {
        "language": request.language,
        "request": request.model_dump(mode="json"),
        "intent": intent.model_dump(mode="json"),
        "hour_budget": budget,
    }
    skeleton = await agents.skeleton.ask("Outline the learning roadmap.", base, request.language)
    stage_hours = round(TARGET_SHARE * budget / len(skeleton.stages), 2)
    calls = [
        agents.stage.ask(
            f"Detail stage {index} of the roadmap: its modules and concepts.",
            {
                **base,
                "roadmap_title": skeleton.title,
                "stage_index": index,
                "stage_count": len(skeleton.stages),
                "stage": outline.model_dump(mode="json"),
                "other_stages": [s.name for s in skeleton.stages if s is not outline],
                "stage_hours": stage_hours,
            },
            request.language,
        )
        for index, outline in enumerate(skeleton.stages, start=1)
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    details: list[StageDetail] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        details.append(result)
    return fit_to_budget(assemble(skeleton, details), budget)


def assemble(skeleton: CurriculumSkeleton, details: list[StageDetail]) -> Framework:
    """Join the parts, keep only prerequisites that name an earlier concept, assign ids."""
    seen: set[str] = set()
    stages: list[Stage] = []
    counter = 0
    for outline, detail in zip(skeleton.stages, details, strict=True):
        modules: list[Module] = []
        for draft in detail.modules:
            concepts: list[Concept] = []
            for concept in draft.concepts:
                counter += 1
                prerequisites = [
                    p.strip() for p in concept.prerequisites if p.strip().lower() in seen
                ]
                concepts.append(
                    Concept(
                        id=f"draft-{counter}",
                        **concept.model_dump(exclude={"prerequisites", "name"}),
                        name=concept.name.strip() or concept.name,
                        prerequisites=prerequisites,
                    )
                )
                seen.add(concept.name.strip().lower())
            modules.append(
                Module(
                    id="draft", name=draft.name, description=draft.description, concepts=concepts
                )
            )
        stages.append(
            Stage(id="draft", name=outline.name, description=outline.description, modules=modules)
        )
    framework = Framework(title=skeleton.title, summary=skeleton.summary, stages=stages)
    return assign_ids(framework)
