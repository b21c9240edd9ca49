"""What a learner asks for, and ``parse_submission``: the one check every submit passes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from learnpath.domain.goal_text import parse_goal_numbers

SUPPORTED_LANGUAGES = ("en", "zh", "es", "fr", "de", "ja", "pt")
MAX_WEEKS = 520


class Level(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class ContentPreference(StrEnum):
    TEXT = "text"
    VIDEO = "video"
    HANDS_ON = "hands_on"
    PROJECTS = "projects"


class LearningRequest(BaseModel):
    """A learner's goal and constraints, validated at the edge of the system."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    goal: str = Field(min_length=3, max_length=2000, examples=["Become a backend engineer"])
    level: Level = Level.BEGINNER
    hours_per_week: StrictInt = Field(default=8, ge=1, le=168)
    deadline: dt.date | None = Field(
        default=None, description="Date the learner wants to finish by"
    )
    weeks: StrictInt | None = Field(
        default=None, ge=1, le=MAX_WEEKS, description="Alternative to a deadline"
    )
    background: str = Field(default="", max_length=2000)
    tech_stack: list[str] = Field(default_factory=list, max_length=30)
    preferences: list[ContentPreference] = Field(default_factory=list, max_length=4)
    language: str = Field(default="en", description="Output language (ISO 639-1)")
    review: StrictBool = Field(
        default=False, description="Pause for human review of the curriculum"
    )

    @model_validator(mode="before")
    @classmethod
    def _numbers_from_goal(cls, data: object) -> object:
        """Fill weekly hours and duration from the goal's words when no field gives them."""
        if not isinstance(data, dict) or not isinstance(data.get("goal"), str):
            return data
        said = parse_goal_numbers(data["goal"])
        filled = dict(data)
        if filled.get("hours_per_week") is None and said.hours_per_week is not None:
            filled["hours_per_week"] = min(168, said.hours_per_week)
        no_span = filled.get("weeks") is None and filled.get("deadline") is None
        if no_span and said.weeks is not None:
            filled["weeks"] = min(MAX_WEEKS, said.weeks)
        if filled.get("hours_per_week") is None:
            filled.pop("hours_per_week", None)
        return filled

    @field_validator("goal", "background", "language")
    @classmethod
    def _storable(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        value = value.lower()
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("tech_stack")
    @classmethod
    def _short_items(cls, value: list[str]) -> list[str]:
        cleaned = [item.strip() for item in value if item.strip()]
        if any("\x00" in item for item in cleaned):
            raise ValueError("tech_stack items must not contain NUL characters")
        if any(len(item) > 60 for item in cleaned):
            raise ValueError("each tech_stack item must be at most 60 characters")
        return cleaned

    def deadline_problem(self, today: dt.date) -> str | None:
        """Why the deadline cannot be accepted for a new request today (None when it can).

        Checked where requests come in, not by the model: a stored request whose deadline
        has since passed must still load when its task is resumed or retried.
        """
        if self.deadline is not None and self.deadline <= today:
            return f"the deadline {self.deadline.isoformat()} is not in the future"
        return None

    def available_weeks(self, today: dt.date) -> int:
        """Weeks the learner has: from ``weeks``, else the deadline, else 12."""
        if self.weeks is not None:
            return self.weeks
        if self.deadline is not None:
            return min(MAX_WEEKS, max(1, (self.deadline - today).days // 7))
        return 12

    def hour_budget(self, today: dt.date) -> int:
        return self.available_weeks(today) * self.hours_per_week


@dataclass(frozen=True)
class FieldProblem:
    """One reason a submission was refused: the field, a stable kind and what is wrong."""

    field: str
    kind: str
    message: str
    context: Mapping[str, Any]


class InvalidSubmission(ValueError):
    """A submission that cannot be accepted; ``problems`` says which field and why."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


def parse_submission(data: Mapping[str, Any], today: dt.date) -> LearningRequest:
    """Validate a new roadmap request, the same way for the API, the web form and the CLI.

    Types are strict (``"review": "yes"``, ``hours_per_week: true`` are refused), text
    may not hold NUL characters, and a deadline must lie after ``today``. Raises
    ``InvalidSubmission`` with every problem found.
    """
    try:
        request = LearningRequest.model_validate(dict(data))
    except ValidationError as exc:
        problems = [
            FieldProblem(
                field=".".join(str(part) for part in error["loc"]) or "request",
                kind=str(error["type"]),
                message=str(error["msg"]).removeprefix("Value error, "),
                context=dict(error.get("ctx") or {}),
            )
            for error in exc.errors()
        ]
        late = _past_deadline(data.get("deadline"), today)
        if late and not any(p.field == "deadline" for p in problems):
            problems.append(FieldProblem("deadline", "deadline_past", late, {}))
        raise InvalidSubmission(problems) from exc
    problem = request.deadline_problem(today)
    if problem:
        raise InvalidSubmission([FieldProblem("deadline", "deadline_past", problem, {})])
    return request


def _past_deadline(value: object, today: dt.date) -> str | None:
    """The deadline problem of a raw ``deadline`` value, so it is reported with the others."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.date) and value <= today:
        return f"the deadline {value.isoformat()} is not in the future"
    return None
