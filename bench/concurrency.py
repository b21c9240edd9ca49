"""How many roadmaps run at once: learnpath's Celery mode against the model it replaced.

    .venv/bin/python bench/concurrency.py --n 100 --latency-ms 200 [--json out.json]

Both systems run in the same invocation, on this machine's PostgreSQL (a fresh database
each, dropped afterwards) and Redis, against the fake OpenAI-compatible server with a
fixed latency per call, so the model's speed is the same for both:

* learnpath: ONE ``celery -A learnpath.dispatch.celery_app worker`` process, the relay
  in this process;
* baseline (``bench/baseline_app.py``): Celery prefork with 6 processes, one workflow
  per process through ``asyncio.run``, the row committed then ``.delay()``.

Reported per system: wall time from the first submit to the last finish, the ideal time
(the critical path: one roadmap alone, first step to finish, measured on learnpath) and
their ratio, and submit-to-first-step latency p50/p99 (task ``created_at`` to its first
step run), and the learnpath worker's peak resident memory. ``--no-baseline`` runs
learnpath alone (``--n 1000 --latency-ms 1000 --no-baseline``: 1,000 roadmaps in flight in
one worker process, which runs up to 1,000 at once here).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnpath.dispatch.relay import Relay
from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.migrate import upgrade
from learnpath.testing.fake_llm import FakeLLMServer

REPO = Path(__file__).resolve().parents[1]
PG = os.environ.get("LEARNPATH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS = os.environ.get("LEARNPATH_BENCH_REDIS", "redis://127.0.0.1:6379")
TERMINAL = ("completed", "partial_failure", "failed", "canceled")
MODEL_CONCURRENCY = 1024  # per-process model limit, high for both so it never throttles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="roadmaps per system")
    parser.add_argument("--latency-ms", type=float, default=200.0, help="fake model latency")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument(
        "--no-baseline", action="store_true", help="learnpath only (e.g. --n 1000 in flight)"
    )
    args = parser.parse_args()
    results = asyncio.run(run(args.n, args.latency_ms / 1000, baseline=not args.no_baseline))
    print_table(results, args.n, args.latency_ms)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))


async def run(n: int, latency: float, baseline: bool = True) -> dict[str, dict[str, Any]]:
    with FakeLLMServer(latency=latency) as server, tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp)
        with database() as url:
            learnpath, ideal, peak_rss = await run_learnpath(n, url, f"{REDIS}/13", server, logs)
        results = {"learnpath": summarise(learnpath, ideal) | {"worker_peak_rss_mb": peak_rss}}
        if baseline:
            with database() as url:
                replaced = await run_baseline(n, url, f"{REDIS}/14", server, logs)
            results["baseline"] = summarise(replaced, ideal)
    return results


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


class database:
    """A fresh PostgreSQL database, dropped on exit."""

    def __enter__(self) -> str:
        import psycopg

        self.name = f"lp_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return f"{PG}/{self.name}"

    def __exit__(self, *_: object) -> None:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def settings_for(url: str, broker: str, server: FakeLLMServer, **extra: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        broker_url=broker,
        executor="celery",
        model=server.model_setting,
        model_concurrency=MODEL_CONCURRENCY,
        worker_concurrency=1000,
        poll_seconds=0.5,
        **extra,
    )


def env_for(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNPATH_")}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "LEARNPATH_DATABASE_URL": str(settings.database_url),
            "LEARNPATH_BROKER_URL": settings.broker_url,
            "LEARNPATH_EXECUTOR": "celery",
            "LEARNPATH_MODEL": str(settings.model),
            "LEARNPATH_MODEL_CONCURRENCY": str(settings.model_concurrency),
            "LEARNPATH_WORKER_CONCURRENCY": str(settings.worker_concurrency),
            "LEARNPATH_LEASE_SECONDS": str(settings.lease_seconds),
        }
    )
    return env


def start_worker(args: list[str], env: dict[str, str], log: Path, ready: str) -> Any:
    out = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", *args, "--loglevel=INFO"],
        cwd=REPO,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while ready not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return process


def stop_worker(process: Any) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def flush(broker: str) -> None:
    db = broker.rsplit("/", 1)[1]
    subprocess.run(["redis-cli", "-n", db, "flushdb"], check=True, capture_output=True)


async def run_learnpath(
    n: int, url: str, broker: str, server: FakeLLMServer, logs: Path
) -> tuple[list[dict[str, float]], float, float]:
    flush(broker)
    settings = settings_for(url, broker, server)
    store = open_store(settings, pool_size=10)
    await upgrade(store.engines.writer)
    worker = start_worker(
        ["-A", "learnpath.dispatch.celery_app", "worker"],
        env_for(settings),
        logs / "learnpath.log",
        "workflows at once",
    )
    relay = Relay(store, settings)
    try:
        await relay.start()
        [solo] = await submit_and_wait(store, 1, lambda _task, _job: None)
        ideal = solo["run_s"]
        timings = await submit_and_wait(store, n, lambda _task, _job: None)
        return timings, ideal, peak_rss_mb(worker.pid)
    finally:
        await relay.stop()
        await store.close()
        stop_worker(worker)


async def run_baseline(
    n: int, url: str, broker: str, server: FakeLLMServer, logs: Path
) -> list[dict[str, float]]:
    flush(broker)
    settings = settings_for(url, broker, server, lease_seconds=3600.0)
    store = open_store(settings, pool_size=10)
    await upgrade(store.engines.writer)
    worker = start_worker(
        ["-A", "bench.baseline_app", "worker", "--pool=prefork", "--concurrency=6"],
        env_for(settings),
        logs / "baseline.log",
        " ready.",
    )
    from celery import Celery

    app = Celery("baseline-client", broker=broker, set_as_current=False)
    app.conf.update(task_default_queue="baseline")

    def delay(_task: str, job_id: int) -> None:
        app.send_task("baseline.run_roadmap", args=[job_id])

    try:
        return await submit_and_wait(store, n, delay)
    finally:
        app.close()
        await store.close()
        stop_worker(worker)


async def submit_and_wait(
    store: Store, n: int, after_commit: Callable[[str, int], None]
) -> list[dict[str, float]]:
    user = await store.local_user()
    ids: list[str] = []
    for i in range(n):
        task, _ = await store.submit_task(
            user_id=user.id, request={"goal": f"Become a backend engineer ({i})"}
        )
        [job] = await store.jobs_for_task(task.id)
        after_commit(task.id, job.id)
        ids.append(task.id)
    while True:
        tasks = [await store.get_task(task_id) for task_id in ids]
        if all(t.status in TERMINAL for t in tasks):
            break
        await asyncio.sleep(0.2)
    timings = []
    for task in tasks:
        runs = await store.step_runs(task.id)
        first = min(run.started_at for run in runs)
        assert task.finished_at is not None
        timings.append(
            {
                "created": task.created_at.timestamp(),
                "finished": task.finished_at.timestamp(),
                "pickup_s": (first - task.created_at) / dt.timedelta(seconds=1),
                "run_s": (task.finished_at - first) / dt.timedelta(seconds=1),
                "completed": float(task.status == "completed"),
            }
        )
    return timings


def summarise(timings: list[dict[str, float]], ideal: float) -> dict[str, Any]:
    wall = max(t["finished"] for t in timings) - min(t["created"] for t in timings)
    pickups = sorted(t["pickup_s"] * 1000 for t in timings)
    return {
        "n": len(timings),
        "completed": int(sum(t["completed"] for t in timings)),
        "wall_s": round(wall, 3),
        "ideal_s": round(ideal, 3),
        "ratio": round(wall / ideal, 2),
        "pickup_p50_ms": round(statistics.median(pickups), 1),
        "pickup_p99_ms": round(percentile(pickups, 0.99), 1),
    }


def percentile(values: list[float], q: float) -> float:
    index = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[index]


def print_table(results: dict[str, dict[str, Any]], n: int, latency_ms: float) -> None:
    print(f"{n} roadmaps, fake model latency {latency_ms:g} ms per call")
    header = (
        f"{'system':<10} {'done':>6} {'wall s':>8} {'ideal s':>8} {'ratio':>6} "
        f"{'pickup p50 ms':>14} {'p99 ms':>9} {'peak RSS MB':>12}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(
            f"{name:<10} {r['completed']:>6} {r['wall_s']:>8.2f} {r['ideal_s']:>8.2f} "
            f"{r['ratio']:>6.2f} {r['pickup_p50_ms']:>14.1f} {r['pickup_p99_ms']:>9.1f} "
            f"{r.get('worker_peak_rss_mb', '-'):>12}"
        )


if __name__ == "__main__":
    main()
