"""A whole distributed deployment as separate processes, for fault tests.

``learnpath serve --executor celery`` (the API, the web UI and a relay) and several
``learnpath worker`` processes, all on a private PostgreSQL and a private Redis
(``tests.integration.private_services``). Every process writes its own log file; the
tests read them to prove that nothing but the injected faults was logged as an error.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import httpx

from tests.integration.celery_support import REPO, free_port

LEARNPATH = str(Path(sys.executable).parent / "learnpath")
API = "/api/v1"

#: Lines that say something went wrong. Each must be explained by an injected fault.
_TROUBLE = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|Exception in ASGI|Unhandled")
#: What a Redis restart makes Celery log, once per reconnect attempt: expected.
BROKER_FAULT_LINES = (
    re.compile(r"ERROR/MainProcess\] consumer: Cannot connect to \S+://\S*127\.0\.0\.1:\d+/0: "),
)


class Proc:
    """One child process in its own process group, its output appended to a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"==== start {self.starts} of {self.name}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for(self, marker: str, timeout: float = 90.0) -> None:
        """Wait until the log of the current start contains ``marker``."""
        deadline = time.monotonic() + timeout
        header = f"==== start {self.starts} of {self.name}"
        while time.monotonic() < deadline:
            current = self.log.rsplit(header, 1)[-1]
            if marker in current:
                return
            if not self.alive:
                raise RuntimeError(f"{self.name} exited:\n{current[-3000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}: no {marker!r} after {timeout}s")

    def kill(self) -> None:
        if self.alive:
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive:
            return
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def cluster_env(
    database_url: str,
    broker_url: str,
    data_dir: Path,
    *,
    lease_seconds: float = 5.0,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEARNPATH_", "LPTEST_"))}
    env.update(
        {
            "LEARNPATH_DATABASE_URL": database_url,
            "LEARNPATH_BROKER_URL": broker_url,
            "LEARNPATH_EXECUTOR": "celery",
            "LEARNPATH_AUTH": "none",
            "LEARNPATH_DATA_DIR": str(data_dir),
            "LEARNPATH_MODEL": "offline",
            "LEARNPATH_LEASE_SECONDS": str(lease_seconds),
            "LEARNPATH_POLL_SECONDS": "0.5",
            "LEARNPATH_PUBLISH_DEADLINE_SECONDS": "10",
            # One client submits a whole load at once: no per-user quota in the way.
            "LEARNPATH_USER_MAX_ACTIVE_TASKS": "100000",
            "LEARNPATH_USER_SUBMITS_PER_MINUTE": "100000",
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
            **(extra or {}),
        }
    )
    return env


class Deployment:
    """One API server and ``workers`` worker processes; see the module docstring."""

    def __init__(
        self,
        env: dict[str, str],
        log_dir: Path,
        *,
        workers: int = 3,
        worker_command: list[str] | None = None,
    ) -> None:
        self.env = env
        self.log_dir = log_dir
        self.port = free_port()
        self.server = Proc(
            "serve",
            [LEARNPATH, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env,
            log_dir,
        )
        command = worker_command or [LEARNPATH, "worker"]
        self.workers = [Proc(f"worker{n + 1}", command, env, log_dir) for n in range(workers)]
        self.kills = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server.start()
        self.server.wait_for("Application startup complete")
        for worker in self.workers:
            worker.start()
        for worker in self.workers:
            worker.wait_for("workflows at once")

    def kill_random_worker(self, rng: random.Random) -> Proc:
        """SIGKILL one worker and start a new process in its place at once."""
        victim = rng.choice(self.workers)
        victim.kill()
        self.kills += 1
        victim.start()
        return victim

    def revive(self) -> None:
        """Start any worker that is not running (one may have died on a poison task)."""
        for worker in self.workers:
            if not worker.alive:
                worker.start()

    def stop(self) -> None:
        for proc in (*self.workers, self.server):
            proc.stop()

    def logs(self) -> dict[str, str]:
        return {proc.name: proc.log for proc in (self.server, *self.workers)}


def unexplained_errors(logs: dict[str, str], allowed: Iterable[re.Pattern[str]] = ()) -> list[str]:
    """Every log line that reports trouble and is not one of the ``allowed`` fault lines."""
    allowed = (*BROKER_FAULT_LINES, *allowed)
    found = []
    for name, text in logs.items():
        for line in text.splitlines():
            if _TROUBLE.search(line) and not any(p.search(line) for p in allowed):
                found.append(f"{name}: {line}")
    return found


async def submit(client: httpx.AsyncClient, goal: str, key: str, statuses: list[int]) -> str:
    """Submit a roadmap as a client would: repeat on 503 after ``Retry-After``."""
    import asyncio

    body = {"goal": goal, "hours_per_week": 5, "weeks": 4}
    while True:
        try:
            response = await client.post(
                f"{API}/roadmaps/generate", json=body, headers={"Idempotency-Key": key}
            )
        except httpx.TransportError:
            await asyncio.sleep(1.0)
            continue
        statuses.append(response.status_code)
        if response.status_code == 503:
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        response.raise_for_status()
        return str(response.json()["task_id"])
