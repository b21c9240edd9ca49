"""The execution model learnpath replaced, rebuilt for comparison (not for use).

Celery prefork, a fixed number of processes (6 in the benchmark), one workflow per
process at a time: each task calls ``asyncio.run`` on a fresh engine and a fresh agent
team, and runs the whole roadmap before the process takes the next one. Submission is
"commit the row, then ``.delay()``". The agents and the workflow are learnpath's own, so
only the execution model differs from learnpath's Celery mode.

Run by ``bench/concurrency.py`` as
``celery -A bench.baseline_app worker --pool=prefork --concurrency=6``; configuration
comes from the same ``LEARNPATH_*`` variables.
"""

from __future__ import annotations

import asyncio
import os

from celery import Celery

from learnpath.runtime import make_workflow
from learnpath.settings import Settings
from learnpath.store import open_store

TASK_NAME = "baseline.run_roadmap"
QUEUE = "baseline"

app = Celery("baseline", broker=os.environ.get("LEARNPATH_BROKER_URL"), set_as_current=False)
app.conf.update(task_default_queue=QUEUE, task_ignore_result=True, result_backend=None)


@app.task(name=TASK_NAME)  # type: ignore[untyped-decorator]
def run_roadmap(job_id: int) -> str:
    """One whole workflow in this pool process, on a loop and engine made for it."""
    return asyncio.run(_run(job_id))


async def _run(job_id: int) -> str:
    settings = Settings()
    store = open_store(settings, pool_size=2)
    try:
        lease = await store.claim_job(job_id, f"baseline-{os.getpid()}")
        if lease is None:
            return "taken"
        await make_workflow(settings, store).run(lease)
        return "done"
    finally:
        await store.close()
