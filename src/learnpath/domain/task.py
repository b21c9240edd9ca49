"""The task state machine: statuses, steps and the transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    HUMAN_REVIEW_PENDING = "human_review_pending"
    COMPLETED = "completed"
    PARTIAL_FAILURE = "partial_failure"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def is_waiting(self) -> bool:
        """A state in which the task holds no worker and waits for someone."""
        return self in WAITING


class Step(StrEnum):
    QUEUED = "queued"
    INTENT_ANALYSIS = "intent_analysis"
    CURRICULUM_DESIGN = "curriculum_design"
    STRUCTURE_VALIDATION = "structure_validation"
    ROADMAP_EDIT = "roadmap_edit"
    HUMAN_REVIEW = "human_review"
    CONTENT_GENERATION = "content_generation"
    DONE = "done"


TERMINAL = frozenset(
    {TaskStatus.COMPLETED, TaskStatus.PARTIAL_FAILURE, TaskStatus.FAILED, TaskStatus.CANCELED}
)
WAITING = frozenset({TaskStatus.PENDING, TaskStatus.HUMAN_REVIEW_PENDING})

_S = TaskStatus
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    _S.PENDING: frozenset({_S.PROCESSING, _S.FAILED, _S.CANCELED}),
    _S.PROCESSING: frozenset(
        {
            _S.HUMAN_REVIEW_PENDING,
            _S.COMPLETED,
            _S.PARTIAL_FAILURE,
            _S.FAILED,
            _S.CANCELED,
            _S.PENDING,
        }
    ),
    _S.HUMAN_REVIEW_PENDING: frozenset({_S.PENDING, _S.CANCELED}),
    # Retry and regenerate queue a finished task again.
    _S.COMPLETED: frozenset({_S.PENDING}),
    _S.PARTIAL_FAILURE: frozenset({_S.PENDING}),
    _S.FAILED: frozenset({_S.PENDING}),
    _S.CANCELED: frozenset(),
}

#: The statuses a task may come from to reach each status (``TRANSITIONS`` turned around).
SOURCES: dict[TaskStatus, frozenset[TaskStatus]] = {
    target: frozenset(s for s, targets in TRANSITIONS.items() if target in targets)
    for target in TaskStatus
}


class IllegalTransition(ValueError):
    def __init__(self, current: TaskStatus, target: TaskStatus) -> None:
        super().__init__(f"a task cannot go from {current} to {target}")
        self.current = current
        self.target = target


def can_transition(current: TaskStatus, target: TaskStatus) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: TaskStatus, target: TaskStatus) -> None:
    if not can_transition(current, target):
        raise IllegalTransition(current, target)


STEP_ORDER: tuple[Step, ...] = tuple(Step)
