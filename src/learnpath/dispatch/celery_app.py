"""The Celery transport: an app built from settings, and the one task ``run_job(job_id)``.

Celery carries job ids, nothing else. A message is a hint that a
committed job may be runnable; the database lease decides who runs it.

Execution model, and why. ``run_job`` does not run the workflow in the Celery pool. It
hands ``accept(job_id)`` to the process's one event loop (``worker_loop.WorkerLoop``),
which claims the job's lease (a few milliseconds), starts the workflow as an asyncio task
on that loop and returns; the message is acked right then. So a pool slot is held for a
claim, not for a workflow that lasts minutes, and one process runs hundreds of workflows
(``Settings.worker_concurrency``) on one loop and one engine. The pool is ``threads``
with a few slots: they only wait for claims, and a full loop makes them wait for a free
slot, which stops the worker taking more messages than it can run.

Acking once the lease is held is safe because the lease, not the message, is the
claim: if the worker dies afterwards its heartbeat stops, the lease expires, and the
reconciler (run by every worker and relay) requeues the job with ``attempt + 1`` and the
relay publishes it again. Before the lease is held the message is still unacked, and
``acks_late`` + ``task_reject_on_worker_lost`` give it back to the broker. A lost
message (a broker restarted without persistence) leaves the job queued and marked
published; the reconciler republishes it after ``publish_deadline_seconds``.

Nothing asks the pool to kill a job. A thread cannot be killed, and ``run_job`` holds
its slot for a claim of a few milliseconds, so there is nothing worth killing: no time
limits are set, ``revoke(terminate=True)`` is never sent, and
``worker_cancel_long_running_tasks_on_connection_loss`` is off (after a broker restart
the claim in hand finishes; an unacked message is redelivered and dropped as ``taken``).
A cold shutdown still cancels active requests; ``ClaimPool`` answers that by leaving
the claim to finish instead of raising ``NotImplementedError`` like Celery's thread pool.

``celery -A learnpath.dispatch.celery_app worker`` works (the app reads ``Settings`` from
the environment on first access); ``learnpath worker`` calls ``run_worker``.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

from celery import Celery, signals
from celery.concurrency.thread import TaskPool
from celery.exceptions import CPendingDeprecationWarning, Reject

from learnpath.agents import AgentTeam
from learnpath.backoff import Backoff
from learnpath.dispatch.broker import REDIS_TRANSPORT
from learnpath.dispatch.runner import is_disconnect
from learnpath.dispatch.worker_loop import Outcome, WorkerLoop
from learnpath.llm.models import quiet_http_client_logs
from learnpath.settings import Settings

log = logging.getLogger(__name__)

TASK_NAME = "learnpath.run_job"
#: The remote-control command a worker answers with its in-flight workflow count.
STATS_COMMAND = "learnpath_stats"
QUEUE = "learnpath"
#: Pool threads per worker process: they only wait for claims (see the module docstring).
CLAIM_SLOTS = 4
#: A delivered id that is not (yet) in the database, or a claim that hit a dropped DB
#: connection, is retried this many times with exponential backoff, then left to the
#: reconciler.
DELIVERY_RETRIES = 4


#: The pool, by name, as the ``worker_pool`` setting takes it (Celery's ``--pool`` option
#: only knows its own pools, so the worker command line leaves it out).
POOL = "learnpath.dispatch.celery_app:ClaimPool"

# Turning cancel-on-connection-loss off is deliberate (see the module docstring); Celery
# would otherwise warn about its future default at every broker reconnect.
warnings.filterwarnings(
    "ignore", category=CPendingDeprecationWarning, message=r"(?s).*on connection loss"
)


class ClaimPool(TaskPool):  # type: ignore[misc]
    """Celery's thread pool, minus the ``kill_job`` error: a claim is left to finish."""

    def terminate_job(self, pid: Any, signal: Any = None) -> None:
        log.info("a claim in progress was asked to stop; it finishes in a moment instead")


#: A suspect job's message comes back this often, this many times (see ``Outcome.BUSY``).
SUSPECT_WAIT_SECONDS = 1.0
SUSPECT_REDELIVERIES = 120


#: Seconds before retry number ``retries + 1`` of an undeliverable job id.
DELIVERY_BACKOFF = Backoff(base=0.5, cap=8.0)


def visibility_timeout(settings: Settings) -> float:
    """Redis redelivers an unacked message after this long: far beyond any lease."""
    return max(3600.0, settings.lease_seconds * 10)


def make_celery(settings: Settings) -> Celery:
    """A Celery app for ``settings`` that can publish jobs (the relay) and host workers."""
    app = Celery("learnpath", set_as_current=False)
    transport_options: dict[str, Any] = {}
    transport: str | None = None
    if settings.broker_url.startswith("redis://"):
        transport = REDIS_TRANSPORT  # survives a Redis restart (see dispatch.broker)
    if settings.broker_url.startswith(("redis://", "rediss://")):
        transport_options = {
            "visibility_timeout": visibility_timeout(settings),
            "socket_connect_timeout": 5,
            "socket_timeout": 30,
        }
    app.conf.update(
        broker_url=settings.broker_url,
        broker_transport=transport,
        broker_transport_options=transport_options,
        broker_connection_retry=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_connection_timeout=5.0,
        broker_heartbeat=30,
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_pool=POOL,
        worker_concurrency=CLAIM_SLOTS,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_publish_retry=True,
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 1.0,
        },
        enable_utc=True,
    )
    return app


def worker_app(settings: Settings, *, team: AgentTeam | None = None) -> Celery:
    """The app a worker process runs: ``make_celery`` plus ``run_job`` and its loop host."""
    quiet_http_client_logs()  # the worker logs at INFO; not a line per model request
    app = make_celery(settings)
    host = WorkerLoop(settings, team=team)

    @app.task(name=TASK_NAME, bind=True, max_retries=DELIVERY_RETRIES)  # type: ignore[untyped-decorator]
    def run_job(self: Any, job_id: int) -> str:
        """Claim the job and start its workflow on this process's loop (see module docs)."""
        try:
            outcome = host.accept(int(job_id))
        except Exception as exc:
            if not is_disconnect(exc):
                raise
            return _retry_or_drop(self, job_id, f"database unreachable ({type(exc).__name__})")
        if outcome is Outcome.UNKNOWN:
            return _retry_or_drop(self, job_id, "not in the database")
        if outcome is Outcome.BUSY:
            # A suspected poison task waits until no other suspect runs on this worker
            # (worker_loop's docstring); after SUSPECT_REDELIVERIES the reconciler
            # republishes it.
            if int(self.request.retries) < SUSPECT_REDELIVERIES:
                _redeliver(
                    self, job_id, countdown=SUSPECT_WAIT_SECONDS, max_retries=SUSPECT_REDELIVERIES
                )
                return "dropped"
            log.info("job %s: still waiting for a worker without a suspect; dropped", job_id)
        if outcome is Outcome.TAKEN:
            log.info("job %s: leased elsewhere or finished; message dropped", job_id)
        return outcome.value

    _connect_lifecycle(host)
    _register_stats_command()
    app.learnpath_host = host
    return app


def _register_stats_command() -> None:
    from celery.worker.control import inspect_command

    @inspect_command(name=STATS_COMMAND)  # type: ignore[untyped-decorator]
    def learnpath_stats(state: Any, **_: Any) -> dict[str, Any]:
        """This worker's workflows in flight and its capacity."""
        host: WorkerLoop | None = getattr(state.consumer.app, "learnpath_host", None)
        if host is None:
            return {"in_flight": None, "capacity": None}
        return {"in_flight": host.in_flight, "capacity": host.capacity, "owner": host.owner}


def _redeliver(task: Any, job_id: int, **options: Any) -> None:
    """Send the message again later (raises Celery's ``Retry``), unless the broker is down.

    With the broker unreachable the new message cannot be sent; Celery would log that as
    a rejected task with a traceback. The job is safe in the database and the reconciler
    publishes it again, so one line says so and the message is simply finished.
    """
    try:
        raise task.retry(**options)
    except Reject as exc:
        log.warning(
            "job %s: cannot send its message again (broker unreachable: %s); "
            "the reconciler publishes it again",
            job_id,
            type(exc.reason).__name__ if isinstance(exc.reason, BaseException) else exc.reason,
        )


def _retry_or_drop(task: Any, job_id: int, why: str) -> str:
    retries = int(task.request.retries)
    if retries < DELIVERY_RETRIES:
        delay = DELIVERY_BACKOFF.delay(retries)
        log.warning("job %s: %s; retry %d in %.1fs", job_id, why, retries + 1, delay)
        _redeliver(task, job_id, countdown=delay)
        return "dropped"
    log.warning(  # not an error: the job is safe in the database and is published again
        "job %s: %s after %d retries; message dropped, the reconciler owns the job",
        job_id,
        why,
        retries,
    )
    return "dropped"


def _connect_lifecycle(host: WorkerLoop) -> None:
    """Start the loop when the worker is ready (or in each prefork child), stop it on exit."""

    def start() -> None:
        try:
            host.start()
        except Exception as exc:
            if not is_disconnect(exc):
                raise
            # The database is down as the worker starts: the first delivered job starts
            # the loop (``accept``), and Celery retries that job until it can.
            log.warning(
                "database unreachable at start (%s); the worker loop starts with the first job",
                type(exc).__name__,
            )

    def in_child(**_: Any) -> None:
        start()

    def on_ready(sender: Any = None, **_: Any) -> None:
        pool = getattr(sender, "pool", None)
        if "prefork" not in type(pool).__module__:
            start()

    def on_shutdown(**_: Any) -> None:
        host.stop()

    signals.worker_process_init.connect(in_child, weak=False)
    signals.worker_ready.connect(on_ready, weak=False)
    signals.worker_process_shutdown.connect(on_shutdown, weak=False)
    signals.worker_shutdown.connect(on_shutdown, weak=False)


def run_worker(
    settings: Settings, concurrency: int | None = None, *, team: AgentTeam | None = None
) -> None:
    """Run a Celery worker in this process until it is stopped (``learnpath worker``).

    ``concurrency`` is how many workflows this process runs at once (default:
    ``LEARNPATH_WORKER_CONCURRENCY``); the Celery pool itself stays a few threads.
    """
    if concurrency is not None:
        settings = settings.model_copy(update={"worker_concurrency": concurrency})
    app = worker_app(settings, team=team)
    app.worker_main(
        [
            "worker",
            f"--concurrency={CLAIM_SLOTS}",
            # Gossip and mingle exchange worker events nobody here reads, and Celery's
            # gossip step fails on a broker restart (``'NoneType' object has no attribute
            # 'connection_errors'``); remote control (``learnpath_stats``) stays on.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            f"--hostname=learnpath-{os.getpid()}@%h",
        ]
    )


_default: Celery | None = None


def __getattr__(name: str) -> Any:
    """``celery -A learnpath.dispatch.celery_app`` looks up ``app``: build it on first access."""
    global _default
    if name in ("app", "celery"):
        if _default is None:
            _default = worker_app(Settings())
        return _default
    raise AttributeError(name)
