"""Quiz agent: at least three multiple-choice questions for one concept."""

from __future__ import annotations

from pydantic_ai import ModelRetry

from learnpath.agents.prompting import StructuredAgent, brief_context, structured_agent
from learnpath.agents.team import ConceptBrief
from learnpath.domain.content import Quiz
from learnpath.llm.guard import GuardedModel

MIN_QUESTIONS = 3


def build(model: GuardedModel, output_retries: int) -> StructuredAgent[Quiz]:
    agent = structured_agent("quiz", model, Quiz, output_retries, name="quiz", tool="quiz")

    @agent.agent.output_validator
    def _enough(quiz: Quiz) -> Quiz:
        if len(quiz.questions) < MIN_QUESTIONS:
            raise ModelRetry(f"Write at least {MIN_QUESTIONS} questions.")
        return quiz

    return agent


async def write(agent: StructuredAgent[Quiz], brief: ConceptBrief) -> Quiz:
    return await agent.ask(
        f"Write the quiz for the concept {brief.concept.name!r}.",
        brief_context(brief),
        brief.request.language,
    )
