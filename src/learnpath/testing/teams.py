"""Agent teams for tests: tiny, fast and scriptable, with the real interface.

``TinyTeam`` writes a one-stage, one-module roadmap with ``concepts`` concepts; hooks
let a test make any call fail, block or count.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable

from learnpath.agents.team import ConceptBrief, DesignJournal
from learnpath.domain.content import Quiz, QuizQuestion, Resource, ResourceList, Tutorial
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import (
    Concept,
    EditPlan,
    Framework,
    IntentAnalysis,
    Issue,
    Module,
    Rename,
    Stage,
    ValidationResult,
    structural_issues,
)

Hook = Callable[[str, object], Awaitable[None]]


class TinyTeam:
    """A deterministic team that answers instantly (or as a test's ``hook`` says)."""

    def __init__(self, *, concepts: int = 1, hook: Hook | None = None, delay: float = 0.0) -> None:
        self.concepts = concepts
        self.hook = hook
        self.delay = delay
        self.calls: Counter[str] = Counter()

    @property
    def generated_by(self) -> str:
        return "tiny-test-team"

    async def aclose(self) -> None:
        """Nothing to release."""

    async def _call(self, name: str, subject: object) -> None:
        self.calls[name] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hook is not None:
            await self.hook(name, subject)

    async def analyse_intent(self, request: LearningRequest) -> IntentAnalysis:
        await self._call("intent", request)
        return IntentAnalysis(
            goal_summary=request.goal,
            target_role="learner",
            domain="general",
            current_level=request.level,
            key_skills=["basics"],
            weekly_hours=request.hours_per_week,
            total_weeks=request.available_weeks(dt.date.today()),
        )

    async def design_curriculum(
        self,
        request: LearningRequest,
        intent: IntentAnalysis,
        journal: DesignJournal | None = None,
    ) -> Framework:
        await self._call("curriculum", intent)
        concepts = [
            Concept(id=f"c{n}", name=f"Concept {n}", estimated_hours=1.0)
            for n in range(1, self.concepts + 1)
        ]
        module = Module(id="m1", name="Module 1", concepts=concepts)
        return Framework(
            title=f"Roadmap: {request.goal}",
            stages=[Stage(id="s1", name="Stage 1", modules=[module])],
        )

    async def validate_structure(
        self, request: LearningRequest, intent: IntentAnalysis, framework: Framework
    ) -> ValidationResult:
        await self._call("validate", framework)
        errors = [i for i in structural_issues(framework, 10_000) if i.severity == "error"]
        return ValidationResult.from_issues(errors)

    async def edit_roadmap(
        self,
        request: LearningRequest,
        framework: Framework,
        issues: list[Issue],
        feedback: str | None,
    ) -> EditPlan:
        await self._call("edit", feedback)
        return EditPlan(
            operations=[
                Rename(
                    op="rename",
                    target_id=framework.stages[0].id,
                    name=f"Stage 1 ({feedback or 'fixed'})",
                )
            ],
            rationale="tiny edit",
        )

    async def write_tutorial(self, brief: ConceptBrief) -> Tutorial:
        await self._call("tutorial", brief)
        return Tutorial(
            title=brief.concept.name, summary="summary", markdown=f"# {brief.concept.name}\n"
        )

    async def recommend_resources(self, brief: ConceptBrief) -> ResourceList:
        await self._call("resources", brief)
        return ResourceList(resources=[Resource(title=f"Docs for {brief.concept.name}")])

    async def write_quiz(self, brief: ConceptBrief) -> Quiz:
        await self._call("quiz", brief)
        return Quiz(questions=[QuizQuestion(question="2+2?", options=["3", "4"], answer=1)])


class StudyTeam(TinyTeam):
    """``TinyTeam`` with content worth studying: a tutorial in sections, linked resources and
    a three-question quiz. Regenerating with instructions changes only the last question, so
    a test can see which review cards keep their schedule."""

    async def write_tutorial(self, brief: ConceptBrief) -> Tutorial:
        await self._call("tutorial", brief)
        name = brief.concept.name
        markdown = (
            f"# {name}\n\n{name} is where the stage begins.\n\n"
            f"## Why it matters\n\n{name} matters because every later concept builds on it. "
            "Practise it daily.\n\n"
            f"## Worked example\n\nA worked example of {name}: write it, run it, check it.\n"
        )
        return Tutorial(title=name, summary=f"About {name}", markdown=markdown)

    async def recommend_resources(self, brief: ConceptBrief) -> ResourceList:
        await self._call("resources", brief)
        slug = brief.concept.id
        return ResourceList(
            resources=[
                Resource(title=f"Guide to {brief.concept.name}", url=f"https://example.org/{slug}"),
                Resource(title=f"Exercises for {brief.concept.name}"),
            ]
        )

    async def write_quiz(self, brief: ConceptBrief) -> Quiz:
        await self._call("quiz", brief)
        name = brief.concept.name
        last = f"What comes after {name}?" + (
            f" ({brief.instructions})" if brief.instructions else ""
        )
        return Quiz(
            questions=[
                QuizQuestion(question=f"What is {name}?", options=["a start", "an end"], answer=0),
                QuizQuestion(
                    question=f"Why learn {name}?", options=["no reason", "it builds"], answer=1
                ),
                QuizQuestion(question=last, options=["more", "nothing"], answer=0),
            ]
        )
