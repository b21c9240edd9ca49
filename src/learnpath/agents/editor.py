"""Editor agent: edit operations (by id) that fix the issues and/or the reviewer's feedback.

The plan is checked against the framework before it is accepted: operations naming ids that
do not exist are sent back to the model to correct (an output retry) while re-asks remain;
the last answer is kept, and the workflow applies the operations that fit and records the
ones it skipped, instead of failing the step over a few bad ids.
"""

from __future__ import annotations

import datetime as dt

from pydantic_ai import ModelRetry

from learnpath.agents.prompting import TOOL_OUTPUT, OutputStyle, StructuredAgent, structured_agent
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import EditError, EditPlan, Framework, Issue, apply_edits
from learnpath.llm.guard import GuardedModel


def build(
    model: GuardedModel, output_retries: int, style: OutputStyle = TOOL_OUTPUT
) -> StructuredAgent[EditPlan]:
    agent = structured_agent(
        "editor", model, EditPlan, output_retries, tool="edit_plan", style=style
    )

    @agent.output_check
    def _applies(framework: Framework, plan: EditPlan, last_attempt: bool) -> EditPlan:
        # While re-asks remain, send a plan naming unknown ids back; the last answer is
        # accepted as it is, and the workflow applies what fits and records what it skipped.
        if last_attempt:
            return plan
        try:
            apply_edits(framework, plan.operations)
        except EditError as exc:
            raise ModelRetry(f"The plan cannot be applied: {exc}. Use only existing ids.") from exc
        return plan

    return agent


async def plan_edits(
    agent: StructuredAgent[EditPlan],
    request: LearningRequest,
    framework: Framework,
    issues: list[Issue],
    feedback: str | None,
    today: dt.date,
) -> EditPlan:
    context = {
        "language": request.language,
        "request": request.model_dump(mode="json"),
        "hour_budget": request.hour_budget(today),
        "framework": framework.model_dump(mode="json"),
        "issues": [i.model_dump(mode="json") for i in issues],
        "feedback": feedback,
    }
    return await agent.ask(
        "Plan the edits that fix this roadmap.", context, request.language, deps=framework
    )
