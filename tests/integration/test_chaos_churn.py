"""Churn as a standing test: a deployment keeps its promises while it is being broken.

Roadmaps (offline model) are submitted over HTTP to ``learnpath serve --executor
celery`` with three ``learnpath worker`` processes, on a private PostgreSQL cluster and a
private Redis (``private_services``: nothing else on the machine is disturbed).
Meanwhile, on a harsh schedule (``Schedule``: fixed seconds after the first submit):

* a random worker is SIGKILLed every ~``KILL_EVERY`` seconds and started again, until
  every task is finished;
* Redis is killed and restarted (without persistence: every queued message is lost);
* every PostgreSQL backend of the database is terminated, twice;
* PostgreSQL itself is stopped for ``DB_DOWN_SECONDS`` and started again.

Afterwards: every task completed; no content item was generated twice (one row, version
1, per roadmap, concept and kind); no step was completed twice; no request got a 500, and
503s (with ``Retry-After``) came only while PostgreSQL was down; and the logs of every
process hold no error but the broker-reconnect lines the Redis restart causes (and no
asyncpg state error, ``kill_job`` or ``connection_errors`` anywhere).

The CI-sized run (30 roadmaps submitted at once) always runs; the full 300 is
``pytest -p no:cacheprovider -m slow tests/integration/test_chaos_churn.py``. Each run
prints its figures (and writes ``figures.json`` in its temporary directory).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.integration.chaos_cluster import (
    API,
    Deployment,
    cluster_env,
    submit,
    unexplained_errors,
)
from tests.integration.private_services import (  # noqa: F401 (fixtures)
    PrivatePostgres,
    PrivateRedis,
    private_postgres,
    private_redis,
)

pytestmark = [pytest.mark.celery, pytest.mark.postgres]

KILL_EVERY = 10.0
DB_DOWN_SECONDS = 5.0
#: The faults go on until every task is finished and at least this many workers died.
MIN_KILLS = 3


@dataclass
class Schedule:
    """Seconds after the first submit at which each one-off fault happens."""

    redis_at: float
    terminations_at: tuple[float, float]
    db_restart_at: float

    def one_offs(self) -> list[tuple[float, str]]:
        return sorted(
            [(self.redis_at, "redis"), (self.db_restart_at, "db")]
            + [(at, "terminate") for at in self.terminations_at]
        )


@dataclass
class Record:
    faults: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    outage_503: list[float] = field(default_factory=list)
    other_5xx: list[str] = field(default_factory=list)
    db_down: list[tuple[float, float]] = field(default_factory=list)
    terminated: int = 0


def facts(dsn: str) -> dict[str, object]:
    """What the database says after the run."""
    with psycopg.connect(dsn, autocommit=True) as conn:

        def rows(sql: str) -> list[tuple[object, ...]]:
            return list(conn.execute(sql).fetchall())

        return {
            "tasks": dict(rows("SELECT status, count(*) FROM tasks GROUP BY status")),
            "jobs": dict(rows("SELECT state, count(*) FROM jobs GROUP BY state")),
            "content_duplicates": rows(
                "SELECT roadmap_id, concept_id, kind, count(*) FROM concept_content "
                "GROUP BY roadmap_id, concept_id, kind HAVING count(*) > 1"
            ),
            "max_version": rows("SELECT coalesce(max(version), 0) FROM concept_content")[0][0],
            "content_completed": rows(
                "SELECT count(*) FROM concept_content WHERE status = 'completed'"
            )[0][0],
            "content_not_completed": rows(
                "SELECT count(*) FROM concept_content WHERE status <> 'completed'"
            )[0][0],
            # (roadmaps with content, fewest items of one roadmap, most items of one roadmap)
            "content_per_roadmap": rows(
                "SELECT count(*), min(n), max(n) FROM (SELECT roadmap_id, count(*) AS n "
                "FROM concept_content GROUP BY roadmap_id) AS per_roadmap"
            )[0],
            "steps_completed_twice": rows(
                "SELECT task_id, step, count(*) FROM step_runs WHERE status = 'completed' "
                "GROUP BY task_id, step HAVING count(*) > 1"
            ),
            "recoveries": rows("SELECT coalesce(sum(recoveries), 0) FROM jobs")[0][0],
            "crash_loops": rows(
                "SELECT count(*) FROM tasks WHERE error_code = 'worker_crash_loop'"
            )[0][0],
        }


async def run_churn(
    roadmaps: int,
    submit_window: float,
    pg: PrivatePostgres,
    redis: PrivateRedis,
    tmp_path: Path,
    schedule: Schedule,
) -> tuple[Record, dict[str, object], dict[str, str], float]:
    env = cluster_env(pg.url, redis.url, tmp_path / "data")
    deployment = Deployment(env, tmp_path)
    record = Record()
    rng = random.Random(roadmaps)
    started = time.monotonic()
    try:
        await asyncio.to_thread(deployment.start)
        async with httpx.AsyncClient(base_url=deployment.url, timeout=60) as client:
            task_ids: list[str] = []
            done = asyncio.Event()

            async def submit_all() -> None:
                for n in range(roadmaps):
                    goal = f"Learn distributed systems, part {n}"
                    task_ids.append(await submit(client, goal, f"churn-{n}", record.statuses))
                    await asyncio.sleep(submit_window / roadmaps)

            async def watch() -> None:
                """Read tasks as a client would, all along; note every 5xx."""
                while not done.is_set():
                    await asyncio.sleep(0.5)
                    if not task_ids:
                        continue
                    path = f"{API}/tasks/{rng.choice(task_ids)}"
                    try:
                        response = await client.get(path)
                    except httpx.TransportError:
                        continue
                    record.statuses.append(response.status_code)
                    if response.status_code == 503 and "Retry-After" in response.headers:
                        record.outage_503.append(time.monotonic())
                    elif response.status_code >= 500:
                        record.other_5xx.append(f"{response.status_code} {response.text[:300]}")

            async def break_things() -> None:
                window_start = time.monotonic()
                one_offs = schedule.one_offs()
                next_kill = window_start + KILL_EVERY * rng.uniform(0.8, 1.2)
                while not done.is_set():
                    await asyncio.sleep(0.2)
                    now = time.monotonic()
                    if one_offs and now - window_start >= one_offs[0][0]:
                        _, what = one_offs.pop(0)
                        await inject(what)
                    elif now >= next_kill:
                        victim = await asyncio.to_thread(deployment.kill_random_worker, rng)
                        record.faults.append(f"SIGKILL {victim.name}")
                        next_kill = now + KILL_EVERY * rng.uniform(0.8, 1.2)
                    if not one_offs and all_done() and deployment.kills >= MIN_KILLS:
                        return

            async def inject(what: str) -> None:
                if what == "redis":
                    await asyncio.to_thread(redis.restart, 2.0)
                    record.faults.append("redis restarted")
                elif what == "terminate":
                    killed = await asyncio.to_thread(pg.terminate_backends)
                    record.terminated += killed
                    record.faults.append(f"terminated {killed} backends")
                else:
                    down = time.monotonic()
                    await asyncio.to_thread(pg.stop)
                    await asyncio.sleep(DB_DOWN_SECONDS)
                    await asyncio.to_thread(pg.start)
                    record.db_down.append((down, time.monotonic()))
                    record.faults.append("postgres restarted")

            finished: set[str] = set()

            def all_done() -> bool:
                return len(finished) == roadmaps

            dsn = pg.url.replace("postgresql+asyncpg", "postgresql")

            def terminal_ids() -> set[str]:
                with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
                    found = conn.execute(
                        "SELECT id FROM tasks WHERE status IN "
                        "('completed', 'partial_failure', 'failed', 'canceled')"
                    ).fetchall()
                return {str(row[0]) for row in found}

            async def wait_all(timeout: float) -> None:
                deadline = time.monotonic() + timeout
                while len(task_ids) < roadmaps or not all_done():
                    if time.monotonic() > deadline:
                        missing = sorted(set(task_ids) - finished)
                        raise AssertionError(
                            f"{len(missing)} task(s) unfinished after {timeout}s: {missing[:10]}"
                            f"\nfaults: {record.faults}"
                        )
                    await asyncio.sleep(1.0)
                    try:
                        finished.update(await asyncio.to_thread(terminal_ids))
                    except psycopg.OperationalError:
                        continue  # the database is being restarted

            watcher = asyncio.create_task(watch())
            chaos = asyncio.create_task(break_things())
            await submit_all()
            try:
                await wait_all(timeout=300 + roadmaps * 6)
                await chaos  # the one-off faults all happened
            finally:
                done.set()
                chaos.cancel()
                await asyncio.gather(watcher, chaos, return_exceptions=True)
            await asyncio.to_thread(deployment.revive)
    finally:
        elapsed = time.monotonic() - started
        await asyncio.to_thread(deployment.stop)
    record.faults.append(f"{deployment.kills} worker kills")
    return (
        record,
        facts(pg.url.replace("postgresql+asyncpg", "postgresql")),
        deployment.logs(),
        elapsed,
    )


def check(roadmaps: int, record: Record, found: dict[str, object], logs: dict[str, str]) -> None:
    assert found["tasks"] == {"completed": roadmaps}, (found, record.faults)
    assert found["jobs"] == {"done": roadmaps}, found
    assert found["content_duplicates"] == [], found
    assert found["max_version"] == 1, found
    assert found["content_not_completed"] == 0, found
    with_content, fewest, most = found["content_per_roadmap"]  # type: ignore[misc]
    assert with_content == roadmaps and fewest == most, found  # the same plan for every goal
    assert found["content_completed"] == roadmaps * most, found
    assert found["steps_completed_twice"] == [], found
    assert 500 not in record.statuses
    assert record.other_5xx == [], record.other_5xx
    # 503s only while PostgreSQL was down (plus a few seconds for the pool to reconnect).
    stray = [
        at
        for at in record.outage_503
        if not any(down - 1 <= at <= up + 10 for down, up in record.db_down)
    ]
    assert stray == [], (stray, record.db_down)
    errors = unexplained_errors(logs)
    assert errors == [], "\n".join(errors[:40])
    joined = "\n".join(logs.values())
    for forbidden in ("another operation", "kill_job", "connection_errors"):
        assert forbidden not in joined, forbidden


CI = Schedule(redis_at=6, terminations_at=(12, 18), db_restart_at=26)
FULL = Schedule(redis_at=60, terminations_at=(120, 180), db_restart_at=240)


@pytest.mark.parametrize(
    ("roadmaps", "submit_window", "schedule"),
    [
        pytest.param(30, 5.0, CI, id="ci-30", marks=pytest.mark.timeout(400)),
        pytest.param(
            300, 150.0, FULL, id="full-300", marks=[pytest.mark.slow, pytest.mark.timeout(3600)]
        ),
    ],
)
async def test_churn_every_task_completes_once(
    roadmaps: int,
    submit_window: float,
    schedule: Schedule,
    private_postgres: PrivatePostgres,  # noqa: F811
    private_redis: PrivateRedis,  # noqa: F811
    tmp_path: Path,
) -> None:
    record, found, logs, elapsed = await run_churn(
        roadmaps, submit_window, private_postgres, private_redis, tmp_path, schedule
    )
    figures = {
        "roadmaps": roadmaps,
        "wall_seconds": round(elapsed),
        "faults": record.faults,
        "backends_terminated": record.terminated,
        "requests": len(record.statuses),
        "db_outage_503s": len(record.outage_503),
        **{k: v for k, v in found.items() if k in ("tasks", "content_completed", "recoveries")},
    }
    print("churn figures:", json.dumps(figures, default=str))
    (tmp_path / "figures.json").write_text(json.dumps(figures, default=str, indent=2))
    assert "redis restarted" in record.faults
    assert "postgres restarted" in record.faults
    assert sum(f.startswith("terminated") for f in record.faults) == 2
    assert sum(f.startswith("SIGKILL") for f in record.faults) >= MIN_KILLS, record.faults
    check(roadmaps, record, found, logs)
