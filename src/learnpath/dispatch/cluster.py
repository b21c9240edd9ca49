"""Celery-mode diagnostics for ``learnpath doctor`` and the admin API.

``cluster_report`` answers: is the broker reachable, how many messages wait per queue,
which workers answer a ping and how many workflows each runs, how many jobs wait
unpublished or published-but-unclaimed in the database; and sums it up in one line.
``fix_cluster`` is ``doctor --fix``: the same reconciler the workers run, then one
relay pass.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from typing import Any

from kombu.utils.url import maybe_sanitize_url

from learnpath.dispatch.celery_app import QUEUE, STATS_COMMAND, make_celery
from learnpath.dispatch.reconciler import ReconcileResult, reconcile_once
from learnpath.settings import Settings
from learnpath.store import Store


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    in_flight: int | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class ClusterReport:
    broker: str
    broker_ok: bool
    broker_error: str | None
    queues: dict[str, int | None]
    workers: list[WorkerInfo]
    unpublished_jobs: int
    published_unclaimed: int
    expired_leases: int
    healthy: bool
    verdict: str
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FixResult:
    reconciled: ReconcileResult
    published: int
    publish_error: str | None = None


@dataclass(frozen=True)
class _BrokerView:
    ok: bool
    error: str | None
    queues: dict[str, int | None]
    workers: list[WorkerInfo]


async def cluster_report(
    store: Store, settings: Settings, *, app: Any = None, timeout: float = 1.5
) -> ClusterReport:
    """Look at the broker and the job table; never raises for an unreachable broker."""
    owned = app is None
    app = app if app is not None else make_celery(settings)
    try:
        view = await asyncio.to_thread(_inspect_broker, app, timeout)
    finally:
        if owned:
            with suppress(Exception):
                await asyncio.to_thread(app.close)
    queue = await store.queue_report(publish_deadline_s=settings.publish_deadline_seconds)
    problems: list[str] = []
    if not view.ok:
        problems.append(f"broker unreachable ({view.error})")
    elif not view.workers:
        problems.append("no worker answered the ping")
    if queue.expired_leases:
        problems.append(f"{queue.expired_leases} job(s) with an expired lease")
    if queue.published_unclaimed:
        problems.append(
            f"{queue.published_unclaimed} job(s) published over "
            f"{settings.publish_deadline_seconds:g}s ago and never claimed"
        )
    if (
        queue.unpublished_jobs
        and queue.oldest_queued_age_s
        and (queue.oldest_queued_age_s > settings.publish_deadline_seconds)
    ):
        problems.append(f"{queue.unpublished_jobs} job(s) not published: is a relay running?")
    in_flight = sum(w.in_flight or 0 for w in view.workers)
    verdict = (
        f"ok: {len(view.workers)} worker(s), {in_flight} workflow(s) running, "
        f"{sum(v or 0 for v in view.queues.values())} message(s) queued"
        if not problems
        else "problem: " + "; ".join(problems)
    )
    return ClusterReport(
        broker=str(maybe_sanitize_url(settings.broker_url)),
        broker_ok=view.ok,
        broker_error=view.error,
        queues=view.queues,
        workers=view.workers,
        unpublished_jobs=queue.unpublished_jobs,
        published_unclaimed=queue.published_unclaimed,
        expired_leases=queue.expired_leases,
        healthy=not problems,
        verdict=verdict,
        problems=problems,
    )


async def fix_cluster(store: Store, settings: Settings) -> FixResult:
    """Run the reconciler, then publish whatever is unpublished (one relay pass)."""
    from learnpath.dispatch.relay import Relay

    reconciled = await reconcile_once(store, publish_deadline_s=settings.publish_deadline_seconds)
    relay = Relay(store, settings)
    try:
        published = await relay.publish_once()
        error = None
    except Exception as exc:
        published, error = relay.published_total, f"{type(exc).__name__}: {exc}"
    finally:
        await relay.stop()
    return FixResult(reconciled=reconciled, published=published, publish_error=error)


def _inspect_broker(app: Any, timeout: float) -> _BrokerView:
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            queues: dict[str, int | None] = {}
            for name in sorted({QUEUE, app.conf.task_default_queue}):
                try:
                    _, depth, _ = conn.default_channel.queue_declare(name, passive=True)
                    queues[name] = int(depth)
                except Exception:
                    # Redis drops an empty list's key, which reads as "no such queue".
                    redis = str(app.conf.broker_url).startswith(("redis", "rediss"))
                    queues[name] = 0 if redis else None
    except Exception as exc:
        return _BrokerView(ok=False, error=type(exc).__name__, queues={}, workers=[])
    try:
        replies = app.control.ping(timeout=timeout) or []
        stats: dict[str, Any] = {}
        for reply in app.control.broadcast(STATS_COMMAND, reply=True, timeout=timeout) or []:
            stats.update(reply)
    except Exception as exc:
        # The broker went away between the connection check and the ping (kombu may then
        # fail inside its own cleanup, e.g. with an AttributeError): report, never raise.
        return _BrokerView(ok=False, error=type(exc).__name__, queues=queues, workers=[])
    names = sorted(name for reply in replies for name in reply)
    workers = [
        WorkerInfo(
            name=name,
            in_flight=(stats.get(name) or {}).get("in_flight"),
            capacity=(stats.get(name) or {}).get("capacity"),
        )
        for name in names
    ]
    return _BrokerView(ok=True, error=None, queues=queues, workers=workers)
