"""The roadmap document (DESIGN §8): one shape for ``GET /roadmaps/{id}`` and every export.

``roadmap_out`` builds it from a stored roadmap and the newest version of each content
item; each concept's ``content`` holds ``tutorial``, ``resources`` and ``quiz`` as
``{status, version}`` (``not_started`` with version 0 before content generation).
``document_with_bodies`` is the same document as JSON data with each content entry's
``body`` and ``error`` inline (the exported file, the shared page); ``document_concepts``
walks it. Markdown, the Anki deck, the map and the shared page are all built from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, Field

from learnpath.domain.content import ContentKind
from learnpath.domain.roadmap import Concept, Framework, Module, Stage
from learnpath.store.records import ContentItem, RoadmapRecord

NOT_STARTED = "not_started"
OFFLINE_BANNER = (
    "This roadmap was written by the offline model: deterministic sample content for trying "
    "learnpath without an LLM. Set LEARNPATH_MODEL (for example openai-chat:gpt-4o-mini, "
    "with LEARNPATH_MODEL_API_KEY) and generate again for real content."
)


class ContentState(BaseModel):
    """Where one content item of a concept stands (``not_started`` before content begins)."""

    status: str = Field(examples=["completed"])
    version: int = Field(ge=0)


class ConceptContentStates(BaseModel):
    tutorial: ContentState
    resources: ContentState
    quiz: ContentState


class ConceptOut(BaseModel):
    concept_id: str
    name: str
    description: str
    estimated_hours: float
    difficulty: str
    prerequisites: list[str]
    content: ConceptContentStates


class ModuleOut(BaseModel):
    module_id: str
    name: str
    description: str
    concepts: list[ConceptOut]


class StageOut(BaseModel):
    stage_id: str
    name: str
    description: str
    modules: list[ModuleOut]


class RoadmapOut(BaseModel):
    """A roadmap with each concept's content status; bodies come from the concept endpoint."""

    roadmap_id: str
    task_id: str
    title: str
    summary: str
    generated_by: str
    offline: str | None = Field(
        description="Set when sample content from the offline model is shown: "
        "how to configure a real model"
    )
    stages: list[StageOut]
    created_at: dt.datetime
    updated_at: dt.datetime


def offline_banner(generated_by: str) -> str | None:
    return OFFLINE_BANNER if generated_by == "offline" else None


def by_concept(items: list[ContentItem]) -> dict[str, dict[str, ContentItem]]:
    grouped: dict[str, dict[str, ContentItem]] = {}
    for item in items:
        grouped.setdefault(item.concept_id, {})[item.kind] = item
    return grouped


def roadmap_out(roadmap: RoadmapRecord, content: list[ContentItem]) -> RoadmapOut:
    framework = Framework.model_validate(roadmap.framework)
    grouped = by_concept(content)
    return RoadmapOut(
        roadmap_id=roadmap.id,
        task_id=roadmap.task_id,
        title=framework.title,
        summary=framework.summary,
        generated_by=roadmap.generated_by,
        offline=offline_banner(roadmap.generated_by),
        stages=[_stage_out(s, grouped) for s in framework.stages],
        created_at=roadmap.created_at,
        updated_at=roadmap.updated_at,
    )


def _state(item: ContentItem | None) -> ContentState:
    if item is None:
        return ContentState(status=NOT_STARTED, version=0)
    return ContentState(status=item.status, version=item.version)


def _concept_out(concept: Concept, items: dict[str, ContentItem]) -> ConceptOut:
    return ConceptOut(
        concept_id=concept.id,
        name=concept.name,
        description=concept.description,
        estimated_hours=concept.estimated_hours,
        difficulty=concept.difficulty,
        prerequisites=concept.prerequisites,
        content=ConceptContentStates(
            tutorial=_state(items.get(ContentKind.TUTORIAL)),
            resources=_state(items.get(ContentKind.RESOURCES)),
            quiz=_state(items.get(ContentKind.QUIZ)),
        ),
    )


def _module_out(module: Module, content: dict[str, dict[str, ContentItem]]) -> ModuleOut:
    return ModuleOut(
        module_id=module.id,
        name=module.name,
        description=module.description,
        concepts=[_concept_out(c, content.get(c.id, {})) for c in module.concepts],
    )


def _stage_out(stage: Stage, content: dict[str, dict[str, ContentItem]]) -> StageOut:
    return StageOut(
        stage_id=stage.id,
        name=stage.name,
        description=stage.description,
        modules=[_module_out(m, content) for m in stage.modules],
    )


def document_with_bodies(roadmap: RoadmapRecord, content: list[ContentItem]) -> dict[str, Any]:
    """The roadmap document as JSON data, each content entry with its ``body`` and ``error``."""
    document = roadmap_out(roadmap, content).model_dump(mode="json")
    grouped = by_concept(content)
    for _, _, concept in document_concepts(document):
        for kind, entry in concept["content"].items():
            item = grouped.get(concept["concept_id"], {}).get(kind)
            entry["body"] = item.body if item and item.status == "completed" else None
            entry["error"] = (
                {"code": item.error_code, "message": item.error_message}
                if item and item.error_code
                else None
            )
    return document


def document_concepts(
    document: dict[str, Any],
) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(stage, module, concept) of a document in roadmap order."""
    for stage in document["stages"]:
        for module in stage["modules"]:
            for concept in module["concepts"]:
                yield stage, module, concept
