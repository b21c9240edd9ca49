"""A real PostgreSQL stops and starts again while roadmaps run on a live server.

The cluster is a throwaway one the test creates (``initdb`` + ``pg_ctl`` on a free port),
so stopping it touches nothing else. While it is down the API answers 503
``database_unavailable`` with ``Retry-After`` and the web UI a page that says to wait;
the log gets one line when the outage starts and one when it ends, and no traceback.
Once it is back every task completes.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import logging
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from learnpath.api import create_app
from learnpath.settings import Settings
from learnpath.testing.server import ServerThread
from learnpath.testing.teams import TinyTeam
from tests.conftest import require_service
from tests.e2e.conftest import API, TERMINAL

pytestmark = pytest.mark.postgres


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    bin: Path
    data: Path
    port: int

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                *args,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        self._ctl("-o", options, "-w", "-l", str(self.data / "server.log"), "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    pg_bin = _pg_bin()
    usable = pg_bin is not None and os.geteuid() == 0 and shutil.which("runuser") is not None
    require_service(
        usable, "initdb/pg_ctl (run as root with a postgres user) for a throwaway cluster"
    )
    assert pg_bin is not None
    root = Path(tempfile.mkdtemp(prefix="lp-outage-"))
    data = root / "data"
    data.mkdir()
    shutil.chown(root, "postgres")
    shutil.chown(data, "postgres")
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(pg_bin / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = Cluster(bin=pg_bin, data=data, port=_free_port())
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


async def _wait_terminal(
    client: httpx.AsyncClient, task_ids: list[str], timeout: float
) -> dict[str, str]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        statuses: dict[str, str] = {}
        for task_id in task_ids:
            response = await client.get(f"{API}/tasks/{task_id}")
            if response.status_code == 200:
                statuses[task_id] = response.json()["status"]
        if len(statuses) == len(task_ids) and set(statuses.values()) <= TERMINAL:
            return statuses
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"tasks did not finish after the outage: {statuses}")
        await asyncio.sleep(0.2)


async def test_database_restart_answers_503_then_every_task_completes(
    cluster: Cluster, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=cluster.url,
        auth="none",
        lease_seconds=3.0,
        poll_seconds=0.2,
    )
    # Slow enough that tasks are still running when the database goes away.
    app = create_app(settings, team=TinyTeam(concepts=3, delay=0.3))
    caplog.set_level(logging.WARNING)
    with ServerThread(app) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            body = {"goal": "Learn SQL", "hours_per_week": 5, "weeks": 4}
            created = [
                (await client.post(f"{API}/roadmaps/generate", json=body)).json()["task_id"]
                for _ in range(4)
            ]

            before = [(await client.get(f"{API}/tasks/{t}")).json()["status"] for t in created]
            assert not set(before) <= TERMINAL, before  # work is in flight when it stops
            await asyncio.to_thread(cluster.stop)
            listing = await client.get(f"{API}/tasks")
            submit = await client.post(f"{API}/roadmaps/generate", json=body)
            page = await client.get("/tasks")
            await asyncio.to_thread(cluster.start)

            for response in (listing, submit):
                assert response.status_code == 503, response.text
                assert response.headers["content-type"].startswith("application/problem+json")
                assert response.json()["code"] == "database_unavailable"
                assert int(response.headers["Retry-After"]) > 0
            assert page.status_code == 503
            assert "briefly unavailable" in page.text
            assert int(page.headers["Retry-After"]) > 0

            statuses = await _wait_terminal(client, created, timeout=90)
            assert set(statuses.values()) == {"completed"}, statuses

    messages = [r.getMessage() for r in caplog.records]
    assert sum("is unavailable" in m for m in messages) >= 1
    assert any("available again" in m for m in messages)
    tracebacks = [
        r
        for r in caplog.records
        if r.exc_info and r.name.startswith(("uvicorn", "learnpath.api", "learnpath.web"))
    ]
    assert not tracebacks, [r.getMessage() for r in tracebacks]
