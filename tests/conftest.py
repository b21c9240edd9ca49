"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL tests skip locally when no server answers, but fail in CI (``CI=true``),
where the service must be running. Each PostgreSQL test gets a database of its own.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from learnpath.settings import Settings
from learnpath.store import Store, open_store
from learnpath.store.migrate import upgrade

PG_SERVER = os.environ.get("LEARNPATH_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# pytest-timeout interrupts a test after its limit; a test whose teardown then hangs would
# otherwise keep CI waiting until CI's own limit. This much later the run prints every
# thread's stack and exits, so the log shows where it hung.
HANG_GRACE_SECONDS = 300


def _exit_on_hang(config: pytest.Config, nodeid: str) -> None:
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.suspend_global_capture(in_=True)
    print(
        f"\n{nodeid} still runs {HANG_GRACE_SECONDS} s past its timeout; stacks:", file=sys.stderr
    )
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    sys.stderr.flush()
    os._exit(3)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    marker = item.get_closest_marker("timeout")
    limit = (
        float(marker.args[0]) if marker and marker.args else float(item.config.getini("timeout"))
    )
    watchdog = None
    if limit > 0:
        watchdog = threading.Timer(
            limit + HANG_GRACE_SECONDS, _exit_on_hang, (item.config, item.nodeid)
        )
        watchdog.daemon = True
        watchdog.start()
    try:
        yield
    finally:
        if watchdog is not None:
            watchdog.cancel()


def require_service(available: bool, what: str) -> None:
    """Skip when a service is missing locally; fail in CI, where it must be there."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is not reachable, and CI must run this test")
    pytest.skip(f"{what} is not reachable")


def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)


def postgres_available() -> bool:
    try:
        with _pg_admin():
            return True
    except Exception:
        return False


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No developer configuration leaks into tests."""
    for name in list(os.environ):
        if name.startswith("LEARNPATH_") and name != "LEARNPATH_TEST_PG":
            monkeypatch.delenv(name)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    require_service(postgres_available(), f"PostgreSQL at {PG_SERVER}")
    name = f"lp_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://{PG_SERVER.split('://', 1)[1]}/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'learnpath.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def make_settings(tmp_path: Path, database_url: str) -> Any:
    """Build Settings for this test's database; keyword arguments override fields."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "lease_seconds": 5.0,
            "poll_seconds": 0.2,
            # Tests submit hundreds of tasks as one user; the quota tests set their own.
            "user_max_active_tasks": 100_000,
            "user_submits_per_minute": 100_000,
            **overrides,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    return make_settings()  # type: ignore[no-any-return]


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    store = open_store(settings, pool_size=20)
    await upgrade(store.engines.writer)
    try:
        yield store
    finally:
        await store.close()
