"""What store reads return: plain immutable records, independent of the tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal, Self

from sqlalchemy import Row

from learnpath.domain.task import Step, TaskStatus


class _FromRow:
    """Build a record from a row whose columns carry the record's field names."""

    @classmethod
    def from_row(cls, row: Row[Any]) -> Self:
        m = row._mapping
        return cls(**{name: m[name] for name in cls.__dataclass_fields__})  # type: ignore[attr-defined]


@dataclass(frozen=True)
class TaskError:
    step: str
    code: str
    message: str


@dataclass(frozen=True)
class TaskRecord:
    id: str
    user_id: str
    status: TaskStatus
    current_step: Step
    request: dict[str, Any]
    goal: str
    review: bool
    cancel_requested: bool
    edit_rounds: int
    review_round: int
    error: TaskError | None
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None
    last_event_seq: int = 0
    roadmap_id: str | None = None
    progress_done: int = 0
    progress_total: int = 0

    @classmethod
    def from_row(cls, row: Row[Any], **extra: Any) -> TaskRecord:
        m = row._mapping
        error = None
        if m["error_code"]:
            error = TaskError(
                step=m["error_step"] or "", code=m["error_code"], message=m["error_message"] or ""
            )
        return cls(
            id=m["id"],
            user_id=m["user_id"],
            status=TaskStatus(m["status"]),
            current_step=Step(m["current_step"]),
            request=m["request"],
            goal=m["goal"],
            review=m["review"],
            cancel_requested=m["cancel_requested"],
            edit_rounds=m["edit_rounds"],
            review_round=m["review_round"],
            error=error,
            created_at=m["created_at"],
            updated_at=m["updated_at"],
            finished_at=m["finished_at"],
            last_event_seq=m["event_seq"],
            **extra,
        )


@dataclass(frozen=True)
class EventRecord:
    task_id: str
    seq: int
    type: str
    data: dict[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True)
class JobRecord(_FromRow):
    id: int
    task_id: str
    state: str
    attempt: int
    max_attempts: int
    lease_owner: str | None
    lease_expires_at: dt.datetime | None
    published_at: dt.datetime | None
    created_at: dt.datetime
    last_error: str | None


@dataclass(frozen=True)
class ContentItem(_FromRow):
    id: int
    roadmap_id: str
    concept_id: str
    kind: str
    version: int
    status: str
    body: dict[str, Any] | None
    error_code: str | None
    error_message: str | None
    instructions: str | None
    generated_by: str | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class RoadmapRecord(_FromRow):
    id: str
    task_id: str
    user_id: str
    title: str
    framework: dict[str, Any]
    generated_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None = None
    shared_at: dt.datetime | None = None


@dataclass(frozen=True)
class StepRunRecord(_FromRow):
    id: int
    job_id: int
    step: str
    attempt: int
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    model_requests: int
    input_tokens: int
    output_tokens: int
    error_code: str | None
    error_message: str | None


@dataclass(frozen=True)
class UserRecord(_FromRow):
    id: str
    name: str
    is_admin: bool
    created_at: dt.datetime
    # The user's own submit limits; None: the settings' defaults.
    max_active_tasks: int | None = None
    submits_per_minute: int | None = None


@dataclass(frozen=True)
class TokenRecord(_FromRow):
    """An API token as it may be shown: never its secret, which is not stored."""

    id: str
    user_id: str
    user_name: str
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    def state(self, now: dt.datetime) -> Literal["active", "revoked", "expired"]:
        """``active``, ``revoked`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"
