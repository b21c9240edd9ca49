"""``LLMTeam``: the ``AgentTeam`` built on pydantic-ai agents over the configured models."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from learnpath.agents import curriculum, editor, intent, quiz, resources, tutorial, validator
from learnpath.agents.prompting import TOOL_OUTPUT, OutputStyle
from learnpath.agents.team import ConceptBrief, DesignJournal
from learnpath.domain.content import Quiz, ResourceList, Tutorial
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import EditPlan, Framework, IntentAnalysis, Issue, ValidationResult
from learnpath.llm.guard import Sleep
from learnpath.llm.models import (
    AGENT_NAMES,
    OFFLINE,
    ModelCache,
    check_agent_models,
    model_for,
)
from learnpath.search.hits import SearchProvider
from learnpath.search.providers import link_checker_from, search_from
from learnpath.settings import Settings


class LLMTeam:
    """The seven agents, each on its own (possibly shared) guarded model.

    ``today`` supplies the date hour budgets are computed from (a deadline is a date);
    ``search`` is the optional web search for resources; ``sleep`` is the retry back-off
    sleep (tests pass a fake to avoid waiting).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        search: SearchProvider | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        check_agent_models(settings)
        # One cache: agents on the same endpoint share one provider, so one HTTP client.
        self._models = ModelCache(own_clients=True)
        models = {
            name: model_for(settings, name, sleep=sleep, cache=self._models) for name in AGENT_NAMES
        }
        for name, model in models.items():
            model.agent = name  # usage is counted per agent
        retries = settings.output_retries  # 0 means the model is never re-asked
        style = OutputStyle(mode=settings.output_mode, strict=settings.strict_output)
        # The offline model answers through its output tool whatever the setting says.
        styles = {
            name: TOOL_OUTPUT if model.display_name == OFFLINE else style
            for name, model in models.items()
        }
        self._labels = sorted({m.display_name for m in models.values()})
        self._today = today
        self._search = search if search is not None else search_from(settings)
        self._links = link_checker_from(settings) if self._search is not None else None
        self._intent = intent.build(models["intent"], retries, styles["intent"])
        self._curriculum = curriculum.CurriculumAgents(
            models["curriculum"], retries, styles["curriculum"]
        )
        self._validator = validator.build(models["validator"], retries, styles["validator"])
        self._editor = editor.build(models["editor"], retries, styles["editor"])
        self._tutorial = tutorial.build(models["tutorial"], retries, styles["tutorial"])
        self._resources = resources.build(models["resources"], retries, styles["resources"])
        self._quiz = quiz.build(models["quiz"], retries, styles["quiz"])

    @property
    def generated_by(self) -> str:
        """``offline`` when every agent is offline, else the model name(s) in use."""
        remote = [label for label in self._labels if label != OFFLINE]
        if not remote:
            return OFFLINE
        return " + ".join(remote + ([OFFLINE] if OFFLINE in self._labels else []))

    async def aclose(self) -> None:
        await self._models.aclose()

    async def analyse_intent(self, request: LearningRequest) -> IntentAnalysis:
        return await intent.analyse(self._intent, request, self._today())

    async def design_curriculum(
        self,
        request: LearningRequest,
        intent: IntentAnalysis,
        journal: DesignJournal | None = None,
    ) -> Framework:
        return await curriculum.design(self._curriculum, request, intent, self._today(), journal)

    async def validate_structure(
        self, request: LearningRequest, intent: IntentAnalysis, framework: Framework
    ) -> ValidationResult:
        return await validator.validate(self._validator, request, intent, framework, self._today())

    async def edit_roadmap(
        self,
        request: LearningRequest,
        framework: Framework,
        issues: list[Issue],
        feedback: str | None,
    ) -> EditPlan:
        return await editor.plan_edits(
            self._editor, request, framework, issues, feedback, self._today()
        )

    async def write_tutorial(self, brief: ConceptBrief) -> Tutorial:
        return await tutorial.write(self._tutorial, brief)

    async def recommend_resources(self, brief: ConceptBrief) -> ResourceList:
        return await resources.recommend(self._resources, brief, self._search, self._links)

    async def write_quiz(self, brief: ConceptBrief) -> Quiz:
        return await quiz.write(self._quiz, brief)
