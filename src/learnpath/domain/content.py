"""Per-concept learning content: tutorial, resources, quiz."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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

    def check(self, answers: Sequence[int | None]) -> QuizResult:
        """Score ``answers`` (one option index per question, in order; None = skipped): the
        one rule every front end uses. More answers than questions, or an index that is
        not one of its question's options, raise ``InvalidAnswers``; missing answers count
        as wrong."""
        if len(answers) > len(self.questions):
            raise InvalidAnswers(
                "too_many",
                f"the quiz has {len(self.questions)} questions, got {len(answers)} answers",
                questions=len(self.questions),
                answers=len(answers),
            )
        for index, (answer, question) in enumerate(zip(answers, self.questions, strict=False)):
            if answer is not None and not 0 <= answer < len(question.options):
                raise InvalidAnswers(
                    "not_an_option",
                    f"answer {index} is {answer}, but question {index} has "
                    f"{len(question.options)} options (0-{len(question.options) - 1})",
                    index=index,
                    number=index + 1,
                )
        given = list(answers) + [None] * (len(self.questions) - len(answers))
        results = tuple(
            QuestionResult(
                index=index,
                chosen=chosen,
                answer=question.answer,
                correct=chosen == question.answer,
                explanation=question.explanation,
            )
            for index, (chosen, question) in enumerate(zip(given, self.questions, strict=True))
        )
        correct = sum(1 for r in results if r.correct)
        return QuizResult(
            answers=list(answers), score=correct / len(self.questions), results=results
        )


class InvalidAnswers(ValueError):
    """Answers that cannot be scored: ``kind`` is ``too_many`` or ``not_an_option``;
    ``params`` fill a front end's own wording (``questions``/``answers``, or the
    question's ``index`` and ``number``)."""

    def __init__(self, kind: str, message: str, **params: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.params = params


@dataclass(frozen=True)
class QuestionResult:
    index: int
    chosen: int | None
    answer: int
    correct: bool
    explanation: str


@dataclass(frozen=True)
class QuizResult:
    """Scored answers: as given, the fraction right, and each question's outcome."""

    answers: list[int | None]
    score: float
    results: tuple[QuestionResult, ...]

    @property
    def correct(self) -> int:
        return sum(1 for r in self.results if r.correct)


CONTENT_MODELS: dict[ContentKind, type[BaseModel]] = {
    ContentKind.TUTORIAL: Tutorial,
    ContentKind.RESOURCES: ResourceList,
    ContentKind.QUIZ: Quiz,
}
