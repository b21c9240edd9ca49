"""Request and response bodies of the HTTP API (the OpenAPI document is built from these)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from learnpath.domain.task import Step, TaskStatus


class Problem(BaseModel):
    """An error, as ``application/problem+json``. Branch on ``code``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://learnpath.dev/problems/not_found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no task 6f1c…"])
    code: str = Field(examples=["not_found"])


class TaskErrorOut(BaseModel):
    step: str
    code: str
    message: str


class ProgressOut(BaseModel):
    done: int = Field(ge=0)
    total: int = Field(ge=0)


class TaskOut(BaseModel):
    """A generation task: where it is and what happened."""

    task_id: str
    status: TaskStatus
    current_step: Step
    roadmap_id: str | None
    error: TaskErrorOut | None
    progress: ProgressOut
    goal: str
    review: bool
    cancel_requested: bool
    request: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "task_id": "3b8e1c1e-2a57-4f7a-9d55-0d2f8f0b6a11",
                    "status": "processing",
                    "current_step": "content_generation",
                    "roadmap_id": "3b8e1c1e-2a57-4f7a-9d55-0d2f8f0b6a11",
                    "error": None,
                    "progress": {"done": 4, "total": 12},
                    "goal": "Become a backend engineer",
                    "review": False,
                    "cancel_requested": False,
                    "request": {"goal": "Become a backend engineer", "hours_per_week": 8},
                    "created_at": "2025-01-01T10:00:00Z",
                    "updated_at": "2025-01-01T10:02:00Z",
                    "finished_at": None,
                }
            ]
        }
    )


class TaskAccepted(BaseModel):
    task_id: str
    status: TaskStatus


class TaskPage(BaseModel):
    items: list[TaskOut]
    next_cursor: str | None = Field(description="Pass back as ?cursor= for the next page")


ErrorBody = TypeVar("ErrorBody", bound=BaseModel)


def error_out(kind: type[ErrorBody], code: str | None, message: str | None) -> ErrorBody | None:
    """A recorded error as ``kind`` (a body with ``code`` and ``message``); None without a code."""
    return kind(code=code, message=message or "") if code else None


class StepErrorOut(BaseModel):
    code: str
    message: str


class AgentUsageOut(BaseModel):
    """One agent's HTTP attempts to its model by outcome (``answered``, ``retried_429``…)."""

    outcomes: dict[str, int] = Field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0


class StepRunOut(BaseModel):
    step: str
    attempt: int
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    duration_s: float | None
    model_requests: int
    input_tokens: int
    output_tokens: int
    error: StepErrorOut | None
    agents: dict[str, AgentUsageOut] = Field(default_factory=dict)


class TraceOut(BaseModel):
    task_id: str
    steps: list[StepRunOut]
    model_requests: int
    input_tokens: int
    output_tokens: int
    agents: dict[str, AgentUsageOut] = Field(default_factory=dict)


class ContentErrorOut(BaseModel):
    code: str
    message: str


class ContentOut(BaseModel):
    status: str
    version: int = Field(ge=0)
    body: dict[str, Any] | None
    error: ContentErrorOut | None
    generated_by: str | None
    instructions: str | None
    updated_at: dt.datetime | None


class ConceptContents(BaseModel):
    tutorial: ContentOut
    resources: ContentOut
    quiz: ContentOut


class ConceptDetail(BaseModel):
    """One concept with the newest version of its tutorial, resources and quiz."""

    roadmap_id: str
    concept_id: str
    stage_id: str
    module_id: str
    name: str
    description: str
    estimated_hours: float
    difficulty: str
    prerequisites: list[str]
    offline: str | None
    content: ConceptContents


class RegenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instructions: str | None = Field(
        default=None, max_length=2000, examples=["More hands-on examples, fewer definitions"]
    )


class RegenerateAccepted(BaseModel):
    task_id: str
    roadmap_id: str
    concept_id: str
    version: int
    status: TaskStatus


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done: StrictBool = Field(examples=[True])


Answer = Annotated[StrictInt, Field(ge=0, le=100)]


class QuizAnswersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: list[Answer | None] = Field(
        max_length=50,
        description="The chosen option index for each question, in order (null = skipped)",
        examples=[[1, 0, None, 2]],
    )


class ConceptProgressOut(BaseModel):
    concept_id: str
    done: bool
    quiz_answers: list[int | None] | None
    quiz_score: float | None
    updated_at: dt.datetime


class QuestionResult(BaseModel):
    index: int
    chosen: int | None
    answer: int
    correct: bool
    explanation: str


class QuizResultOut(BaseModel):
    concept_id: str
    score: float = Field(ge=0, le=1)
    correct: int
    total: int
    results: list[QuestionResult]
    progress: ConceptProgressOut


class RoadmapProgressOut(BaseModel):
    roadmap_id: str
    done: int
    total: int
    concepts: list[ConceptProgressOut]


class HealthOut(BaseModel):
    status: str = Field(examples=["ok"])


class ReadyOut(BaseModel):
    status: str = Field(examples=["ready"])
    checks: dict[str, str] = Field(examples=[{"database": "ok", "broker": "skipped"}])


class DiagnosticsOut(BaseModel):
    tasks_by_status: dict[str, int]
    jobs_by_state: dict[str, int]
    expired_leases: int
    oldest_queued_age_s: float | None
    unpublished_jobs: int
    published_unclaimed: int
    recent_failures: list[dict[str, Any]]
    step_durations: dict[str, dict[str, float]]
    model_usage: dict[str, int]
    recoveries: int = Field(description="Worker deaths the queue recovered from")
    recovered_tasks: int = Field(description="Tasks that had at least one recovery")
    recent_recoveries: list[dict[str, Any]] = Field(
        description="The latest recovered jobs: task id, recoveries and the last reason"
    )
    cluster: dict[str, Any] | None = Field(
        default=None, description="Celery mode: broker, queues, live workers and a verdict"
    )
