"""Intent agent: what the learner wants, what they know, and how much time they have."""

from __future__ import annotations

import datetime as dt

from learnpath.agents.prompting import TOOL_OUTPUT, OutputStyle, StructuredAgent, structured_agent
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import IntentAnalysis
from learnpath.llm.guard import GuardedModel


def build(
    model: GuardedModel, output_retries: int, style: OutputStyle = TOOL_OUTPUT
) -> StructuredAgent[IntentAnalysis]:
    return structured_agent(
        "intent",
        model,
        IntentAnalysis,
        output_retries,
        tool="intent_analysis",
        style=style,
    )


async def analyse(
    agent: StructuredAgent[IntentAnalysis], request: LearningRequest, today: dt.date
) -> IntentAnalysis:
    """Ask for the analysis; the time facts come from the request, not the model."""
    weeks = min(520, request.available_weeks(today))
    context = {
        "language": request.language,
        "request": request.model_dump(mode="json"),
        "today": today.isoformat(),
        "available_weeks": weeks,
        "hour_budget": request.hour_budget(today),
    }
    intent = await agent.ask("Analyse this learner's goal.", context, request.language)
    return intent.model_copy(
        update={"weekly_hours": request.hours_per_week, "total_weeks": max(1, weeks)}
    )
