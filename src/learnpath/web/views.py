"""What the pages show, built from store records: plain dicts the templates and JSON share."""

from __future__ import annotations

from typing import Any

from learnpath.domain.task import Step, TaskStatus
from learnpath.store import Store
from learnpath.store.records import EventRecord, StepRunRecord, TaskRecord
from learnpath.web.i18n import EN, label, translate

TIMELINE_STEPS = (
    Step.INTENT_ANALYSIS,
    Step.CURRICULUM_DESIGN,
    Step.STRUCTURE_VALIDATION,
    Step.ROADMAP_EDIT,
    Step.HUMAN_REVIEW,
    Step.CONTENT_GENERATION,
)
OPTIONAL_STEPS = frozenset({Step.ROADMAP_EDIT, Step.HUMAN_REVIEW})


def timeline(task: TaskRecord, runs: list[StepRunRecord]) -> list[dict[str, Any]]:
    """One entry per step: ``done``, ``active``, ``waiting``, ``failed``, ``stopped`` or ``todo``."""
    latest: dict[str, StepRunRecord] = {}
    counts: dict[str, int] = {}
    for record in runs:
        latest[record.step] = record
        counts[record.step] = counts.get(record.step, 0) + 1
    entries = []
    for step in TIMELINE_STEPS:
        run = latest.get(step)
        optional_skipped = step in OPTIONAL_STEPS and run is None and task.current_step != step
        if optional_skipped and not (step is Step.HUMAN_REVIEW and task.review):
            continue
        state = "todo"
        if run is not None:
            state = {"running": "active", "completed": "done", "failed": "failed"}.get(
                run.status, "done"
            )
        if step is Step.HUMAN_REVIEW and task.status is TaskStatus.HUMAN_REVIEW_PENDING:
            state = "waiting"
        if state == "active" and task.status.is_terminal:
            state = "stopped"
        if task.error is not None and task.error.step == step and task.status is TaskStatus.FAILED:
            state = "failed"
        if task.status is TaskStatus.COMPLETED and state == "todo":
            state = "done"
        entries.append(
            {
                "step": str(step),
                "state": state,
                "runs": counts.get(step, 0),
                "started_at": run.started_at if run else None,
                "finished_at": run.finished_at if run else None,
            }
        )
    return entries


def state_label(language: str, state: str, runs: int) -> str:
    """A timeline entry's state as the page shows it ("done · 2 runs")."""
    text = label(language, "state", state)
    return text + (" · " + translate(language, "state.runs", count=runs) if runs > 1 else "")


def event_json(event: EventRecord, language: str) -> dict[str, Any]:
    """One Activity line's data for the page script, with its labels in ``language``."""
    step = event.data.get("step")
    return {
        "type": event.type,
        "seq": event.seq,
        "data": event.data,
        "label": label(language, "event", event.type),
        "step_label": label(language, "step", step) if step else "",
    }


def task_json(
    task: TaskRecord, runs: list[StepRunRecord], last_seq: int, language: str = "en"
) -> dict[str, Any]:
    """The task as the live page's script receives it, labels in ``language``."""
    return {
        "task_id": task.id,
        "status": str(task.status),
        "status_label": label(language, "status", task.status),
        "current_step": str(task.current_step),
        "current_step_label": label(language, "step", task.current_step),
        "roadmap_id": task.roadmap_id,
        "cancel_requested": task.cancel_requested,
        "error": (
            {"step": task.error.step, "code": task.error.code, "message": task.error.message}
            if task.error
            else None
        ),
        "progress": {"done": task.progress_done, "total": task.progress_total},
        "timeline": [
            {
                "step": e["step"],
                "label": label(language, "step", e["step"]),
                "state": e["state"],
                "state_label": state_label(language, e["state"], e["runs"]),
                "runs": e["runs"],
            }
            for e in timeline(task, runs)
        ],
        "last_seq": last_seq,
    }


async def open_issues(store: Store, task_id: str) -> list[dict[str, Any]]:
    """The validation issues the workflow handed to the reviewer with the latest round."""
    event = await store.latest_event(task_id, "review_required")
    if event is None:
        return []
    return [i for i in event.data.get("open_issues") or [] if isinstance(i, dict)]


def issue_views(
    issues: list[dict[str, Any]], framework: dict[str, Any] | None, language: str
) -> list[dict[str, str]]:
    """Issues as the review page shows them: ``severity``, ``text`` and the text's ``lang``.

    The deterministic checks' issues have a catalog entry per code and are worded in the UI
    language, naming their target by its name in the roadmap; the model's own review notes
    are shown as written, in the roadmap's language (``lang`` empty: the content's).
    """
    names = names_of(framework or {})
    views = []
    for issue in issues:
        code = str(issue.get("code") or "")
        severity = str(issue.get("severity") or "error")
        if f"issue.{code}" in EN:
            target = str(issue.get("target_id") or "")
            text = translate(language, f"issue.{code}", target=names.get(target, target))
            views.append({"severity": severity, "text": text, "lang": language})
        else:
            views.append(
                {"severity": severity, "text": str(issue.get("message") or ""), "lang": ""}
            )
    return views


def names_of(framework: dict[str, Any]) -> dict[str, str]:
    """Every stage, module and concept id of a stored framework with its name."""
    names: dict[str, str] = {}
    for stage in framework.get("stages") or []:
        names[str(stage.get("id"))] = str(stage.get("name"))
        for module in stage.get("modules") or []:
            names[str(module.get("id"))] = str(module.get("name"))
            for concept in module.get("concepts") or []:
                names[str(concept.get("id"))] = str(concept.get("name"))
    return names
