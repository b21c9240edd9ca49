"""Liveness, readiness and Prometheus metrics: no token needed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Request, Response

from learnpath.api.deps import RuntimeDep
from learnpath.api.errors import ApiError
from learnpath.api.metrics import CONTENT_TYPE, Metrics
from learnpath.api.openapi import problem_responses
from learnpath.api.schemas import HealthOut, ReadyOut
from learnpath.settings import Executor, Settings

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 5.0


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    """The process is up and serving."""
    return HealthOut(status="ok")


def _broker_reachable(settings: Settings) -> None:
    from kombu import Connection  # type: ignore[attr-defined]

    connection: Any = Connection(settings.broker_url, connect_timeout=CHECK_TIMEOUT_S)  # type: ignore[no-untyped-call]
    try:
        connection.ensure_connection(max_retries=1)
    finally:
        connection.release()


async def _check(name: str, checks: dict[str, str], probe: Awaitable[None]) -> None:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_S)
        checks[name] = "ok"
    except Exception as exc:
        log.warning("readiness check %s failed: %s", name, type(exc).__name__)
        checks[name] = f"unreachable ({type(exc).__name__})"


@router.get("/readyz", response_model=ReadyOut, responses=problem_responses(503))
async def readyz(runtime: RuntimeDep) -> ReadyOut:
    """The database answers (and, with the Celery executor, the broker too)."""
    checks: dict[str, str] = {}
    await _check("database", checks, runtime.store.ping())
    if runtime.settings.executor is Executor.CELERY:
        probe = asyncio.to_thread(_broker_reachable, runtime.settings)
        await _check("broker", checks, probe)
    else:
        checks["broker"] = "skipped"
    failing = sorted(name for name, state in checks.items() if state not in ("ok", "skipped"))
    if failing:
        raise ApiError(
            503,
            "not_ready",
            f"not ready: {', '.join(failing)} unreachable",
            extra={"checks": checks},
        )
    return ReadyOut(status="ready", checks=checks)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}}},
)
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """Tasks, jobs, leases, step durations, model usage and HTTP latency."""
    registry: Metrics = request.app.state.metrics
    body = await registry.render(
        runtime.store, publish_deadline_s=runtime.settings.publish_deadline_seconds
    )
    return Response(body, media_type=CONTENT_TYPE)
