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
step run), and the learnpath worker's peak resident memory and CPU per model call (its
process CPU over the model calls the fake server answered). ``--no-baseline`` runs
learnpath alone (``--n 1000 --latency-ms 1000 --no-baseline``: 1,000 roadmaps in flight in
one worker process, which runs up to 1,000 at once here); ``--time-limit S`` stops waiting
after S seconds and reports how many roadmaps finished and how many were still running
(the peak memory of 1,000 in flight, without waiting for 80,000 model calls);
``--workers K`` runs K learnpath worker processes instead of one.
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
from dataclasses import dataclass
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
    parser.add_argument("--workers", type=int, default=1, help="learnpath worker processes")
    parser.add_argument(
        "--time-limit", type=float, default=None, help="stop waiting after this many seconds"
    )
    args = parser.parse_args()
    limits = Limits(workers=args.workers, seconds=args.time_limit)
    results = asyncio.run(
        run(args.n, args.latency_ms / 1000, baseline=not args.no_baseline, limits=limits)
    )
    print_table(results, args.n, args.latency_ms)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))


@dataclass(frozen=True)
class Limits:
    """How the learnpath side runs: worker processes, and how long to wait for the roadmaps."""

    workers: int = 1
    seconds: float | None = None


async def run(
    n: int, latency: float, baseline: bool = True, limits: Limits = Limits()
) -> dict[str, dict[str, Any]]:
    with FakeLLMServer(latency=latency) as server, tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp)
        with database() as url:
            learnpath, ideal, workers = await run_learnpath(
                n, url, f"{REDIS}/13", server, logs, limits
            )
        results = {"learnpath": summarise(learnpath, ideal, n) | workers}
        if baseline:
            with database() as url:
                replaced = await run_baseline(n, url, f"{REDIS}/14", server, logs)
            results["baseline"] = summarise(replaced, ideal, n)
    return results


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    n: int, url: str, broker: str, server: FakeLLMServer, logs: Path, limits: Limits
) -> tuple[list[dict[str, float]], float, dict[str, Any]]:
    """Run the solo roadmap (the critical path), then ``n`` at once; the timings, the ideal
    time and the workers' figures (peak RSS of the largest, CPU per model call, in flight)."""
    flush(broker)
    settings = settings_for(url, broker, server)
    store = open_store(settings, pool_size=10)
    await upgrade(store.engines.writer)
    workers = [
        start_worker(
            ["-A", "learnpath.dispatch.celery_app", "worker", "-n", f"bench{i}@%h"],
            env_for(settings),
            logs / f"learnpath-{i}.log",
            "workflows at once",
        )
        for i in range(limits.workers)
    ]
    relay = Relay(store, settings)
    try:
        await relay.start()
        [solo] = await submit_and_wait(store, 1, lambda _task, _job: None)
        ideal = solo["run_s"]
        calls, cpu = server.requests_total, sum(cpu_seconds(w.pid) for w in workers)
        timings = await submit_and_wait(store, n, lambda _task, _job: None, limits.seconds)
        calls, cpu = server.requests_total - calls, sum(cpu_seconds(w.pid) for w in workers) - cpu
        figures = {
            "workers": limits.workers,
            "worker_peak_rss_mb": max(peak_rss_mb(w.pid) for w in workers),
            "model_calls": calls,
            "worker_cpu_ms_per_call": round(cpu * 1000 / max(calls, 1), 2),
        }
        return timings, ideal, figures
    finally:
        await relay.stop()
        await store.close()
        for worker in workers:
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
    store: Store,
    n: int,
    after_commit: Callable[[str, int], None],
    time_limit: float | None = None,
) -> list[dict[str, float]]:
    """Submit ``n`` roadmaps and wait for them all (or for ``time_limit`` seconds); the
    timings of those that finished."""
    user = await store.local_user()
    deadline = None if time_limit is None else time.monotonic() + time_limit
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
        if deadline is not None and time.monotonic() > deadline:
            tasks = [t for t in tasks if t.status in TERMINAL]
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


def summarise(timings: list[dict[str, float]], ideal: float, n: int) -> dict[str, Any]:
    """Wall time, its ratio to the ideal and the pickups; with fewer finished than ``n`` (a
    time limit), the wall time is of those that finished, and ``unfinished`` says how many
    did not."""
    if not timings:
        return {"n": n, "completed": 0, "unfinished": n}
    wall = max(t["finished"] for t in timings) - min(t["created"] for t in timings)
    pickups = sorted(t["pickup_s"] * 1000 for t in timings)
    return {
        "n": n,
        "unfinished": n - len(timings),
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
        f"{'system':<10} {'done':>6} {'unfinished':>10} {'wall s':>8} {'ideal s':>8} "
        f"{'ratio':>6} {'pickup p50 ms':>14} {'p99 ms':>9} {'peak RSS MB':>12} "
        f"{'CPU ms/call':>12}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        if "wall_s" not in r:
            print(f"{name:<10} {0:>6} {r['unfinished']:>10}  (none finished in the time limit)")
            continue
        print(
            f"{name:<10} {r['completed']:>6} {r['unfinished']:>10} {r['wall_s']:>8.2f} "
            f"{r['ideal_s']:>8.2f} {r['ratio']:>6.2f} {r['pickup_p50_ms']:>14.1f} "
            f"{r['pickup_p99_ms']:>9.1f} {r.get('worker_peak_rss_mb', '-'):>12} "
            f"{r.get('worker_cpu_ms_per_call', '-'):>12}"
        )
    if "learnpath" in results and "baseline" in results and "wall_s" in results["baseline"]:
        ratio = results["baseline"]["wall_s"] / results["learnpath"].get("wall_s", float("nan"))
        print(f"learnpath is {ratio:.1f}x faster than the baseline (wall time)")


if __name__ == "__main__":
    main()
