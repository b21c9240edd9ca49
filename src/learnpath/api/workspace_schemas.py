"""Request and response bodies of the learner's workspace routes (export, schedule, edits,
trash, share, fork)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from learnpath.domain.request import MAX_WEEKS, Level
from learnpath.domain.roadmap import EditOp
from learnpath.domain.schedule import PaceStatus
from learnpath.domain.task import TaskStatus


class EditsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operations: list[EditOp] = Field(
        min_length=1,
        max_length=100,
        description="Applied in order, as in review: add_stage, add_module, add_concept, "
        "remove, rename, move, update",
        examples=[[{"op": "rename", "target_id": "c2", "name": "SQL joins in practice"}]],
    )
    note: str = Field(default="", max_length=2000, description="Why, kept with the change")


class EditOut(BaseModel):
    roadmap_id: str
    task_id: str
    edit_id: int
    added: list[str] = Field(description="Ids of the new concepts (their content is queued)")
    removed: list[str] = Field(description="Ids of the concepts removed with their progress")
    content_queued: bool
    status: TaskStatus


class EditRecordOut(BaseModel):
    edit_id: int
    source: str = Field(description="validator, feedback, reviewer or learner")
    user_id: str | None = Field(description="Who made it (none for the model's own edits)")
    operations: list[dict[str, Any]]
    note: str
    created_at: dt.datetime


class HistoryOut(BaseModel):
    roadmap_id: str
    edits: list[EditRecordOut]


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300, examples=["My backend plan"])


class PaceOut(BaseModel):
    status: PaceStatus
    due_hours: float
    done_hours: float


class LearnerOut(BaseModel):
    """The caller's own progress on a roadmap (not the generation's)."""

    done: int
    total: int
    quiz_average: float | None = Field(description="Mean quiz score (0-1) of the quizzes taken")
    pace: PaceOut


class WorkspaceRoadmap(BaseModel):
    roadmap_id: str
    task_id: str
    title: str
    generated_by: str
    shared: bool
    deleted_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    learner: LearnerOut | None = None


class WorkspacePage(BaseModel):
    items: list[WorkspaceRoadmap]
    next_cursor: str | None


class ShareOut(BaseModel):
    url: str = Field(description="Opens the roadmap read-only, without signing in")
    token: str = Field(description="Shown once: only its hash is stored")
    shared_at: dt.datetime


class ForkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours_per_week: StrictInt = Field(default=8, ge=1, le=168)
    weeks: StrictInt | None = Field(default=None, ge=1, le=MAX_WEEKS, description="Default: to fit")
    level: Level = Level.BEGINNER


class ForkOut(BaseModel):
    roadmap_id: str
    task_id: str
    status: TaskStatus
