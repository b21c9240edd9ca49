"""Quiz agent: at least three multiple-choice questions for one concept.

The model names the right option and the wrong ones separately, so every answer that fits
the published schema is a gradeable question: there is no answer index to get wrong. Code
places the right option among the others (a stable position per question) and drops wrong
options that repeat the right one or each other.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from learnpath.agents.prompting import (
    TOOL_OUTPUT,
    OutputStyle,
    StructuredAgent,
    brief_context,
    structured_agent,
)
from learnpath.agents.team import ConceptBrief
from learnpath.domain.content import Difficulty, Quiz, QuizQuestion
from learnpath.llm.errors import MODEL_OUTPUT_INVALID, ModelCallError
from learnpath.llm.guard import GuardedModel

MIN_QUESTIONS = 3

OptionText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=r"\S")
]


class QuestionAnswer(BaseModel):
    """One question as the model writes it."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=1000, pattern=r"\S")
    correct_option: OptionText
    wrong_options: list[OptionText] = Field(min_length=1, max_length=5)
    explanation: str = Field(default="", max_length=2000)
    difficulty: Difficulty = Difficulty.MEDIUM


class QuizAnswer(BaseModel):
    """What the model is asked for; the minimum number of questions is in the schema."""

    model_config = ConfigDict(extra="forbid")

    questions: list[QuestionAnswer] = Field(min_length=MIN_QUESTIONS, max_length=20)


def build(
    model: GuardedModel, output_retries: int, style: OutputStyle = TOOL_OUTPUT
) -> StructuredAgent[QuizAnswer]:
    return structured_agent("quiz", model, QuizAnswer, output_retries, tool="quiz", style=style)


async def write(agent: StructuredAgent[QuizAnswer], brief: ConceptBrief) -> Quiz:
    answer = await agent.ask(
        f"Write the quiz for the concept {brief.concept.name!r}.",
        brief_context(brief),
        brief.request.language,
    )
    quiz = to_quiz(answer)
    if quiz is None:
        raise ModelCallError(
            MODEL_OUTPUT_INVALID,
            f"The model {agent.model.display_name} wrote no question whose wrong options "
            "differ from the right one. Retry the task, or configure a more capable model "
            "with LEARNPATH_MODEL.",
        )
    return quiz


def to_quiz(answer: QuizAnswer) -> Quiz | None:
    """The stored quiz: the right option at a stable position; None when no question is left."""
    questions = []
    for item in answer.questions:
        seen = {item.correct_option.casefold()}
        wrong = []
        for option in item.wrong_options:
            if option.casefold() not in seen:
                seen.add(option.casefold())
                wrong.append(option)
        if not wrong:
            continue
        digest = hashlib.sha256(item.question.encode()).digest()
        position = digest[0] % (len(wrong) + 1)
        options = [*wrong[:position], item.correct_option, *wrong[position:]]
        questions.append(
            QuizQuestion(
                question=item.question,
                options=options,
                answer=position,
                explanation=item.explanation,
                difficulty=item.difficulty,
            )
        )
    return Quiz(questions=questions) if questions else None
