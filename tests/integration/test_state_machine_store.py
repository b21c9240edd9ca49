"""Random interleavings of everything that moves a task, on the real store (SQLite).

Hypothesis draws sequences of: submit, drain the queue with an executor (sometimes with a
failing model), approve or reject a parked task, cancel, retry, regenerate a concept, a
worker that claims a job and dies, lease expiry with the reconciler, and duplicate claims.
After every operation each task must be consistent: a known status, a gap-free event log
that only grows, status events that follow ``domain.task.TRANSITIONS`` and end in the
task's status, and exactly the live job its status implies. After a final drain nothing
is left pending or processing: every task is finished or parked for review.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from learnpath.agents.team import ConceptBrief
from learnpath.dispatch.local import LocalExecutor
from learnpath.domain.task import TRANSITIONS, TaskStatus
from learnpath.llm.errors import ModelCallError
from learnpath.store import Conflict, Lease, NotFound, Store
from learnpath.store.engine import make_engines
from learnpath.store.migrate import upgrade
from learnpath.testing.teams import TinyTeam
from learnpath.workflow import Workflow

LEASE_SECONDS = 30.0

# What each event says about the task's status (None: not a status change).
STATUS_OF: dict[str, TaskStatus | None] = {
    "task_created": TaskStatus.PENDING,
    "task_started": TaskStatus.PROCESSING,
    "task_released": TaskStatus.PENDING,
    "task_requeued": TaskStatus.PENDING,
    "review_required": TaskStatus.HUMAN_REVIEW_PENDING,
    "review_decided": TaskStatus.PENDING,
    "task_retried": TaskStatus.PENDING,
    "concept_regenerating": TaskStatus.PENDING,
    "task_completed": TaskStatus.COMPLETED,
    "task_partially_failed": TaskStatus.PARTIAL_FAILURE,
    "task_failed": TaskStatus.FAILED,
    "task_canceled": TaskStatus.CANCELED,
    "step_started": None,
    "step_completed": None,
    "concept_completed": None,
    "concept_failed": None,
    "cancel_requested": None,
}

DRAINS = {"drain": 0, "drain_model_down": 1, "drain_quiz_fails": 2, "drain_step_crashes": 3}
OPERATIONS = (
    "submit",
    "submit_for_review",
    *DRAINS,
    "approve",
    "reject",
    "cancel",
    "retry",
    "regenerate",
    "claim_and_die",
    "expire_and_reconcile",
    "duplicate_claim",
    "stale_heartbeat",
)


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def failing_team(mode: int) -> TinyTeam:
    """0: a healthy model; 1: intent analysis fails; 2: one quiz fails; 3: a step crashes."""

    async def hook(name: str, subject: object) -> None:
        if mode == 1 and name == "intent":
            raise ModelCallError("model_unavailable", "The model is unavailable; try again later.")
        if mode == 2 and name == "quiz":
            assert isinstance(subject, ConceptBrief)
            if subject.concept.id == "c2":
                raise ModelCallError("model_output_invalid", "The quiz did not validate.")
        if mode == 3 and name == "curriculum":
            raise RuntimeError("a bug in a step")

    return TinyTeam(concepts=2, hook=hook)


@dataclass
class World:
    store: Store
    clock: Clock
    user_id: str
    tasks: list[str] = field(default_factory=list)
    logs: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    dead: list[Lease] = field(default_factory=list)

    def pick(self, index: int) -> str | None:
        return self.tasks[index % len(self.tasks)] if self.tasks else None

    async def status(self, task_id: str) -> TaskStatus:
        return (await self.store.get_task(task_id)).status

    async def drain(self, mode: int = 0) -> None:
        workflow = Workflow(self.store, failing_team(mode), max_edit_rounds=1)
        executor = LocalExecutor(self.store, workflow.run, poll_seconds=0.05)
        await executor.run_until_idle(timeout=60)

    async def apply(self, operation: str, index: int) -> None:
        store, task_id = self.store, self.pick(index)
        if operation in ("submit", "submit_for_review"):
            task, created = await store.submit_task(
                user_id=self.user_id,
                request={"goal": f"Learn {index}", "review": operation == "submit_for_review"},
            )
            assert created
            self.tasks.append(task.id)
        elif operation in DRAINS:
            await self.drain(DRAINS[operation])
        elif operation == "claim_and_die":
            lease = await store.claim_next_job(f"dying-worker-{index}")
            if lease is not None:
                self.dead.append(lease)
        elif operation == "expire_and_reconcile":
            self.clock.advance(LEASE_SECONDS + 1)
            await store.requeue_expired()
        elif operation == "stale_heartbeat" and self.dead:
            lease = self.dead[index % len(self.dead)]
            async with store.read() as conn:
                holder = (
                    await conn.execute(
                        text("SELECT lease_token FROM jobs WHERE id = :j AND state = 'running'"),
                        {"j": lease.job_id},
                    )
                ).scalar_one_or_none()
            assert await store.heartbeat(lease) == (holder == lease.token)
        elif task_id is not None:
            await self.command(operation, task_id)

    async def command(self, operation: str, task_id: str) -> None:
        """A person's command: accepted exactly in the states that allow it, else refused."""
        store = self.store
        before = await self.status(task_id)
        if operation in ("approve", "reject"):
            code = await refusal(
                store.decide_review(
                    task_id,
                    self.user_id,
                    approve=operation == "approve",
                    feedback=None if operation == "approve" else "more practice",
                )
            )
            parked = before is TaskStatus.HUMAN_REVIEW_PENDING
            assert code == (None if parked else "not_waiting_for_review")
        elif operation == "cancel":
            code = await refusal(store.cancel_task(task_id, self.user_id))
            if before.is_terminal:
                assert code == "task_finished"
            elif code is None:
                after = await self.status(task_id)
                running = before is TaskStatus.PROCESSING
                assert after is (TaskStatus.PROCESSING if running else TaskStatus.CANCELED)
            else:
                assert code == "cancel_requested"
        elif operation == "retry":
            code = await refusal(store.retry_task(task_id, self.user_id))
            retryable = before in (TaskStatus.FAILED, TaskStatus.PARTIAL_FAILURE)
            assert code == (None if retryable else "not_retryable")
        elif operation == "regenerate":
            code = await refusal(store.regenerate_concept(task_id, "c1", self.user_id, "simpler"))
            if code == "not_found":
                assert (await store.get_task(task_id)).roadmap_id is None
            else:
                finished = before in (TaskStatus.COMPLETED, TaskStatus.PARTIAL_FAILURE)
                assert code == (None if finished else "task_busy")
        elif operation == "duplicate_claim":
            job = (await store.jobs_for_task(task_id))[-1]
            leases = await asyncio.gather(
                store.claim_job(job.id, "twin-a"), store.claim_job(job.id, "twin-b")
            )
            won = [lease for lease in leases if lease is not None]
            assert len(won) == (1 if job.state == "queued" else 0), (job, leases)
            self.dead.extend(won)

    async def check(self) -> None:
        async with self.store.read() as conn:
            raw: dict[str, str] = dict(
                (await conn.execute(text("SELECT id, status FROM tasks"))).all()
            )
            live = (
                await conn.execute(
                    text("SELECT task_id, state FROM jobs WHERE state IN ('queued', 'running')")
                )
            ).all()
            event_seq: dict[str, int] = dict(
                (await conn.execute(text("SELECT id, event_seq FROM tasks"))).all()
            )
        assert set(raw) == set(self.tasks)
        live_jobs: dict[str, list[str]] = {}
        for task_id, state in live:
            live_jobs.setdefault(task_id, []).append(state)
        for task_id in self.tasks:
            status = TaskStatus(raw[task_id])
            events = await self.store.events_after(task_id, limit=10_000)
            log = [(e.seq, e.type) for e in events]
            assert [seq for seq, _ in log] == list(range(1, len(log) + 1)), log
            assert event_seq[task_id] == len(log)
            previous = self.logs.get(task_id, [])
            assert log[: len(previous)] == previous, "the event log was rewritten"
            self.logs[task_id] = log

            # An unknown event type is a KeyError: new events must say whether they change status.
            path = [STATUS_OF[type_] for _, type_ in log]
            statuses = [s for s in path if s is not None]
            assert statuses[0] is TaskStatus.PENDING
            for a, b in itertools.pairwise(statuses):
                assert b in TRANSITIONS[a], f"{a} -> {b} in {log}"
            assert statuses[-1] is status, f"status {status} but events say {statuses[-1]}: {log}"

            expected_jobs = {
                TaskStatus.PENDING: ["queued"],
                TaskStatus.PROCESSING: ["running"],
            }.get(status, [])
            assert live_jobs.get(task_id, []) == expected_jobs, (status, live_jobs.get(task_id))

    async def settle(self) -> None:
        """Let dead workers' leases expire and drain until no job is left."""
        for _ in range(10):
            self.clock.advance(LEASE_SECONDS + 1)
            await self.store.requeue_expired()
            await self.drain()
            report = await self.store.queue_report()
            if not (report.jobs_by_state.get("queued") or report.jobs_by_state.get("running")):
                return
        raise AssertionError(f"jobs still live after settling: {report}")


async def refusal(command: Awaitable[object]) -> str | None:
    """The code a command was refused with, or None when it was accepted."""
    try:
        await command
    except Conflict as exc:
        return exc.code
    except NotFound:
        return "not_found"
    return None


operations = st.lists(
    st.tuples(st.sampled_from(OPERATIONS), st.integers(min_value=0, max_value=60)),
    min_size=1,
    max_size=20,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
async def test_random_interleavings_keep_tasks_consistent(
    tmp_path: Path, steps: list[tuple[str, int]]
) -> None:
    clock = Clock()
    url = f"sqlite+aiosqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}"
    store = Store(
        make_engines(url, pool_size=4), lease_seconds=LEASE_SECONDS, max_attempts=3, clock=clock
    )
    try:
        await upgrade(store.engines.writer)
        user = await store.local_user()
        world = World(store=store, clock=clock, user_id=user.id)
        await world.apply("submit", 0)
        for operation, index in steps:
            await world.apply(operation, index)
            await world.check()
            statuses = {await world.status(task_id) for task_id in world.tasks}
            for status in statuses:
                event(f"seen {status}")
        await world.settle()
        await world.check()
        for task_id in world.tasks:
            status = await world.status(task_id)
            event(f"settled as {status}")
            assert status.is_terminal or status is TaskStatus.HUMAN_REVIEW_PENDING, status
    finally:
        await store.close()
