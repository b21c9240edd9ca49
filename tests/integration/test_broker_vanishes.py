"""``/admin/diagnostics`` (the cluster report) when the broker goes away mid-report.

A loopback relay to the real Redis lets exactly one connection through (the look at the
queues) and then stops listening, as a broker that dies at that moment: the ping that
follows cannot connect. The report says the broker is unreachable; nothing raises.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from learnpath.dispatch.celery_app import make_celery
from learnpath.dispatch.cluster import cluster_report
from learnpath.store import Store
from tests.conftest import require_service
from tests.integration.celery_support import REDIS_PORT, redis_available


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The broker is the subject here; the job table can be SQLite."""
    return f"sqlite+aiosqlite:///{tmp_path / 'learnpath.db'}"


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def one_connection_broker() -> Iterator[int]:
    """A port that relays its first connection to Redis, then refuses every other one."""
    require_service(redis_available(), f"Redis at 127.0.0.1:{REDIS_PORT}")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        with listener:
            client, _ = listener.accept()
        upstream = socket.create_connection(("127.0.0.1", REDIS_PORT))
        threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()
        _pipe(upstream, client)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    with contextlib.suppress(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    thread.join(timeout=5)


async def test_the_report_survives_a_broker_that_vanishes_after_the_queue_check(
    make_settings: object, store: Store, one_connection_broker: int
) -> None:
    settings = make_settings(  # type: ignore[operator]
        executor="celery", broker_url=f"redis://127.0.0.1:{one_connection_broker}/0"
    )
    app = make_celery(settings)
    try:
        report = await cluster_report(store, settings, app=app, timeout=0.5)
    finally:
        app.close()
    assert report.broker_ok is False
    assert report.broker_error
    assert "broker unreachable" in report.verdict
