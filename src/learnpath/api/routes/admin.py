"""Administrator routes: queue diagnostics."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter

from learnpath.api.deps import AdminUser, RuntimeDep
from learnpath.api.openapi import problem_responses
from learnpath.api.schemas import DiagnosticsOut
from learnpath.settings import Executor

router = APIRouter(tags=["admin"])


@router.get(
    "/admin/diagnostics",
    response_model=DiagnosticsOut,
    responses=problem_responses(401, 403),
)
async def diagnostics(_: AdminUser, runtime: RuntimeDep) -> DiagnosticsOut:
    """What ``learnpath doctor`` shows: tasks, jobs, leases, failures, usage (and the
    broker and workers in Celery mode)."""
    report = await runtime.store.queue_report(
        publish_deadline_s=runtime.settings.publish_deadline_seconds
    )
    cluster = None
    if runtime.settings.executor is Executor.CELERY:
        from learnpath.dispatch.cluster import cluster_report

        cluster = (await cluster_report(runtime.store, runtime.settings)).as_dict()
    return DiagnosticsOut.model_validate({**dataclasses.asdict(report), "cluster": cluster})
