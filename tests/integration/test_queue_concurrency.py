"""A thousand tasks submitted from many connections while executors run: each runs exactly once.

Several ``Store`` instances (separate engines, so separate connections) submit concurrently
while two executors, each on its own store, claim and run. Afterwards the database must
show one job per task, each claimed once on attempt 1, every task completed, no orphan
rows, and a gap-free event log per task in the order the workflow writes it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from sqlalchemy import text

from learnpath.dispatch.local import LocalExecutor
from learnpath.settings import Settings
from learnpath.store import Lease, Store, open_store
from learnpath.store.migrate import upgrade
from learnpath.testing.teams import TinyTeam
from learnpath.workflow import Workflow

TASKS_PER_STORE = 250
SUBMITTING_STORES = 4
EXECUTORS = 2

EXPECTED_EVENTS = [
    "task_created",
    "task_started",
    *["step_started", "step_completed"] * 3,  # intent, curriculum, validation
    "step_started",  # content generation
    "concept_completed",
    "task_completed",
]
EXPECTED_STEPS = {
    "intent_analysis",
    "curriculum_design",
    "structure_validation",
    "content_generation",
}


def counted(
    handler: Callable[[Lease], Coroutine[Any, Any, None]],
    calls: Counter[int],
    attempts: dict[int, list[int]],
) -> Callable[[Lease], Coroutine[Any, Any, None]]:
    async def run(lease: Lease) -> None:
        calls[lease.job_id] += 1
        attempts.setdefault(lease.job_id, []).append(lease.attempt)
        await handler(lease)

    return run


async def rows(store: Store, sql: str) -> list[Any]:
    async with store.read() as conn:
        return list((await conn.execute(text(sql))).all())


async def scalar(store: Store, sql: str) -> Any:
    async with store.read() as conn:
        return (await conn.execute(text(sql))).scalar_one()


@pytest.mark.timeout(600)
async def test_thousand_concurrent_submissions_each_run_exactly_once(make_settings: Any) -> None:
    settings: Settings = make_settings(lease_seconds=30.0, poll_seconds=0.2)
    # Small pools: PostgreSQL allows 100 connections and other tests may share the server.
    submitters = [open_store(settings, pool_size=2) for _ in range(SUBMITTING_STORES)]
    runners = [open_store(settings, pool_size=4) for _ in range(EXECUTORS)]
    await upgrade(submitters[0].engines.writer)
    calls: Counter[int] = Counter()
    attempts: dict[int, list[int]] = {}
    executors = [
        LocalExecutor(
            s,
            counted(Workflow(s, TinyTeam()).run, calls, attempts),
            concurrency=100,
            poll_seconds=0.2,
        )
        for s in runners
    ]
    try:
        user = await submitters[0].local_user()
        for executor in executors:
            await executor.start()

        async def submit_many(store: Store, n: int) -> list[str]:
            made = await asyncio.gather(
                *(
                    store.submit_task(user_id=user.id, request={"goal": f"Learn topic {n}-{i}"})
                    for i in range(TASKS_PER_STORE)
                )
            )
            assert all(created for _, created in made)
            return [task.id for task, _ in made]

        submitted = await asyncio.gather(
            *(submit_many(store, n) for n, store in enumerate(submitters))
        )
        task_ids = {task_id for batch in submitted for task_id in batch}
        total = SUBMITTING_STORES * TASKS_PER_STORE
        assert len(task_ids) == total

        observer = submitters[0]
        deadline = time.monotonic() + 540  # a guard against a hang, not a benchmark
        while True:
            settled = await scalar(
                observer,
                "SELECT count(*) FROM tasks WHERE status IN "
                "('completed', 'failed', 'partial_failure', 'canceled')",
            )
            if settled == total:
                break
            assert time.monotonic() < deadline, f"only {settled}/{total} tasks settled in time"
            await asyncio.sleep(0.2)
        for executor in executors:
            await executor.stop()
        await check_database(observer, task_ids, calls, attempts)
    finally:
        for executor in executors:
            await executor.stop()
        for store in (*submitters, *runners):
            await store.close()


async def check_database(
    observer: Store, task_ids: set[str], calls: Counter[int], attempts: dict[int, list[int]]
) -> None:
    total = len(task_ids)
    # Every job was handed to a handler exactly once, on its first attempt.
    assert len(calls) == total
    assert set(calls.values()) == {1}, [job for job, n in calls.items() if n != 1][:10]
    assert all(a == [1] for a in attempts.values())

    # One job per task, finished, never retried; every task completed.
    per_task = await rows(
        observer,
        "SELECT task_id, count(*), min(attempt), max(attempt), min(state), max(state) FROM jobs GROUP BY task_id",
    )
    assert len(per_task) == total
    assert {(r[1], r[2], r[3], r[4], r[5]) for r in per_task} == {(1, 1, 1, "done", "done")}
    assert {r[0] for r in per_task} == task_ids
    assert set(calls) == {r[0] for r in await rows(observer, "SELECT id FROM jobs")}
    by_status = dict(await rows(observer, "SELECT status, count(*) FROM tasks GROUP BY status"))
    assert by_status == {"completed": total}

    # Nothing references a task, roadmap or job that does not exist.
    orphans = {
        "intent_analyses": "SELECT count(*) FROM intent_analyses x LEFT JOIN tasks t ON t.id = x.task_id WHERE t.id IS NULL",
        "roadmaps": "SELECT count(*) FROM roadmaps x LEFT JOIN tasks t ON t.id = x.task_id WHERE t.id IS NULL",
        "concept_content": "SELECT count(*) FROM concept_content x LEFT JOIN roadmaps r ON r.id = x.roadmap_id WHERE r.id IS NULL",
        "step_runs": "SELECT count(*) FROM step_runs x LEFT JOIN jobs j ON j.id = x.job_id AND j.task_id = x.task_id WHERE j.id IS NULL",
        "task_events": "SELECT count(*) FROM task_events x LEFT JOIN tasks t ON t.id = x.task_id WHERE t.id IS NULL",
    }
    for table, sql in orphans.items():
        assert await scalar(observer, sql) == 0, f"orphan rows in {table}"
    assert await scalar(observer, "SELECT count(*) FROM intent_analyses") == total
    assert await scalar(observer, "SELECT count(*) FROM roadmaps") == total
    assert (
        await scalar(observer, "SELECT count(*) FROM concept_content WHERE status = 'completed'")
        == 3 * total
    )

    # One completed step run per step, all on attempt 1.
    runs = await rows(
        observer,
        "SELECT task_id, step, count(*), min(status), max(status), max(attempt) "
        "FROM step_runs GROUP BY task_id, step",
    )
    assert len(runs) == total * len(EXPECTED_STEPS)
    assert {r[1] for r in runs} == EXPECTED_STEPS
    assert {(r[2], r[3], r[4], r[5]) for r in runs} == {(1, "completed", "completed", 1)}

    # Every state change has its event, in order, with a gap-free sequence.
    logs: dict[str, list[tuple[int, str]]] = {}
    for task_id, seq, type_ in await rows(
        observer, "SELECT task_id, seq, type FROM task_events ORDER BY task_id, seq"
    ):
        logs.setdefault(task_id, []).append((seq, type_))
    assert set(logs) == task_ids
    for task_id, log in logs.items():
        assert [seq for seq, _ in log] == list(range(1, len(log) + 1)), task_id
        assert [type_ for _, type_ in log] == EXPECTED_EVENTS, (task_id, log)
    event_seq = dict(await rows(observer, "SELECT id, event_seq FROM tasks"))
    assert all(event_seq[task_id] == len(logs[task_id]) for task_id in task_ids)
