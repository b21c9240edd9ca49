"""Change a finished roadmap with the review's edit operations.

The operations are applied by the domain (``apply_edits``) to the roadmap as it is; a
result with a blocking problem (a cycle, an empty module or stage, an unknown
prerequisite) or an operation naming an unknown id is refused and changes nothing. The
store then records the edit, drops the removed concepts' content and progress, and
queues content for the new concepts as a job of the roadmap's task.
"""

from __future__ import annotations

from learnpath.domain.roadmap import EditError, EditOp, Framework, Issue, apply_edits
from learnpath.store import Store
from learnpath.store.workspace import EditOutcome, require_editable
from learnpath.workflow.review import InvalidEdits, blocking_issues


class EditsRefused(InvalidEdits):
    """The edit cannot be applied (``invalid_edits``) or would break the roadmap
    (``edit_breaks_roadmap``, with the ``issues``); nothing was changed."""

    def __init__(self, message: str, code: str, issues: list[Issue] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.issues = issues or []


async def change_roadmap(
    store: Store, roadmap_id: str, user_id: str, operations: list[EditOp], note: str = ""
) -> EditOutcome:
    roadmap = await store.get_roadmap(roadmap_id, user_id)
    require_editable((await store.get_task(roadmap.task_id, user_id)).status)
    if not operations:
        raise EditsRefused("give at least one operation; nothing was changed", "invalid_edits")
    try:
        edited = apply_edits(Framework.model_validate(roadmap.framework), operations)
    except EditError as exc:
        raise EditsRefused(f"{exc}; nothing was changed", "invalid_edits") from exc
    blocking = blocking_issues(edited)
    if blocking:
        listed = "; ".join(issue.message for issue in blocking[:10])
        raise EditsRefused(
            f"the edit would break the roadmap: {listed} Nothing was changed.",
            "edit_breaks_roadmap",
            blocking,
        )
    return await store.record_learner_edit(
        roadmap.id,
        user_id,
        base=roadmap.framework,
        operations=[op.model_dump(mode="json") for op in operations],
        edited=edited.model_dump(mode="json"),
        note=note,
    )
