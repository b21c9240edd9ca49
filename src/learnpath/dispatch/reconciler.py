"""The reconciler: the one place that repairs the queue after crashes. ``doctor --fix`` runs it too."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from learnpath.store import Store
from learnpath.store.outage import is_database_outage

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


class Reconciler:
    """Runs ``reconcile_once`` every ``interval`` seconds for an executor or a relay.

    Safe from any number of processes at once. A failure is logged (a database outage
    once per outage, through ``store.outage``) and never raised: the next round tries
    again.
    """

    def __init__(
        self, store: Store, *, interval: float, publish_deadline_s: float | None = None
    ) -> None:
        self.store = store
        self.interval = interval
        self.publish_deadline_s = publish_deadline_s
        self._last = -float("inf")

    async def due(self) -> None:
        """Reconcile if ``interval`` passed since the last round (for a loop that polls)."""
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            await self.once()

    async def forever(self) -> None:
        """Reconcile every ``interval`` seconds until cancelled."""
        while True:
            self._last = time.monotonic()
            await self.once()
            await asyncio.sleep(self.interval)

    async def once(self) -> ReconcileResult | None:
        try:
            return await reconcile_once(self.store, publish_deadline_s=self.publish_deadline_s)
        except Exception as exc:
            if is_database_outage(exc):
                self.store.outage.failed(exc)  # logged once per outage
            else:
                log.warning(
                    "reconciler: %s; trying again in %.1fs",
                    type(exc).__name__,
                    self.interval,
                )
            return None
