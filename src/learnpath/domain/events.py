"""The task event log's vocabulary: every event type, and which ones end a live stream.

An event is one row of a task's ordered log (``task_events``). Its type is one of
``EventType``; the data it carries is described next to each member. Every reader
that follows a task (the API's SSE, the web page, the CLI) stops on the same rule:
``EventType.ends_stream``.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    # The task's lifecycle (status changes).
    TASK_CREATED = "task_created"
    TASK_STARTED = "task_started"
    TASK_REQUEUED = "task_requeued"
    TASK_RELEASED = "task_released"
    TASK_RETRIED = "task_retried"
    TASK_COMPLETED = "task_completed"
    TASK_PARTIALLY_FAILED = "task_partially_failed"
    TASK_FAILED = "task_failed"
    TASK_CANCELED = "task_canceled"
    CANCEL_REQUESTED = "cancel_requested"
    # The workflow's steps.
    STEP_STARTED = "step_started"
    STEP_COMPLETED = "step_completed"
    CURRICULUM_OUTLINED = "curriculum_outlined"
    STAGE_DESIGNED = "stage_designed"
    REVIEW_REQUIRED = "review_required"
    REVIEW_DECIDED = "review_decided"
    # Content.
    CONCEPT_COMPLETED = "concept_completed"
    CONCEPT_FAILED = "concept_failed"
    CONCEPT_REGENERATING = "concept_regenerating"
    # The learner's workspace.
    ROADMAP_EDITED = "roadmap_edited"
    ROADMAP_RENAMED = "roadmap_renamed"
    ROADMAP_TRASHED = "roadmap_trashed"
    ROADMAP_RESTORED = "roadmap_restored"
    ROADMAP_SHARED = "roadmap_shared"
    ROADMAP_UNSHARED = "roadmap_unshared"
    ROADMAP_FORKED = "roadmap_forked"

    @property
    def is_terminal(self) -> bool:
        """The task reached a terminal status with this event."""
        return self in TERMINAL_EVENTS

    @property
    def ends_stream(self) -> bool:
        """A live stream ends after this event: the task is terminal or waits for a person.

        A client reconnects after it decides a review or retries the task.
        """
        return self in TERMINAL_EVENTS or self is EventType.REVIEW_REQUIRED


TERMINAL_EVENTS = frozenset(
    {
        EventType.TASK_COMPLETED,
        EventType.TASK_PARTIALLY_FAILED,
        EventType.TASK_FAILED,
        EventType.TASK_CANCELED,
    }
)

DESIGN_PART_EVENTS = frozenset({EventType.CURRICULUM_OUTLINED, EventType.STAGE_DESIGNED})
"""Events that carry a finished part of a curriculum being designed."""


def ends_stream(type_: str) -> bool:
    """``EventType.ends_stream`` for a stored type; unknown types never end a stream."""
    try:
        return EventType(type_).ends_stream
    except ValueError:
        return False
