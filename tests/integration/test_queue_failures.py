"""Failures always reach the database: a raising handler, a model error, exhausted attempts."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from learnpath.agents.team import DesignJournal
from learnpath.dispatch.local import LocalExecutor
from learnpath.domain.request import LearningRequest
from learnpath.domain.roadmap import (
    AddConcept,
    ConceptDraft,
    EditPlan,
    Framework,
    IntentAnalysis,
    Issue,
    Module,
    ValidationResult,
)
from learnpath.domain.task import TaskStatus
from learnpath.llm.errors import ModelCallError
from learnpath.settings import Settings
from learnpath.store import Lease, Store
from learnpath.store.engine import make_engines
from learnpath.store.migrate import upgrade
from learnpath.testing.teams import TinyTeam
from learnpath.workflow import Workflow

SECRET = "postgresql://admin:hunter2@db.internal/prod"


class Clock:
    """A clock a test moves forward: leases expire without waiting for them."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


async def assert_nothing_in_flight(store: Store) -> None:
    report = await store.queue_report()
    assert report.tasks_by_status.get("processing", 0) == 0, report
    assert report.jobs_by_state.get("running", 0) == 0, report
    assert report.jobs_by_state.get("queued", 0) == 0, report
    assert report.expired_leases == 0


async def test_raising_step_fails_task_with_step_code_and_safe_message(store: Store) -> None:
    async def hook(name: str, _subject: object) -> None:
        if name == "curriculum":
            raise RuntimeError(f"could not reach {SECRET}\nTraceback (most recent call last):")

    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn Go"})
    await LocalExecutor(store, Workflow(store, TinyTeam(hook=hook)).run).run_until_idle(timeout=30)

    failed = await store.get_task(task.id)
    assert failed.status is TaskStatus.FAILED
    assert failed.error is not None
    assert (failed.error.step, failed.error.code) == ("curriculum_design", "internal_error")
    assert "RuntimeError" in failed.error.message
    assert "curriculum_design" in failed.error.message
    for leak in ("hunter2", SECRET, "Traceback", 'File "'):
        assert leak not in failed.error.message
    assert failed.finished_at is not None

    (job,) = await store.jobs_for_task(task.id)
    assert job.state == "failed"
    assert job.last_error is not None
    assert job.last_error.startswith("internal_error:")
    assert "hunter2" not in job.last_error

    events = await store.events_after(task.id)
    assert events[-1].type == "task_failed"
    assert events[-1].data == {
        "step": "curriculum_design",
        "code": "internal_error",
        "message": failed.error.message,
    }
    report = await store.queue_report()
    assert {
        "task_id": task.id,
        "step": "curriculum_design",
        "code": "internal_error",
        "message": failed.error.message,
    }.items() <= report.recent_failures[0].items()
    assert report.tasks_by_status == {"failed": 1}
    await assert_nothing_in_flight(store)
    runs = await store.step_runs(task.id)
    assert [(r.step, r.status) for r in runs][:1] == [("intent_analysis", "completed")]
    # The step that raised is recorded as failed, not left "running" forever.
    assert [(r.step, r.status, r.error_code) for r in runs[1:]] == [
        ("curriculum_design", "failed", "internal_error")
    ]


async def test_handler_that_raises_before_any_step_fails_its_task(store: Store) -> None:
    async def handler(_lease: Lease) -> None:
        raise KeyError("no such thing")

    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn C"})
    await LocalExecutor(store, handler).run_until_idle(timeout=30)

    failed = await store.get_task(task.id)
    assert failed.status is TaskStatus.FAILED
    assert failed.error is not None
    assert (failed.error.step, failed.error.code) == ("queued", "internal_error")
    assert "KeyError" in failed.error.message
    assert "no such thing" not in failed.error.message
    assert [j.state for j in await store.jobs_for_task(task.id)] == ["failed"]
    assert [e.type for e in await store.events_after(task.id)] == [
        "task_created",
        "task_started",
        "task_failed",
    ]
    assert (await store.queue_report()).recent_failures[0]["task_id"] == task.id
    await assert_nothing_in_flight(store)


async def test_model_error_in_intent_analysis_fails_there_with_its_code(store: Store) -> None:
    message = "The model is unavailable right now. Try again later or configure another model."

    async def hook(name: str, _subject: object) -> None:
        if name == "intent":
            raise ModelCallError("model_unavailable", message)

    team = TinyTeam(hook=hook)
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn Lisp"})
    await LocalExecutor(store, Workflow(store, team).run).run_until_idle(timeout=30)

    failed = await store.get_task(task.id)
    assert failed.status is TaskStatus.FAILED
    assert failed.error is not None
    assert (failed.error.step, failed.error.code, failed.error.message) == (
        "intent_analysis",
        "model_unavailable",
        message,
    )
    assert team.calls["curriculum"] == 0
    runs = await store.step_runs(task.id)
    assert [(r.step, r.status, r.error_code) for r in runs] == [
        ("intent_analysis", "failed", "model_unavailable")
    ]
    assert [j.state for j in await store.jobs_for_task(task.id)] == ["failed"]
    assert (await store.events_after(task.id))[-1].type == "task_failed"
    failures = (await store.queue_report()).recent_failures
    assert [(f["task_id"], f["step"], f["code"]) for f in failures] == [
        (task.id, "intent_analysis", "model_unavailable")
    ]
    await assert_nothing_in_flight(store)


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[tuple[Store, Clock]]:
    clock = Clock()
    store = Store(
        make_engines(settings.resolved_database_url, pool_size=4),
        lease_seconds=30.0,
        max_attempts=3,
        clock=clock,
    )
    await upgrade(store.engines.writer)
    try:
        yield store, clock
    finally:
        await store.close()


async def test_lease_that_keeps_expiring_without_progress_fails_as_crash_loop(
    clocked: tuple[Store, Clock],
) -> None:
    store, clock = clocked
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn Haskell"})

    limit = store.crash_loop_limit
    for run in range(1, limit + 1):
        lease = await store.claim_next_job(f"stalling-worker-{run}")
        assert lease is not None
        assert lease.attempt == run
        assert await store.requeue_expired() == (0, 0), "requeued a live lease"
        clock.advance(31)
        assert await store.requeue_expired() == ((1, 0) if run < limit else (0, 1))

    failed = await store.get_task(task.id)
    assert failed.status is TaskStatus.FAILED
    assert failed.error is not None
    assert failed.error.code == "worker_crash_loop"
    assert f"{limit} times in a row" in failed.error.message
    assert "step queued" in failed.error.message
    (job,) = await store.jobs_for_task(task.id)
    assert (job.state, job.attempt) == ("failed", limit)
    types = [e.type for e in await store.events_after(task.id)]
    assert types == [
        "task_created",
        *["task_started", "task_requeued"] * (limit - 1),
        "task_started",
        "task_failed",
    ]
    assert (await store.queue_report()).recent_failures[0]["code"] == "worker_crash_loop"

    # Nothing runs it again by itself; a retry does, from the start, and completes.
    calls: list[int] = []
    workflow = Workflow(store, TinyTeam())

    async def handler(lease: Lease) -> None:
        calls.append(lease.job_id)
        await workflow.run(lease)

    executor = LocalExecutor(store, handler, poll_seconds=0.1)
    await executor.run_until_idle(timeout=30)
    assert calls == []
    await store.retry_task(task.id, user.id)
    await executor.run_until_idle(timeout=30)
    assert len(calls) == 1
    assert (await store.get_task(task.id)).status is TaskStatus.COMPLETED
    await assert_nothing_in_flight(store)


class PickyTeam(TinyTeam):
    """A team whose roadmap has an empty module that only its ``fix_at``-th edit fills."""

    def __init__(self, fix_at: int) -> None:
        super().__init__()
        self.fix_at = fix_at

    async def design_curriculum(
        self,
        request: LearningRequest,
        intent: IntentAnalysis,
        journal: DesignJournal | None = None,
    ) -> Framework:
        framework = await super().design_curriculum(request, intent, journal)
        framework.stages[0].modules.append(Module(id="m2", name="Empty"))
        return framework

    async def edit_roadmap(
        self,
        request: LearningRequest,
        framework: Framework,
        issues: list[Issue],
        feedback: str | None,
    ) -> EditPlan:
        await self._call("edit", feedback)
        if self.calls["edit"] < self.fix_at:
            return EditPlan(rationale="no idea")
        draft = ConceptDraft(name="Filled", estimated_hours=1.0)
        return EditPlan(operations=[AddConcept(op="add_concept", module_id="m2", concept=draft)])


class OpinionatedTeam(TinyTeam):
    """A team whose validator always finds fault, though the structure is sound."""

    async def validate_structure(
        self, request: LearningRequest, intent: IntentAnalysis, framework: Framework
    ) -> ValidationResult:
        await self._call("validate", framework)
        return ValidationResult.from_issues(
            [Issue(code="too_vague", message="Stage 1 is too vague.", target_id="s1")]
        )


async def test_the_models_opinions_alone_do_not_fail_a_sound_roadmap(store: Store) -> None:
    """After the edit rounds, only structural problems fail a task; opinions stay on record."""
    team = OpinionatedTeam()
    workflow = Workflow(store, team, max_edit_rounds=2)
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn OCaml"})
    await LocalExecutor(store, workflow.run).run_until_idle(timeout=30)
    assert (await store.get_task(task.id)).status is TaskStatus.COMPLETED
    assert (team.calls["validate"], team.calls["edit"]) == (3, 2)


async def test_retry_after_an_invalid_roadmap_gets_fresh_edit_rounds(store: Store) -> None:
    """Failing with ``invalid_roadmap`` says "Retry": a retry must edit again, not re-fail at once."""
    team = PickyTeam(fix_at=3)
    workflow = Workflow(store, team, max_edit_rounds=2)
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn OCaml"})
    await LocalExecutor(store, workflow.run).run_until_idle(timeout=30)
    failed = await store.get_task(task.id)
    assert failed.status is TaskStatus.FAILED
    assert failed.error is not None
    assert (failed.error.step, failed.error.code) == ("structure_validation", "invalid_roadmap")
    assert (team.calls["validate"], team.calls["edit"]) == (3, 2)

    await store.retry_task(task.id, user.id)
    await LocalExecutor(store, workflow.run).run_until_idle(timeout=30)
    assert team.calls["edit"] > 2, "the retry validated the same roadmap again without editing it"
    assert (await store.get_task(task.id)).status is TaskStatus.COMPLETED


class WorkerDied(BaseException):
    """The worker process stops right here (not an error the workflow could handle)."""


async def test_a_crash_after_the_last_validation_does_not_validate_again(
    clocked: tuple[Store, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The verdict that fails a task after its last edit round and the failure are one
    commit: a worker that dies right after it leaves a failed task, not a verdict that a
    recovered worker would ask the validator for again."""
    store, clock = clocked
    team = PickyTeam(fix_at=99)
    workflow = Workflow(store, team, max_edit_rounds=2)
    user = await store.local_user()
    task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn OCaml"})

    # Whichever store call commits the last validation, the worker dies as it returns.
    for name in ("save_validation", "fail_validation"):
        original = getattr(store, name)

        async def dies_after_last(
            *args: object, _original: Any = original, **kwargs: object
        ) -> None:
            await _original(*args, **kwargs)
            if team.calls["validate"] == 3:
                raise WorkerDied

        monkeypatch.setattr(store, name, dies_after_last)

    lease = await store.claim_next_job("doomed-worker")
    assert lease is not None
    with pytest.raises(WorkerDied):
        await workflow.run(lease)
    assert team.calls["validate"] == 3

    clock.advance(31)
    assert await store.requeue_expired() == (0, 0), "the failed task's job was still live"
    await LocalExecutor(store, workflow.run).run_until_idle(timeout=30)

    assert team.calls["validate"] == 3, "the validator was asked again after the crash"
    failed = await store.get_task(task.id)
    assert failed.status is TaskStatus.FAILED
    assert failed.error is not None
    assert (failed.error.step, failed.error.code) == ("structure_validation", "invalid_roadmap")
    types = [e.type for e in await store.events_after(task.id)]
    assert types[-2:] == ["step_started", "task_failed"]
    async with store.read() as conn:
        verdicts = (
            await conn.execute(
                text("SELECT COUNT(*) FROM validation_records WHERE task_id = :t"), {"t": task.id}
            )
        ).scalar_one()
    assert verdicts == 3
    await assert_nothing_in_flight(store)
