"""``learnpath generate``: submit, run embedded, follow the task's events live, export.

Steps are named as on the web pages (``learnpath.web.i18n``, in English).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.tree import Tree

from learnpath.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CANCELED,
    EXIT_FAILED,
    EXIT_REVIEW,
    err,
    fail,
)
from learnpath.domain.events import EventType
from learnpath.domain.quota import QuotaExceeded
from learnpath.domain.request import (
    FieldProblem,
    InvalidSubmission,
    LearningRequest,
    parse_submission,
)
from learnpath.domain.roadmap import Framework
from learnpath.domain.task import Step
from learnpath.export import roadmap_document, to_markdown
from learnpath.learning.quota import submit_limits
from learnpath.runtime import Runtime, open_runtime
from learnpath.settings import Settings
from learnpath.store import Conflict, Store
from learnpath.store.follow import follow_events
from learnpath.store.records import EventRecord, UserRecord
from learnpath.store.users import LOCAL_USER
from learnpath.web.i18n import label
from learnpath.workflow.review import BlockingIssues, ReviewDecision, submit_review

ENDING_LABELS = {
    EventType.TASK_COMPLETED: "Roadmap ready",
    EventType.TASK_PARTIALLY_FAILED: "Roadmap ready, some content failed",
    EventType.TASK_FAILED: "Generation failed",
    EventType.TASK_CANCELED: "Canceled",
}
FIELD_LABELS = {
    "goal": "the goal",
    "level": "--level",
    "hours_per_week": "--hours",
    "weeks": "--weeks",
    "deadline": "--deadline",
    "background": "--background",
    "language": "--language",
}


def parse_request(**fields: Any) -> LearningRequest:
    """The command's flags through ``parse_submission``, the check the API and web use."""
    try:
        return parse_submission(fields, dt.date.today())
    except InvalidSubmission as exc:
        if [p.kind for p in exc.problems] == ["deadline_past"]:
            fail(
                f"invalid request: --deadline: {exc.problems[0].message}\n"
                "hint: give a date after today (YYYY-MM-DD)",
                code=EXIT_BAD_INPUT,
            )
        problems = "; ".join(_friendly(p) for p in exc.problems)
        fail(
            f"invalid request: {problems}\nhint: see `learnpath generate --help`",
            code=EXIT_BAD_INPUT,
        )


def _friendly(problem: FieldProblem) -> str:
    """One validation problem in the words of the command line, not the model's."""
    label = FIELD_LABELS.get(problem.field, problem.field)
    context = problem.context
    kind = problem.kind
    if kind == "less_than_equal":
        return f"{label} must be at most {context.get('le')}"
    if kind == "greater_than_equal":
        return f"{label} must be at least {context.get('ge')}"
    if kind == "string_too_short":
        return f"{label} must have at least {context.get('min_length')} characters"
    if kind == "string_too_long":
        return f"{label} must have at most {context.get('max_length')} characters"
    if kind == "enum":
        return f"{label} must be one of: {context.get('expected', '')}"
    return f"{label}: {problem.message}"


async def generate(
    settings: Settings,
    request: LearningRequest,
    *,
    fmt: str,
    output: Path | None,
    interactive_review: bool,
) -> tuple[Path, bool]:
    """Run the request to its end and write the roadmap; returns its path and whether
    some content failed (the file is written either way)."""
    async with open_runtime(settings) as runtime:
        user = await cli_user(runtime.store, settings.cli_user)
        try:
            task, _ = await runtime.store.submit_task(
                user_id=user.id,
                request=request.model_dump(mode="json"),
                limits=submit_limits(settings),
            )
        except QuotaExceeded as exc:
            fail(f"not submitted: {exc.message}")
        err.print(f"Task [bold]{task.id}[/] submitted. Model: [bold]{runtime.team.generated_by}[/]")
        if runtime.team.generated_by == "offline":
            err.print(
                "[yellow]No model configured: using the offline model (sample content). "
                "Set LEARNPATH_MODEL to use a real one.[/]"
            )
        try:
            ending = await follow(runtime, task.id, user.id, interactive_review=interactive_review)
        except asyncio.CancelledError:
            current = await runtime.store.get_task(task.id, user.id)
            if current.status == "human_review_pending":
                err.print(
                    f"Interrupted. The roadmap waits for review: `learnpath approve {task.id}` "
                    f"or `learnpath reject {task.id} -f ...` (or on the web's review page)."
                )
            else:
                err.print(
                    f"Interrupted. The task stays {current.status}; `learnpath serve` resumes "
                    f"it, `learnpath cancel {task.id}` cancels it."
                )
            raise
        final = await runtime.store.get_task(task.id, user.id)
        if ending in ("task_failed", "task_canceled") or final.roadmap_id is None:
            error = final.error
            reason = f"{error.step}: {error.message} ({error.code})" if error else final.status
            code = EXIT_CANCELED if ending == "task_canceled" else EXIT_FAILED
            fail(
                f"the roadmap was not generated — {reason}\n"
                f"hint: `learnpath show {task.id[:8]}` shows its log; "
                f"`learnpath retry {task.id[:8]}` tries again",
                code=code,
            )
        document = await roadmap_document(runtime.store, final.roadmap_id, user.id, bodies=True)
        path = output or default_path(settings, document["title"], task.id, fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            json.dumps(document, indent=2, ensure_ascii=False)
            if fmt == "json"
            else to_markdown(document)
        )
        path.write_text(text, encoding="utf-8")
        partial = final.error is not None or ending == "task_partially_failed"
        if final.error is not None:
            err.print(f"[yellow]Some content failed:[/] {final.error.message}")
        err.print(
            f"[green]Done.[/] {final.progress_done}/{final.progress_total} concepts. Roadmap written to:"
        )
        return path, partial


async def cli_user(store: Store, name: str) -> UserRecord:
    """The user the command line acts as: ``LEARNPATH_CLI_USER``, created on first use."""
    if name == LOCAL_USER:
        return await store.local_user()
    user = await store.user_by_name(name)
    if user is not None:
        return user
    try:
        created, _ = await store.create_user(name)
        return created
    except Conflict:
        again = await store.user_by_name(name)
        assert again is not None
        return again


def default_path(settings: Settings, title: str, task_id: str, fmt: str) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "roadmap"
    return settings.data_dir / "roadmaps" / f"{slug}-{task_id[:8]}.{fmt}"


async def follow(
    runtime: Runtime, task_id: str, user_id: str, *, interactive_review: bool, after: int = 0
) -> str:
    """Render the task's events after ``after`` until it ends, asking for the review
    decision each time it waits for one; returns the type of the last event ("" if none)."""
    store = runtime.store
    last: EventRecord | None = None
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        step_bar = progress.add_task("Waiting for the workflow to start", total=None)
        concept_bar: Any = None
        while True:
            events = follow_events(
                store, task_id, after, poll_seconds=runtime.settings.poll_seconds
            )
            async for event in events:
                after, last = event.seq, event
                concept_bar = _render(progress, step_bar, concept_bar, event)
            if last is None or last.type != EventType.REVIEW_REQUIRED:
                return last.type if last is not None else ""
            progress.stop()
            await _review(store, task_id, user_id, last, interactive_review)
            progress.start()


def _step_label(step: object) -> str:
    return label("en", "step", step)


def _render(progress: Progress, step_bar: Any, concept_bar: Any, event: EventRecord) -> Any:
    data = event.data
    if event.type == EventType.STEP_STARTED:
        progress.update(step_bar, description=_step_label(data["step"]))
    elif event.type == EventType.STEP_COMPLETED:
        progress.console.print(f"[green]✓[/] {_step_label(data['step'])}")
    elif event.type in (EventType.CONCEPT_COMPLETED, EventType.CONCEPT_FAILED):
        if concept_bar is None:
            concept_bar = progress.add_task("Concepts", total=data["total"])
        progress.update(concept_bar, completed=data["done"], total=data["total"])
        if event.type == EventType.CONCEPT_FAILED:
            progress.console.print(f"[red]✗[/] {data.get('message', data['concept_id'])}")
    elif event.type == EventType.STAGE_DESIGNED:
        progress.update(
            step_bar,
            description=(
                f"{_step_label(Step.CURRICULUM_DESIGN)}: stage {data['stage']} of {data['of']} "
                "designed"
            ),
        )
    elif event.type == EventType.TASK_REQUEUED:
        progress.console.print(f"[yellow]↻[/] {data.get('reason', 'requeued')}")
    elif event.type in ENDING_LABELS:
        progress.update(
            step_bar,
            description=ENDING_LABELS[EventType(event.type)],
            total=1,
            completed=1,
        )
    return concept_bar


async def _review(
    store: Store, task_id: str, user_id: str, event: EventRecord, interactive: bool
) -> None:
    task = await store.get_task(task_id, user_id)
    assert task.roadmap_id is not None
    roadmap = await store.get_roadmap(task.roadmap_id, user_id)
    err.print(framework_tree(Framework.model_validate(roadmap.framework)))
    for issue in event.data.get("open_issues", []):
        err.print(f"[yellow]open issue:[/] {issue['message']}")
    if not interactive:
        fail(
            f"the roadmap waits for review: `learnpath approve {task_id}` "
            f"or `learnpath reject {task_id} -f ...`",
            code=EXIT_REVIEW,
        )
    while True:
        answer = await asyncio.to_thread(_ask_decision, task_id)
        if answer is None:
            decision = ReviewDecision(decision="approve")
        else:
            decision = ReviewDecision(decision="reject", feedback=answer)
        try:
            await submit_review(store, task_id, user_id, decision)
            return
        except BlockingIssues as exc:
            for issue in exc.issues:
                err.print(f"[red]blocking issue:[/] {issue.message}")
            err.print("This roadmap cannot be approved as it is: reject it with feedback.")


def _ask_decision(task_id: str) -> str | None:
    """None to approve, else the rejection feedback."""
    while True:
        try:
            choice = typer.prompt(
                "Approve this roadmap? [a]pprove / [r]eject", default="a", err=True
            )
        except (EOFError, typer.Abort):
            fail(
                "no answer on standard input; the roadmap waits for review: "
                f"`learnpath approve {task_id[:8]}` or `learnpath reject {task_id[:8]} -f ...`",
                code=EXIT_REVIEW,
            )
        if choice.lower().startswith("a"):
            return None
        if choice.lower().startswith("r"):
            feedback = typer.prompt("What should change?", err=True).strip()
            if feedback:
                return str(feedback)


def framework_tree(framework: Framework) -> Tree:
    tree = Tree(f"[bold]{framework.title}[/] ({framework.total_hours():.0f} h)")
    for stage in framework.stages:
        stage_node = tree.add(f"[bold]{stage.name}[/]")
        for module in stage.modules:
            module_node = stage_node.add(module.name)
            for concept in module.concepts:
                module_node.add(
                    f"{concept.name} [dim]{concept.estimated_hours:g} h · {concept.id}[/]"
                )
    return tree
