"""What the workflow engine needs from the agents.

``learnpath.agents.build_team(settings)`` returns the real implementation (pydantic-ai
agents over the configured model, or the offline model); tests may pass any object
with these methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from learnpath.domain.content import Quiz, ResourceList, Tutorial
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import (
    Concept,
    EditPlan,
    Framework,
    IntentAnalysis,
    Issue,
    Module,
    Stage,
    ValidationResult,
)


@dataclass(frozen=True)
class ConceptBrief:
    """Everything a content agent is told about the concept it writes for."""

    request: LearningRequest
    intent: IntentAnalysis
    roadmap_title: str
    stage: Stage
    module: Module
    concept: Concept
    instructions: str | None = None
    prerequisites: tuple[Concept, ...] = ()
    """The concepts ``concept`` builds on (their names and summaries are in the prompt)."""

    @classmethod
    def of(
        cls,
        request: LearningRequest,
        intent: IntentAnalysis,
        framework: Framework,
        located: tuple[Stage, Module, Concept],
        instructions: str | None = None,
    ) -> ConceptBrief:
        """The brief for a concept of ``framework`` (``located``: its stage, module and
        itself), with the prerequisites it names that the framework holds."""
        stage, module, concept = located
        return cls(
            request=request,
            intent=intent,
            roadmap_title=framework.title,
            stage=stage,
            module=module,
            concept=concept,
            instructions=instructions,
            prerequisites=tuple(
                found for p in concept.prerequisites if (found := framework.concept(p)) is not None
            ),
        )


class DesignJournal(Protocol):
    """Where a curriculum being designed keeps its finished parts (the outline, each stage).

    A design asks ``recorded(part)`` before each part and ``record``s it once done, so a
    design resumed after a crash reuses what was finished instead of asking the model again.
    """

    def recorded(self, part: str) -> dict[str, Any] | None: ...

    async def record(self, part: str, data: dict[str, Any], *, event: str, **summary: Any) -> None:
        """Keep ``data`` as ``part``; ``event`` and ``summary`` describe it in the task's log."""
        ...


@dataclass
class MemoryJournal:
    """A ``DesignJournal`` that keeps the parts in memory (a design nothing resumes)."""

    parts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def recorded(self, part: str) -> dict[str, Any] | None:
        return self.parts.get(part)

    async def record(self, part: str, data: dict[str, Any], *, event: str, **summary: Any) -> None:
        self.parts[part] = data


class AgentTeam(Protocol):
    @property
    def generated_by(self) -> str:
        """``offline`` for the offline model, else the model's name; shown with every result."""
        ...

    async def aclose(self) -> None:
        """Release what the team holds (its models' HTTP clients); called by its builder."""
        ...

    async def analyse_intent(self, request: LearningRequest) -> IntentAnalysis: ...

    async def design_curriculum(
        self,
        request: LearningRequest,
        intent: IntentAnalysis,
        journal: DesignJournal | None = None,
    ) -> Framework:
        """The curriculum; finished parts are kept in ``journal`` (and reused from it)."""
        ...

    async def validate_structure(
        self, request: LearningRequest, intent: IntentAnalysis, framework: Framework
    ) -> ValidationResult: ...

    async def edit_roadmap(
        self,
        request: LearningRequest,
        framework: Framework,
        issues: list[Issue],
        feedback: str | None,
    ) -> EditPlan: ...

    async def write_tutorial(self, brief: ConceptBrief) -> Tutorial: ...

    async def recommend_resources(self, brief: ConceptBrief) -> ResourceList: ...

    async def write_quiz(self, brief: ConceptBrief) -> Quiz: ...
