"""Tutorial agent: a markdown lesson for one concept."""

from __future__ import annotations

from learnpath.agents.prompting import (
    TOOL_OUTPUT,
    OutputStyle,
    StructuredAgent,
    brief_context,
    structured_agent,
)
from learnpath.agents.team import ConceptBrief
from learnpath.domain.content import Tutorial
from learnpath.llm.guard import GuardedModel


def build(
    model: GuardedModel, output_retries: int, style: OutputStyle = TOOL_OUTPUT
) -> StructuredAgent[Tutorial]:
    return structured_agent(
        "tutorial", model, Tutorial, output_retries, tool="tutorial", style=style
    )


async def write(agent: StructuredAgent[Tutorial], brief: ConceptBrief) -> Tutorial:
    return await agent.ask(
        f"Write the tutorial for the concept {brief.concept.name!r}.",
        brief_context(brief),
        brief.request.language,
    )
