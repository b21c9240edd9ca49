"""Nothing asks Celery's pool to kill a job, and the pool would not raise if something did."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from celery.concurrency import get_implementation

from learnpath.dispatch.broker import REDIS_TRANSPORT, RedisTransport
from learnpath.dispatch.celery_app import POOL, ClaimPool, make_celery
from learnpath.settings import Settings


def settings(tmp_path: Path, broker: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, broker_url=broker, executor="celery"
    )


def test_the_worker_pool_never_kills_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    conf = make_celery(settings(tmp_path, "redis://127.0.0.1:6379/0")).conf
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is False
    assert conf.task_time_limit is None and conf.task_soft_time_limit is None
    assert get_implementation(conf.worker_pool) is ClaimPool
    pool = ClaimPool(limit=1)
    caplog.set_level(logging.INFO)
    pool.terminate_job(1234, "SIGTERM")  # Celery's thread pool raises NotImplementedError
    assert "finishes in a moment" in caplog.text


def test_redis_brokers_use_the_transport_that_survives_a_restart(tmp_path: Path) -> None:
    app = make_celery(settings(tmp_path, "redis://127.0.0.1:6379/0"))
    assert app.conf.broker_transport == REDIS_TRANSPORT
    assert type(app.connection_for_write().transport) is RedisTransport
    amqp = make_celery(settings(tmp_path, "amqp://guest:guest@127.0.0.1:5672//"))
    assert amqp.conf.broker_transport is None
    assert POOL.endswith(":ClaimPool")
