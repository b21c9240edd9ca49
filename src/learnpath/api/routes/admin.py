"""Administrator routes: queue diagnostics."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter

from learnpath.api.deps import AdminUser, RuntimeDep
from learnpath.api.openapi import problem_responses
from learnpath.api.schemas import DiagnosticsOut

router = APIRouter(tags=["admin"])


@router.get(
    "/admin/diagnostics",
    response_model=DiagnosticsOut,
    responses=problem_responses(401, 403),
)
async def diagnostics(_: AdminUser, runtime: RuntimeDep) -> DiagnosticsOut:
    """The queue report ``learnpath doctor`` shows: tasks, jobs, leases, failures, usage."""
    report = await runtime.store.queue_report(
        publish_deadline_s=runtime.settings.publish_deadline_seconds
    )
    return DiagnosticsOut.model_validate(dataclasses.asdict(report))
