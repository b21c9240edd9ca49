"""The roadmap document: the one view of a roadmap, and its shapes.

``read_view`` builds a ``RoadmapView`` once from the store: the roadmap's stages,
modules and concepts, each concept with the newest version of its tutorial, resources
and quiz and (for a learner) their progress. Everything that shows a roadmap renders
from it: ``RoadmapView.out`` is ``GET /roadmaps/{id}`` (each concept's ``content`` holds
``{status, version}``, ``not_started`` with version 0 before content generation), the
web page walks its ``stages``, and ``RoadmapView.document`` is the same document as JSON
data with each content entry's ``body`` and ``error`` inline, from which the exported
file, the Markdown plan, the Anki deck, the map and the shared page are built;
``document_concepts`` walks that data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from learnpath.domain.content import ContentKind, ContentStatus, Quiz
from learnpath.domain.roadmap import Concept, Framework, Module, Stage
from learnpath.store.records import ContentItem, RoadmapRecord

if TYPE_CHECKING:
    from learnpath.store import Store

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


def by_concept(items: Iterable[ContentItem]) -> dict[str, dict[str, ContentItem]]:
    grouped: dict[str, dict[str, ContentItem]] = {}
    for item in items:
        grouped.setdefault(item.concept_id, {})[item.kind] = item
    return grouped


@dataclass(frozen=True)
class ConceptView:
    """One concept of the roadmap: where it sits, its newest content and the learner's
    progress on it (empty when the view was built without a learner)."""

    stage: Stage
    module: Module
    concept: Concept
    items: Mapping[str, ContentItem]
    progress: Mapping[str, Any]

    @property
    def id(self) -> str:
        return self.concept.id

    @property
    def name(self) -> str:
        return self.concept.name

    @property
    def description(self) -> str:
        return self.concept.description

    @property
    def estimated_hours(self) -> float:
        return self.concept.estimated_hours

    @property
    def difficulty(self) -> str:
        return str(self.concept.difficulty)

    @property
    def prerequisites(self) -> list[str]:
        return self.concept.prerequisites

    @property
    def done(self) -> bool:
        return bool(self.progress.get("done", False))

    @property
    def quiz_answers(self) -> list[int | None] | None:
        answers = self.progress.get("quiz_answers")
        return list(answers) if answers is not None else None

    @property
    def quiz_score(self) -> float | None:
        score = self.progress.get("quiz_score")
        return float(score) if score is not None else None

    def status(self, kind: str) -> str:
        """The content item's status, ``not_started`` before content generation."""
        item = self.items.get(kind)
        return item.status if item is not None else NOT_STARTED

    def state(self, kind: str) -> ContentState:
        item = self.items.get(kind)
        if item is None:
            return ContentState(status=NOT_STARTED, version=0)
        return ContentState(status=item.status, version=item.version)

    def body(self, kind: str) -> dict[str, Any] | None:
        """The item's body once it is completed (None before, or when it failed)."""
        item = self.items.get(kind)
        if item is None or item.status != ContentStatus.COMPLETED:
            return None
        return item.body

    def error(self, kind: str) -> dict[str, str] | None:
        item = self.items.get(kind)
        if item is None or not item.error_code:
            return None
        return {"code": item.error_code, "message": item.error_message or ""}

    @property
    def quiz_results(self) -> list[dict[str, Any]] | None:
        """The learner's recorded answers scored against the current quiz: per question
        the question, the picked and the right option, and the explanation.

        Answers recorded before the quiz was written again can be past its questions or
        options; those count as not answered.
        """
        body = self.body(ContentKind.QUIZ)
        answers = self.quiz_answers
        if body is None or answers is None:
            return None
        quiz = Quiz.model_validate(body)
        current = [
            answer if answer is not None and 0 <= answer < len(question.options) else None
            for answer, question in zip(answers, quiz.questions, strict=False)
        ]
        return [
            {
                "question": question.question,
                "picked": question.options[r.chosen] if r.chosen is not None else None,
                "right": question.options[question.answer],
                "correct": r.correct,
                "explanation": question.explanation,
            }
            for question, r in zip(quiz.questions, quiz.check(current).results, strict=True)
        ]

    def out(self) -> ConceptOut:
        return ConceptOut(
            concept_id=self.concept.id,
            name=self.concept.name,
            description=self.concept.description,
            estimated_hours=self.concept.estimated_hours,
            difficulty=self.concept.difficulty,
            prerequisites=self.concept.prerequisites,
            content=ConceptContentStates(
                tutorial=self.state(ContentKind.TUTORIAL),
                resources=self.state(ContentKind.RESOURCES),
                quiz=self.state(ContentKind.QUIZ),
            ),
        )


@dataclass(frozen=True)
class ModuleView:
    module: Module
    concepts: list[ConceptView]

    @property
    def name(self) -> str:
        return self.module.name

    @property
    def description(self) -> str:
        return self.module.description


@dataclass(frozen=True)
class StageView:
    stage: Stage
    modules: list[ModuleView]

    @property
    def name(self) -> str:
        return self.stage.name

    @property
    def description(self) -> str:
        return self.stage.description


@dataclass(frozen=True)
class RoadmapView:
    """The one view of a roadmap: its stages, modules and concepts, each concept with its
    newest content and the learner's progress. The API's roadmap, the web page, every
    export and the map are rendered from it."""

    roadmap: RoadmapRecord
    framework: Framework
    stages: list[StageView]
    progress: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return self.roadmap.id

    @property
    def offline(self) -> str | None:
        """How to configure a real model, when the roadmap was written by the offline one."""
        return offline_banner(self.roadmap.generated_by)

    @property
    def sample_content(self) -> bool:
        """True when the roadmap or any of its content came from the offline model."""
        return self.roadmap.generated_by == "offline" or any(
            item.generated_by == "offline" for c in self.concepts() for item in c.items.values()
        )

    def concepts(self) -> Iterator[ConceptView]:
        for stage in self.stages:
            for module in stage.modules:
                yield from module.concepts

    def concept(self, concept_id: str) -> ConceptView | None:
        return next((c for c in self.concepts() if c.id == concept_id), None)

    @property
    def done(self) -> set[str]:
        """The concepts the learner marked done (whether or not the roadmap still has them)."""
        return {p["concept_id"] for p in self.progress if p["done"]}

    def out(self) -> RoadmapOut:
        """The roadmap with each concept's content status and version (the API's shape)."""
        return RoadmapOut(
            roadmap_id=self.roadmap.id,
            task_id=self.roadmap.task_id,
            title=self.framework.title,
            summary=self.framework.summary,
            generated_by=self.roadmap.generated_by,
            offline=self.offline,
            stages=[
                StageOut(
                    stage_id=s.stage.id,
                    name=s.stage.name,
                    description=s.stage.description,
                    modules=[
                        ModuleOut(
                            module_id=m.module.id,
                            name=m.module.name,
                            description=m.module.description,
                            concepts=[c.out() for c in m.concepts],
                        )
                        for m in s.modules
                    ],
                )
                for s in self.stages
            ],
            created_at=self.roadmap.created_at,
            updated_at=self.roadmap.updated_at,
        )

    def document(self) -> dict[str, Any]:
        """The roadmap as JSON data with each content entry's ``body`` and ``error``
        inline: the exported file, the shared page, the Markdown plan, the deck, the map."""
        document = self.out().model_dump(mode="json")
        views = {c.id: c for c in self.concepts()}
        for _, _, concept in document_concepts(document):
            view = views[concept["concept_id"]]
            for kind, entry in concept["content"].items():
                entry["body"] = view.body(kind)
                entry["error"] = view.error(kind)
        return document


def roadmap_view(
    roadmap: RoadmapRecord,
    content: Iterable[ContentItem],
    progress: Iterable[dict[str, Any]] = (),
) -> RoadmapView:
    """The view of ``roadmap`` with its newest ``content`` and a learner's ``progress``."""
    framework = Framework.model_validate(roadmap.framework)
    grouped = by_concept(content)
    rows = list(progress)
    learner = {row["concept_id"]: row for row in rows}
    stages = [
        StageView(
            stage,
            [
                ModuleView(
                    module,
                    [
                        ConceptView(
                            stage,
                            module,
                            concept,
                            grouped.get(concept.id, {}),
                            learner.get(concept.id, {}),
                        )
                        for concept in module.concepts
                    ],
                )
                for module in stage.modules
            ],
        )
        for stage in framework.stages
    ]
    return RoadmapView(roadmap, framework, stages, rows)


async def read_view(
    store: Store,
    roadmap: RoadmapRecord,
    learner: str | None = None,
    *,
    concept_id: str | None = None,
) -> RoadmapView:
    """The roadmap's view from the store: its newest content (only ``concept_id``'s when
    given) and, with a ``learner``, their progress."""
    content = await store.latest_content(roadmap.id, concept_id)
    progress = await store.progress(learner, roadmap.id) if learner is not None else []
    return roadmap_view(roadmap, content, progress)


def document_concepts(
    document: dict[str, Any],
) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(stage, module, concept) of a document in roadmap order."""
    for stage in document["stages"]:
        for module in stage["modules"]:
            for concept in module["concepts"]:
                yield stage, module, concept
