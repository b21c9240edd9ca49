"""A worker killed with SIGKILL mid-job: the job is recovered, resumed, and the dead worker fenced.

A real worker process runs the job until it is blocked inside curriculum design (intent
analysis already committed) and is then killed. Once its lease expires, the reconciler of
another executor requeues the job as attempt 2, which resumes at curriculum design and
completes. The dead worker's lease token, replayed, is refused by every fenced write.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from learnpath.dispatch.local import LocalExecutor
from learnpath.domain.task import Step, TaskStatus
from learnpath.settings import Settings
from learnpath.store import Lease, LeaseLost, Store, open_store
from learnpath.store.migrate import upgrade
from learnpath.testing.teams import TinyTeam
from learnpath.workflow import Workflow

WORKER = Path(__file__).with_name("queue_worker_proc.py")
LEASE_SECONDS = 2.0


@dataclass
class NoUsage:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


async def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def snapshot(store: Store, task_id: str) -> dict[str, list[Any]]:
    """Everything a job can write for a task (lease expiry aside: heartbeats renew it)."""
    queries = {
        "task": "SELECT status, current_step, event_seq, error_code, cancel_requested FROM tasks WHERE id = :t",
        "jobs": "SELECT id, state, attempt, lease_owner, lease_token, finished_at FROM jobs WHERE task_id = :t ORDER BY id",
        "runs": "SELECT id, step, attempt, status, finished_at FROM step_runs WHERE task_id = :t ORDER BY id",
        "events": "SELECT seq, type FROM task_events WHERE task_id = :t ORDER BY seq",
        "intent": "SELECT count(*) FROM intent_analyses WHERE task_id = :t",
        "roadmap": "SELECT count(*) FROM roadmaps WHERE task_id = :t",
    }
    async with store.read() as conn:
        return {
            name: [tuple(r) for r in await conn.execute(text(sql), {"t": task_id})]
            for name, sql in queries.items()
        }


async def test_sigkilled_worker_is_recovered_and_fenced(make_settings: Any, tmp_path: Path) -> None:
    settings: Settings = make_settings(lease_seconds=LEASE_SECONDS, poll_seconds=0.2)
    store = open_store(settings, pool_size=4)
    await upgrade(store.engines.writer)
    ready = tmp_path / "worker-ready"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            settings.resolved_database_url,
            "--ready",
            str(ready),
            "--block-in",
            "curriculum",
            "--lease-seconds",
            str(LEASE_SECONDS),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    executor: LocalExecutor | None = None
    try:
        user = await store.local_user()
        task, _ = await store.submit_task(user_id=user.id, request={"goal": "Learn Rust"})

        async def worker_blocked() -> bool:
            if proc.poll() is not None:
                pytest.fail(
                    f"worker exited early: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            return ready.exists()

        await wait_for(worker_blocked, 30, "the worker to block in curriculum design")

        # The dead worker's lease, as an operator would read it from the jobs table.
        async with store.read() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT id, lease_token, lease_owner, attempt, state FROM jobs WHERE task_id = :t"
                    ),
                    {"t": task.id},
                )
            ).one()
        assert (row.state, row.attempt, row.lease_owner) == ("running", 1, "doomed-worker")
        stale = Lease(
            job_id=row.id, task_id=task.id, token=row.lease_token, owner=row.lease_owner, attempt=1
        )
        before = await store.step_runs(task.id)
        assert [(r.step, r.status) for r in before] == [
            ("intent_analysis", "completed"),
            ("curriculum_design", "running"),
        ]

        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
        killed_at = time.monotonic()

        # The new executor's team blocks in curriculum design on attempt 2 until released.
        entered, release = asyncio.Event(), asyncio.Event()

        async def hook(name: str, _subject: object) -> None:
            if name == "curriculum":
                entered.set()
                await release.wait()

        team = TinyTeam(hook=hook)
        executor = LocalExecutor(store, Workflow(store, team).run, poll_seconds=0.2)
        await executor.start()
        await asyncio.wait_for(entered.wait(), timeout=30)
        assert time.monotonic() - killed_at >= LEASE_SECONDS - 0.5, (
            "requeued before the lease expired"
        )

        job = (await store.jobs_for_task(task.id))[0]
        assert (job.id, job.state, job.attempt, job.lease_owner) == (
            row.id,
            "running",
            2,
            executor.owner,
        )
        requeued = [e for e in await store.events_after(task.id) if e.type == "task_requeued"]
        assert len(requeued) == 1
        assert requeued[0].data["attempt"] == 2

        # While the new owner holds the lease, every write with the old token is refused.
        held = await snapshot(store, task.id)
        old_run = before[1].id
        with pytest.raises(LeaseLost):
            await store.start_step(stale, Step.CURRICULUM_DESIGN)
        with pytest.raises(LeaseLost):
            await store.save_framework(
                stale,
                old_run,
                NoUsage(),
                {"title": "stale", "stages": []},
                generated_by="doomed",
                next_step=Step.STRUCTURE_VALIDATION,
            )
        with pytest.raises(LeaseLost):
            await store.fail_run(
                stale, old_run, NoUsage(), step="curriculum_design", code="stale", message="stale"
            )
        with pytest.raises(LeaseLost):
            await store.cancel_run(stale, old_run)
        assert not await store.heartbeat(stale)
        assert not await store.release(stale)
        assert await snapshot(store, task.id) == held

        release.set()

        async def completed() -> bool:
            return (await store.get_task(task.id)).status is TaskStatus.COMPLETED

        await wait_for(completed, 30, "the recovered task to complete")
        await executor.stop()
        executor = None

        # Resumed from the last committed step: intent analysis was not run again.
        assert team.calls["intent"] == 0
        assert team.calls["curriculum"] == 1
        runs = await store.step_runs(task.id)
        intents = [r for r in runs if r.step == "intent_analysis"]
        assert [(r.status, r.attempt) for r in intents] == [("completed", 1)]
        assert [(r.step, r.attempt) for r in runs] == [
            ("intent_analysis", 1),
            ("curriculum_design", 1),
            ("curriculum_design", 2),
            ("structure_validation", 2),
            ("content_generation", 2),
        ]
        assert runs[2].status == "completed"
        job = (await store.jobs_for_task(task.id))[0]
        assert (job.state, job.attempt) == ("done", 2)

        # After the finish, the stale token still changes nothing.
        done = await snapshot(store, task.id)
        with pytest.raises(LeaseLost):
            await store.save_intent(stale, old_run, NoUsage(), {"goal_summary": "x"}, Step.DONE)
        assert await snapshot(store, task.id) == done
        types = [e.type for e in await store.events_after(task.id)]
        assert types.count("task_started") == 2
        assert types[-1] == "task_completed"
        # The dead attempt's step run is closed by the recovery, not left "running" forever.
        assert [(r.step, r.attempt) for r in runs if r.status == "running"] == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
        if executor is not None:
            await executor.stop()
        await store.close()
