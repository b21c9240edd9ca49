"""Fairness between users: how long one user's task waits while another's backlog is queued.

    .venv/bin/python bench/fairness.py [--backlog 2000] [--latency-ms 1000] [--json out.json]

User A submits ``--backlog`` roadmaps; one process with the embedded executor
(``--concurrency`` slots, 500 by default as ``LEARNPATH_WORKER_CONCURRENCY``) starts on them against the fake
OpenAI-compatible server at ``--latency-ms`` per call, so its slots fill up and most of
A's tasks stay queued. Then user B submits one roadmap. Printed: B's pickup (created to
its first step starting), A's tasks running and still queued at that moment, and how many
jobs a first-in-first-out queue (the design learnpath replaced) would have run before
B's, with the wait that means at the measured rate.

On this machine's PostgreSQL (``LEARNPATH_BENCH_PG``; a fresh database, dropped
afterwards), or on SQLite with ``--sqlite``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text

from learnpath.dispatch.executors import make_executor
from learnpath.dispatch.local import LocalExecutor
from learnpath.domain.events import EventType
from learnpath.runtime import make_workflow
from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.migrate import upgrade
from learnpath.testing.fake_llm import FakeLLMServer

PG = os.environ.get("LEARNPATH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
REQUEST: dict[str, Any] = {"goal": "Become a backend engineer, I know some Python"}


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", PG + "/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


async def first_step_at(store: Store, task_id: str, deadline: float) -> float | None:
    """Seconds from the task's creation to its first ``step_started``, waiting up to ``deadline``."""
    task = await store.get_task(task_id)
    assert task is not None
    while time.monotonic() < deadline:
        for event in await store.events_after(task_id, 0):
            if event.type == EventType.STEP_STARTED:
                return (event.created_at - task.created_at).total_seconds()
        await asyncio.sleep(0.05)
    return None


async def run(
    backlog: int, latency: float, concurrency: int, database_url: str | None, tmp: Path
) -> dict[str, Any]:
    with FakeLLMServer(latency=latency) as server:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=tmp,
            database_url=database_url,
            model=server.model_setting,
            user_max_active_tasks=1_000_000,
            user_submits_per_minute=1_000_000,
            worker_concurrency=concurrency,
        )
        store = open_store(settings, pool_size=10)
        await upgrade(store.engines.writer)
        try:
            heavy, _ = await store.create_user("heavy")
            light, _ = await store.create_user("light")
            for n in range(backlog):
                await store.submit_task(user_id=heavy.id, request={**REQUEST, "weeks": 8 + n % 40})
            workflow = make_workflow(settings, store)
            executor = make_executor(settings, store, workflow)
            assert isinstance(executor, LocalExecutor)
            await executor.start()
            try:
                # Let the executor fill its slots and the backlog's model calls queue up.
                await asyncio.sleep(5)
                running = len(executor.running)
                claimed_before = await claimed_jobs(store)
                started = time.monotonic()
                task, _ = await store.submit_task(user_id=light.id, request=REQUEST)
                pickup = await first_step_at(store, task.id, started + 120)
                elapsed = time.monotonic() - started
                claimed_after = await claimed_jobs(store)
            finally:
                await executor.stop()
                await workflow.team.aclose()
        finally:
            await store.close()
    rate = (claimed_after - claimed_before) / elapsed if elapsed else 0.0
    ahead = backlog - claimed_before
    return {
        "backlog": backlog,
        "latency_ms": latency * 1000,
        "worker_concurrency": settings.worker_concurrency,
        "running_when_b_submitted": running,
        "queued_ahead_when_b_submitted": ahead,
        "b_pickup_s": pickup,
        "fifo_jobs_before_b": ahead,
        "a_claims_per_s": rate,
        "fifo_wait_estimate_s": (ahead / rate) if rate else None,
    }


async def claimed_jobs(store: Store) -> int:
    """Jobs claimed so far (any state but queued)."""
    async with store.engines.reader.connect() as conn:
        claimed = await conn.scalar(text("SELECT count(*) FROM jobs WHERE state <> 'queued'"))
    return int(claimed or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--backlog", type=int, default=2000, help="user A's queued roadmaps")
    parser.add_argument("--latency-ms", type=float, default=1000.0, help="fake model latency")
    parser.add_argument(
        "--concurrency", type=int, default=500, help="LEARNPATH_WORKER_CONCURRENCY (default)"
    )
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = None if args.sqlite else f"lp_bench_fair_{uuid.uuid4().hex[:8]}"
        url = None
        if database is not None:
            psql(f"CREATE DATABASE {database}")
            url = f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{database}"
        try:
            figures = asyncio.run(
                run(args.backlog, args.latency_ms / 1000, args.concurrency, url, Path(tmp))
            )
        finally:
            if database is not None:
                psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    for key, value in figures.items():
        print(f"{key:32} {value:.2f}" if isinstance(value, float) else f"{key:32} {value}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
