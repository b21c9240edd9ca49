"""A poison task is failed with ``worker_crash_loop``; the tasks beside it complete.

One real worker process runs seven roadmaps. One of them SIGKILLs the worker every time
it reaches the quiz of its concept ``c2`` (``tests.integration.poison_worker``); the test
starts the worker again after each death, as a supervisor would. The other roadmaps save
progress between the deaths, so each death is a recovery for them and they complete. The
poison task dies at the same item with no progress, so after ``LEARNPATH_CRASH_LOOP_LIMIT``
deaths in a row it is failed with ``worker_crash_loop`` and a message naming the step and
the item.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from pathlib import Path

import pytest

from learnpath.dispatch.relay import Relay
from learnpath.settings import Settings
from learnpath.store import open_store
from learnpath.store.migrate import upgrade
from tests.integration.celery_support import scalar_rows, wait_terminal, worker_env
from tests.integration.chaos_cluster import Proc
from tests.integration.private_services import PrivateRedis, private_redis  # noqa: F401

pytestmark = [pytest.mark.celery, pytest.mark.postgres]

POISON_GOAL = "Learn poison handling"
CRASH_LOOP_LIMIT = 4
LEASE_SECONDS = 2.0
NORMAL = 6


@pytest.mark.timeout(240)
async def test_poison_task_fails_with_crash_loop_and_its_neighbours_complete(
    postgres_url: str,
    private_redis: PrivateRedis,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        broker_url=private_redis.url,
        executor="celery",
        lease_seconds=LEASE_SECONDS,
        poll_seconds=0.3,
        publish_deadline_seconds=5.0,
        crash_loop_limit=CRASH_LOOP_LIMIT,
    )
    store = open_store(settings)
    await upgrade(store.engines.writer)
    env = worker_env(
        postgres_url,
        private_redis.url,
        lease_seconds=LEASE_SECONDS,
        poll_seconds=0.3,
        extra={
            "LEARNPATH_CRASH_LOOP_LIMIT": str(CRASH_LOOP_LIMIT),
            "LPTEST_POISON_GOAL": POISON_GOAL,
            "LPTEST_POISON_CONCEPT": "c2",
            "LPTEST_TEAM_CONCEPTS": "3",
            "LPTEST_TEAM_DELAY": "0.4",
        },
    )
    worker = Proc(
        "worker", [sys.executable, "-m", "tests.integration.poison_worker"], env, tmp_path
    )
    relay = Relay(store, settings)
    deaths = 0
    try:
        worker.start()
        await asyncio.to_thread(worker.wait_for, "workflows at once")
        await relay.start()
        user = await store.local_user()
        poison, _ = await store.submit_task(user_id=user.id, request={"goal": POISON_GOAL})
        others = [
            (await store.submit_task(user_id=user.id, request={"goal": f"Learn topic {n}"}))[0]
            for n in range(NORMAL)
        ]
        ids = [poison.id, *(t.id for t in others)]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # the supervisor: restart the worker when it dies
            await asyncio.sleep(0.3)
            if not worker.alive:
                deaths += 1
                worker.start()
            tasks = [await store.get_task(task_id) for task_id in ids]
            if all(t.status in ("completed", "failed") for t in tasks):
                break
        tasks = await wait_terminal(store, ids, timeout=5)
        log = worker.log
        [(streak, recoveries)] = await scalar_rows(
            store, f"SELECT crash_streak, recoveries FROM jobs WHERE task_id = '{poison.id}'"
        )
    finally:
        await relay.stop()
        worker.stop()
        await store.close()

    failed, *completed = tasks
    assert [t.status for t in completed] == ["completed"] * NORMAL, [
        (t.status, t.error) for t in completed
    ]
    assert failed.status == "failed", failed
    assert failed.error is not None
    assert failed.error.code == "worker_crash_loop"
    assert failed.error.step == "content_generation"
    # The item it dies at is named (with the items of that concept written beside it).
    assert re.search(r"concept c2 \([a-z, ]*quiz[a-z, ]*\)", failed.error.message), failed.error

    assert f"died {CRASH_LOOP_LIMIT} times in a row" in failed.error.message
    # Failed within the threshold: CRASH_LOOP_LIMIT deaths in a row at the item, after at
    # most a couple of deaths that still saved other items of the roadmap.
    assert streak == CRASH_LOOP_LIMIT
    assert CRASH_LOOP_LIMIT <= deaths <= CRASH_LOOP_LIMIT + 2, deaths
    assert recoveries == deaths - 1
    assert log.count("poison: killing this worker") == deaths
