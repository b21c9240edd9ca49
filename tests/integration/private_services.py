"""A PostgreSQL cluster and a Redis server of a test's own, on free ports.

Fault tests stop, restart and terminate these; nothing else on the machine uses them, so
other tests (and other people's runs) sharing the default PostgreSQL and Redis are not
disturbed. PostgreSQL needs ``initdb``/``pg_ctl`` and root (the cluster runs as the
``postgres`` user); Redis needs ``redis-server``. Without them the fixtures skip locally
and fail under ``CI=true`` (``require_service``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.integration.celery_support import free_port, port_open


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def private_postgres_usable() -> bool:
    return _pg_bin() is not None and os.geteuid() == 0 and shutil.which("runuser") is not None


@dataclass
class PrivatePostgres:
    """One throwaway cluster (``initdb`` + ``pg_ctl``) listening on 127.0.0.1:``port``."""

    bin: Path
    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def database(self) -> str:
        return "postgres"

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def init(self) -> None:
        self.data.mkdir(parents=True)
        shutil.chown(self.root, "postgres")
        shutil.chown(self.data, "postgres")
        self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} "
            "-c max_connections=300 -c fsync=off -c synchronous_commit=off"
        )
        self._as_postgres(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.data / "server.log"),
            "start",
        )

    def stop(self) -> None:
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"
        )

    def terminate_backends(self) -> int:
        """``pg_terminate_backend`` every client connection to the test database."""
        import psycopg

        dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                (self.database,),
            ).fetchall()
        return len(rows)


@dataclass
class PrivateRedis:
    """One ``redis-server`` without persistence: a restart loses every queued message."""

    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.root / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("the private redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the broker disappears at once, with every message it held."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def restart(self, down_for: float = 1.0) -> None:
        self.kill()
        time.sleep(down_for)
        self.start()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    require_service(
        private_postgres_usable(),
        "initdb/pg_ctl (run as root with a postgres user) for a throwaway cluster",
    )
    pg_bin = _pg_bin()
    assert pg_bin is not None
    server = PrivatePostgres(bin=pg_bin, root=Path(tempfile.mkdtemp(prefix="lp-chaos-pg-")))
    server.init()
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    require_service(shutil.which("redis-server") is not None, "redis-server")
    root = tmp_path / "redis"
    root.mkdir()
    server = PrivateRedis(root=root)
    server.start()
    try:
        yield server
    finally:
        server.kill()
