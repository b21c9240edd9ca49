"""A reviewer's decision on a parked roadmap: approve, or reject with feedback, with edits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from learnpath.domain.roadmap import (
    EditError,
    EditOp,
    Framework,
    Issue,
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
    """The reviewer's edits name unknown ids or cannot be applied."""


#: Structural issues no one can approve: content cannot be written for such a roadmap.
#: (An hour budget overrun is an error the validator repairs, but a reviewer may accept it.)
BLOCKING_CODES = frozenset(
    {
        "empty_framework",
        "empty_stage",
        "empty_module",
        "duplicate_id",
        "unknown_prerequisite",
        "self_prerequisite",
        "prerequisite_cycle",
    }
)


class BlockingIssues(Conflict):
    """Approval refused: the roadmap (after the reviewer's edits) has blocking issues."""

    def __init__(self, issues: list[Issue]) -> None:
        listed = "; ".join(issue.message for issue in issues[:10])
        super().__init__(
            f"the roadmap cannot be approved as it is: {listed} "
            "Reject it with feedback (or approve with edits that fix this); nothing was changed.",
            code="roadmap_has_blocking_issues",
        )
        self.issues = issues


def blocking_issues(framework: Framework) -> list[Issue]:
    """The issues of ``framework`` that make approving it impossible."""
    return [i for i in structural_issues(framework, hour_budget=1e9) if i.code in BLOCKING_CODES]


async def submit_review(store: Store, task_id: str, user_id: str, decision: ReviewDecision) -> None:
    """Record the decision and queue the next job; a second decision for one round is a Conflict."""
    task = await store.get_task(task_id, user_id)
    if task.status is not TaskStatus.HUMAN_REVIEW_PENDING:
        raise Conflict(
            f"the task is {task.status}, not waiting for review; nothing was changed",
            code="not_waiting_for_review",
            status=task.status,
        )
    edited = None
    current = None
    if task.roadmap_id is not None:
        roadmap = await store.get_roadmap(task.roadmap_id, user_id)
        current = Framework.model_validate(roadmap.framework)
    if decision.edits:
        if current is None:
            raise InvalidEdits("the task has no roadmap to edit yet")
        try:
            edited = apply_edits(current, decision.edits)
        except EditError as exc:
            raise InvalidEdits(str(exc)) from exc
    if decision.decision == "approve":
        approved = edited or current
        blocking = blocking_issues(approved) if approved is not None else []
        if blocking:
            raise BlockingIssues(blocking)
    await store.decide_review(
        task_id,
        user_id,
        approve=decision.decision == "approve",
        feedback=decision.feedback,
        operations=[op.model_dump(mode="json") for op in decision.edits] or None,
        edited_framework=edited.model_dump(mode="json") if edited else None,
    )
