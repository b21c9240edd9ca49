"""Curriculum agent: a skeleton first (stages and module names), then one call per stage, in
order, for its modules and concepts, assembled into a ``Framework`` with stable ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from learnpath.agents.prompting import TOOL_OUTPUT, OutputStyle, StructuredAgent, structured_agent
from learnpath.agents.team import DesignJournal, MemoryJournal
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import (
    Concept,
    Framework,
    IntentAnalysis,
    Module,
    ModuleDraft,
    Stage,
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
    """One stage's modules with their concepts (prerequisites by earlier concept id or name)."""

    model_config = ConfigDict(extra="forbid")

    modules: list[ModuleDraft] = Field(min_length=1, max_length=8)


class CurriculumAgents:
    """The two structured agents the curriculum is built with."""

    def __init__(
        self, model: GuardedModel, output_retries: int, style: OutputStyle = TOOL_OUTPUT
    ) -> None:
        self.skeleton: StructuredAgent[CurriculumSkeleton] = structured_agent(
            "curriculum_skeleton",
            model,
            CurriculumSkeleton,
            output_retries,
            tool="curriculum_skeleton",
            style=style,
        )
        self.stage: StructuredAgent[StageDetail] = structured_agent(
            "curriculum_stage",
            model,
            StageDetail,
            output_retries,
            tool="stage_detail",
            style=style,
        )


async def design(
    agents: CurriculumAgents,
    request: LearningRequest,
    intent: IntentAnalysis,
    today: dt.date,
    journal: DesignJournal | None = None,
) -> Framework:
    """The outline, then each stage in turn, each knowing the concepts designed before it.

    Stages are designed in sequence so that a stage can build on the concepts (ids and names)
    of the earlier ones, point its prerequisites at them and not repeat them. Every finished
    part is kept in ``journal``: a design resumed after a crash asks only for what is missing.
    """
    journal = journal if journal is not None else MemoryJournal()
    budget = request.hour_budget(today)
    base: dict[str, Any] = {
        "language": request.language,
        "request": request.model_dump(mode="json"),
        "intent": intent.model_dump(mode="json"),
        "hour_budget": budget,
    }
    saved = journal.recorded("outline")
    if saved is None:
        skeleton = await agents.skeleton.ask(
            "Outline the learning roadmap.", base, request.language
        )
        await journal.record(
            "outline",
            skeleton.model_dump(mode="json"),
            event="curriculum_outlined",
            title=skeleton.title,
            stages=len(skeleton.stages),
        )
    else:
        skeleton = CurriculumSkeleton.model_validate(saved)
    stage_hours = round(TARGET_SHARE * budget / len(skeleton.stages), 2)
    stages: list[Stage] = []
    for index, outline in enumerate(skeleton.stages, start=1):
        part = f"stage_{index}"
        saved = journal.recorded(part)
        if saved is not None:
            stages.append(Stage.model_validate(saved))
            continue
        detail = await agents.stage.ask(
            f"Detail stage {index} of the roadmap: its modules and concepts.",
            {
                **base,
                "roadmap_title": skeleton.title,
                "stage_index": index,
                "stage_count": len(skeleton.stages),
                "stage": outline.model_dump(mode="json"),
                "other_stages": [s.name for s in skeleton.stages if s is not outline],
                "earlier_concepts": earlier_concepts(stages),
                "stage_hours": stage_hours,
            },
            request.language,
        )
        stage = build_stage(outline, detail, index, stages)
        await journal.record(
            part,
            stage.model_dump(mode="json"),
            event="stage_designed",
            stage=index,
            of=len(skeleton.stages),
            name=stage.name,
            concepts=sum(len(m.concepts) for m in stage.modules),
        )
        stages.append(stage)
    framework = Framework(title=skeleton.title, summary=skeleton.summary, stages=stages)
    return fit_to_budget(framework, budget)


def earlier_concepts(stages: list[Stage]) -> list[dict[str, str]]:
    """What a stage's design is told about the concepts before it."""
    return [
        {"id": concept.id, "name": concept.name, "stage": stage.name}
        for stage in stages
        for module in stage.modules
        for concept in module.concepts
    ]


def build_stage(
    outline: StageOutline, detail: StageDetail, index: int, earlier: list[Stage]
) -> Stage:
    """Stage ``index`` with ids that continue the earlier stages' (``s<n>``, ``m<n>``, ``c<n>``).

    A prerequisite names an earlier stage's concept by id or by name, or an earlier concept of
    this stage by name (any case); one that names none of these is dropped.
    """
    module_no = sum(len(s.modules) for s in earlier)
    concept_no = sum(len(m.concepts) for s in earlier for m in s.modules)
    known_ids = {c.id for s in earlier for m in s.modules for c in m.concepts}
    by_name = {c.name.strip().lower(): c.id for s in earlier for m in s.modules for c in m.concepts}
    modules: list[Module] = []
    for draft in detail.modules:
        module_no += 1
        concepts: list[Concept] = []
        for concept in draft.concepts:
            concept_no += 1
            concept_id = f"c{concept_no}"
            prerequisites: list[str] = []
            for named in concept.prerequisites:
                key = named.strip()
                found = key if key in known_ids else by_name.get(key.lower())
                if found is not None and found not in prerequisites:
                    prerequisites.append(found)
            concepts.append(
                Concept(
                    id=concept_id,
                    **concept.model_dump(exclude={"prerequisites", "name"}),
                    name=concept.name.strip() or concept.name,
                    prerequisites=prerequisites,
                )
            )
            by_name.setdefault(concept.name.strip().lower(), concept_id)
        modules.append(
            Module(
                id=f"m{module_no}",
                name=draft.name,
                description=draft.description,
                concepts=concepts,
            )
        )
    return Stage(
        id=f"s{index}", name=outline.name, description=outline.description, modules=modules
    )


def assemble(skeleton: CurriculumSkeleton, details: list[StageDetail]) -> Framework:
    """Join an outline and its stages' details into a framework (see ``build_stage``)."""
    stages: list[Stage] = []
    for index, (outline, detail) in enumerate(zip(skeleton.stages, details, strict=True), start=1):
        stages.append(build_stage(outline, detail, index, stages))
    return Framework(title=skeleton.title, summary=skeleton.summary, stages=stages)
