"""A reviewer's decision on a parked roadmap: approve, or reject with feedback, with edits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import (
    EditError,
    EditOp,
    Framework,
    Severity,
    apply_edits,
    structural_issues,
)
from learnpath.domain.task import TaskStatus
from learnpath.store import Conflict, Store


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: str = Field(pattern="^(approve|reject)$", examples=["approve", "reject"])
    feedback: str | None = Field(default=None, max_length=4000)
    edits: list[EditOp] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _reject_needs_feedback(self) -> ReviewDecision:
        if self.decision == "reject" and not (self.feedback or "").strip():
            raise ValueError("a rejection needs feedback that says what to change")
        return self


class InvalidEdits(ValueError):
    """The reviewer's edits name unknown ids or leave the roadmap structurally broken."""


async def submit_review(store: Store, task_id: str, user_id: str, decision: ReviewDecision) -> None:
    """Record the decision and queue the next job; a second decision for one round is a Conflict."""
    task = await store.get_task(task_id, user_id)
    if task.status is not TaskStatus.HUMAN_REVIEW_PENDING:
        raise Conflict(
            f"the task is {task.status}, not waiting for review; nothing was changed",
            code="not_waiting_for_review",
        )
    edited = None
    if decision.edits:
        if task.roadmap_id is None:
            raise InvalidEdits("the task has no roadmap to edit yet")
        roadmap = await store.get_roadmap(task.roadmap_id, user_id)
        try:
            edited = apply_edits(Framework.model_validate(roadmap.framework), decision.edits)
        except EditError as exc:
            raise InvalidEdits(str(exc)) from exc
        if decision.decision == "approve":
            request = LearningRequest.model_validate(task.request)
            errors = [
                issue.message
                for issue in structural_issues(edited, request.hour_budget(task.created_at.date()))
                if issue.severity is Severity.ERROR
            ]
            if errors:
                raise InvalidEdits("the edited roadmap is not valid: " + "; ".join(errors[:5]))
    await store.decide_review(
        task_id,
        user_id,
        approve=decision.decision == "approve",
        feedback=decision.feedback,
        operations=[op.model_dump(mode="json") for op in decision.edits] or None,
        edited_framework=edited.model_dump(mode="json") if edited else None,
    )
