"""Validator agent: deterministic structural checks plus the model's review."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from learnpath.agents.prompting import TOOL_OUTPUT, OutputStyle, StructuredAgent, structured_agent
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import (
    Framework,
    IntentAnalysis,
    Issue,
    ValidationResult,
    structural_issues,
)
from learnpath.llm.guard import GuardedModel


class StructureReview(BaseModel):
    """Issues the model found beyond the deterministic checks, and a short comment."""

    model_config = ConfigDict(extra="forbid")

    issues: list[Issue] = Field(default_factory=list, max_length=30)
    comments: str = Field(default="", max_length=2000)


def build(
    model: GuardedModel, output_retries: int, style: OutputStyle = TOOL_OUTPUT
) -> StructuredAgent[StructureReview]:
    return structured_agent(
        "validator",
        model,
        StructureReview,
        output_retries,
        tool="structure_review",
        style=style,
    )


async def validate(
    agent: StructuredAgent[StructureReview],
    request: LearningRequest,
    intent: IntentAnalysis,
    framework: Framework,
    today: dt.date,
) -> ValidationResult:
    """Structural issues first; the model's issues are added unless they repeat one."""
    budget = request.hour_budget(today)
    found = structural_issues(framework, budget)
    context = {
        "language": request.language,
        "request": request.model_dump(mode="json"),
        "intent": intent.model_dump(mode="json"),
        "hour_budget": budget,
        "framework": framework.model_dump(mode="json"),
        "known_issues": [i.model_dump(mode="json") for i in found],
    }
    review = await agent.ask("Review this roadmap's structure.", context, request.language)
    return ValidationResult.from_issues(merge_issues(found, review.issues, framework))


def merge_issues(found: list[Issue], extra: list[Issue], framework: Framework) -> list[Issue]:
    """``found`` plus each new (code, target) of ``extra``; unknown targets become None."""
    ids = set(framework.all_ids())
    merged = list(found)
    seen = {(i.code, i.target_id) for i in found}
    for issue in extra:
        if issue.target_id is not None and issue.target_id not in ids:
            issue = issue.model_copy(update={"target_id": None})
        if (issue.code, issue.target_id) not in seen:
            seen.add((issue.code, issue.target_id))
            merged.append(issue)
    return merged
