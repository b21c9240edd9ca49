"""What the workflow engine needs from the agents.

``learnpath.agents.build_team(settings)`` returns the real implementation (pydantic-ai
agents over the configured model, or the offline model); tests may pass any object
with these methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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


class AgentTeam(Protocol):
    @property
    def generated_by(self) -> str:
        """``offline`` for the offline model, else the model's name; shown with every result."""
        ...

    async def analyse_intent(self, request: LearningRequest) -> IntentAnalysis: ...

    async def design_curriculum(
        self, request: LearningRequest, intent: IntentAnalysis
    ) -> Framework: ...

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
