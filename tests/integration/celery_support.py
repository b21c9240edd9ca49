"""Helpers for the Celery tests: real worker subprocesses, Redis restarts, PG backend kills.

Also a worker launcher: ``python -m tests.integration.celery_support`` runs
``learnpath.dispatch.celery_app.run_worker`` (what ``learnpath worker`` calls) with a
``TinyTeam`` whose per-call delay and size come from ``LPTEST_TEAM_DELAY`` and
``LPTEST_TEAM_CONCEPTS``, so fault tests get workflows that last long enough to be
interrupted, without a model.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
REDIS_PORT = 6379
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    str(REDIS_PORT),
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def redis_available() -> bool:
    return port_open(REDIS_PORT) and shutil.which("redis-cli") is not None


def rabbitmq_available() -> bool:
    return port_open(5672)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def flush_redis_db(db: int) -> None:
    subprocess.run(["redis-cli", "-n", str(db), "flushdb"], check=True, capture_output=True)


def stop_redis() -> None:
    subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "shutdown", "nosave"], check=False)
    deadline = time.monotonic() + 10
    while port_open(REDIS_PORT) and time.monotonic() < deadline:
        time.sleep(0.05)


def start_redis() -> None:
    if port_open(REDIS_PORT):
        return
    subprocess.run(REDIS_START, check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = subprocess.run(["redis-cli", "ping"], capture_output=True, text=True, check=False)
        if done.stdout.strip() == "PONG":
            return
        time.sleep(0.05)
    raise RuntimeError("redis did not come back")


@contextmanager
def redis_restored() -> Iterator[None]:
    """Whatever the test does to Redis, it is running again afterwards."""
    try:
        yield
    finally:
        start_redis()


def terminate_backends(database: str) -> int:
    """``pg_terminate_backend`` every connection to ``database`` but our own."""
    from tests.conftest import _pg_admin

    with _pg_admin() as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return len(rows)


def worker_env(
    database_url: str,
    broker_url: str,
    *,
    lease_seconds: float = 3.0,
    poll_seconds: float = 0.5,
    publish_deadline_seconds: float = 5.0,
    max_attempts: int = 3,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEARNPATH_", "LPTEST_"))}
    env.update(
        {
            "LEARNPATH_DATABASE_URL": database_url,
            "LEARNPATH_BROKER_URL": broker_url,
            "LEARNPATH_EXECUTOR": "celery",
            "LEARNPATH_LEASE_SECONDS": str(lease_seconds),
            "LEARNPATH_POLL_SECONDS": str(poll_seconds),
            "LEARNPATH_PUBLISH_DEADLINE_SECONDS": str(publish_deadline_seconds),
            "LEARNPATH_MAX_ATTEMPTS": str(max_attempts),
            "PYTHONPATH": str(REPO),
            **(extra or {}),
        }
    )
    return env


class Worker:
    """One ``celery worker`` subprocess; its output goes to a log file the test can read."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # one new process group: kill takes it all
                [*self.command, "--hostname", f"{self.name}@%h"],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait for the loop host's "ready" line (the runtime is open, claims can start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited:\n{self.log[-3000:]}")
            if "workflows at once" in self.log:
                return
            time.sleep(0.1)
        raise TimeoutError(f"worker {self.name} not ready after {timeout}s:\n{self.log[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (no shutdown handlers run)."""
        if self.process is not None and self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (warm shutdown: leases are released), then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def tiny_worker_command() -> list[str]:
    return [sys.executable, "-m", "tests.integration.celery_support"]


def celery_worker_command(app: str = "learnpath.dispatch.celery_app") -> list[str]:
    return [sys.executable, "-m", "celery", "-A", app, "worker", "--loglevel=INFO"]


class WorkerGroup:
    """Several workers, all stopped (killed if need be) when the ``with`` block ends."""

    def __init__(self, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.command = command
        self.env = env
        self.log_dir = log_dir
        self.workers: list[Worker] = []
        self._serial = 0

    def add(self, *, wait: bool = True) -> Worker:
        self._serial += 1
        worker = Worker(f"w{self._serial}", self.command, self.env, self.log_dir)
        worker.start()
        self.workers.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    @property
    def alive(self) -> list[Worker]:
        return [w for w in self.workers if w.process is not None and w.process.poll() is None]

    def kill_random(self, rng: random.Random) -> Worker | None:
        alive = self.alive
        if not alive:
            return None
        victim = rng.choice(alive)
        victim.kill()
        return victim

    def logs(self) -> str:
        return "\n".join(f"==== {w.name}\n{w.log}" for w in self.workers)

    def __enter__(self) -> WorkerGroup:
        return self

    def __exit__(self, *_: object) -> None:
        for worker in self.workers:
            worker.stop(timeout=10)


TERMINAL = ("completed", "partial_failure", "failed", "canceled")


async def wait_terminal(store: Any, task_ids: list[str], timeout: float) -> list[Any]:
    """Poll until every task is terminal; database errors (a killed backend) are retried."""
    deadline = time.monotonic() + timeout
    tasks: list[Any] = []
    while time.monotonic() < deadline:
        try:
            tasks = [await store.get_task(task_id) for task_id in task_ids]
        except Exception:
            await asyncio.sleep(0.5)
            continue
        if all(t.status in TERMINAL for t in tasks):
            return tasks
        await asyncio.sleep(0.3)
    states = sorted(
        f"{t.id[:8]}:{t.status}/{t.current_step}" for t in tasks if t.status not in TERMINAL
    )
    raise TimeoutError(f"{len(states)} task(s) not finished after {timeout}s: {states[:20]}")


async def scalar_rows(store: Any, sql: str) -> list[Any]:
    from sqlalchemy import text

    async with store.read() as conn:
        return list((await conn.execute(text(sql))).all())


def _main() -> None:
    from learnpath.dispatch.celery_app import run_worker
    from learnpath.settings import Settings
    from learnpath.testing.teams import TinyTeam

    team = TinyTeam(
        concepts=int(os.environ.get("LPTEST_TEAM_CONCEPTS", "3")),
        delay=float(os.environ.get("LPTEST_TEAM_DELAY", "0.1")),
    )
    sys.argv = sys.argv[:1]
    run_worker(Settings(), None, team=team)


if __name__ == "__main__":
    _main()
