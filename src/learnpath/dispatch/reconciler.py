"""The reconciler: the one place that repairs the queue after crashes. ``doctor --fix`` runs it too."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from learnpath.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcileResult:
    requeued: int
    failed: int
    republished: int


async def reconcile_once(
    store: Store, *, publish_deadline_s: float | None = None
) -> ReconcileResult:
    """Requeue jobs whose lease expired (or fail them past max attempts); with a publish
    deadline, also mark jobs published to the broker but never claimed for republishing."""
    requeued, failed = await store.requeue_expired()
    republished = await store.republish_stale(publish_deadline_s) if publish_deadline_s else 0
    if requeued or failed or republished:
        log.info(
            "reconciler: requeued %d, failed %d, republished %d", requeued, failed, republished
        )
    return ReconcileResult(requeued=requeued, failed=failed, republished=republished)
