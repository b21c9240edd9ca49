"""Per-concept learning content: tutorial, resources, quiz."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator


class ContentKind(StrEnum):
    TUTORIAL = "tutorial"
    RESOURCES = "resources"
    QUIZ = "quiz"


class ContentStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


class Tutorial(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(min_length=1, max_length=2000)
    markdown: str = Field(min_length=1, max_length=60_000)
    estimated_minutes: int = Field(default=30, ge=1, le=2400)


class ResourceType(StrEnum):
    ARTICLE = "article"
    DOCUMENTATION = "documentation"
    VIDEO = "video"
    BOOK = "book"
    COURSE = "course"
    EXERCISE = "exercise"
    TOOL = "tool"


class Resource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    type: ResourceType = ResourceType.ARTICLE
    url: str | None = Field(default=None, max_length=2000)
    description: str = Field(default="", max_length=1000)
    verified: bool = Field(
        default=False, description="True only when a search provider returned this URL"
    )


class ResourceList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resources: list[Resource] = Field(min_length=1, max_length=20)


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class QuizQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=1000)
    options: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    ] = Field(min_length=2, max_length=6)
    answer: int = Field(ge=0, description="Index of the correct option")
    explanation: str = Field(default="", max_length=2000)
    difficulty: Difficulty = Difficulty.MEDIUM

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> QuizQuestion:
        if self.answer >= len(self.options):
            raise ValueError(
                f"answer {self.answer} is not an index of the {len(self.options)} options"
            )
        if len({option.casefold() for option in self.options}) != len(self.options):
            raise ValueError("options must be distinct")
        return self


class Quiz(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[QuizQuestion] = Field(min_length=1, max_length=20)

    def score(self, answers: list[int | None]) -> float:
        """Fraction of questions answered correctly (missing answers count as wrong)."""
        right = sum(
            1
            for index, question in enumerate(self.questions)
            if index < len(answers) and answers[index] == question.answer
        )
        return right / len(self.questions)

    def answers_problem(self, answers: list[int | None]) -> str | None:
        """Why ``answers`` cannot be recorded for this quiz (None when they can): more answers
        than questions, or an index that is not one of its question's options."""
        if len(answers) > len(self.questions):
            return f"the quiz has {len(self.questions)} questions, got {len(answers)} answers"
        for index, (answer, question) in enumerate(zip(answers, self.questions, strict=False)):
            if answer is not None and not 0 <= answer < len(question.options):
                return (
                    f"answer {index} is {answer}, but question {index} has "
                    f"{len(question.options)} options (0-{len(question.options) - 1})"
                )
        return None


CONTENT_MODELS: dict[ContentKind, type[BaseModel]] = {
    ContentKind.TUTORIAL: Tutorial,
    ContentKind.RESOURCES: ResourceList,
    ContentKind.QUIZ: Quiz,
}
